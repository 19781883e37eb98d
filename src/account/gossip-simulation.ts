/**
 * The gossip of one conversation's members, simulated on a virtual clock with in-memory
 * links: every device links with its ring neighbours (./gossip.ts, as the Account does), a
 * message written on one device is announced on its links; a device that hears of it fetches
 * from the first announcer (a round trip plus the validation and merge time), then relays to
 * its links that did not announce it — relayTargets, as Delivery does. Announcements may be
 * lost and devices offline. What it measures: the share of online devices reached, the links
 * per device, the hops and the virtual time to full delivery, next to log2(n).
 * @module
 */
import { createHash } from 'node:crypto'
import { prng } from '../dht/testnet.js'
import { Heap } from '../util/heap.js'
import { MAX_NEIGHBOURS, relayTargets, ringNeighbours } from './gossip.js'

export interface GossipSimulationOptions {
  members: number
  seed?: number
  /** One-way link latency, uniform in [min, max] ms (default 5–40). */
  latencyMs?: [number, number]
  /** Validation and merge time of one fetch, ms (default 3). */
  processMs?: number
  /** Share of announcements lost (default 0). */
  loss?: number
  /** Share of devices offline (default 0): they are not counted, and relay nothing. */
  offline?: number
  /** Messages written, each by a random online device (default 1). */
  messages?: number
  /** Relay to at most this many targets (default: all of them, as the Account does). */
  fanOut?: number
}

export interface GossipReport {
  members: number
  online: number
  /** Devices that got every message, among the online ones. */
  reached: number
  /** Share of (online device, message) pairs delivered. */
  delivered: number
  maxLinks: number
  medianLinks: number
  /** Hops from the writer, over all deliveries. */
  maxHops: number
  medianHops: number
  /** Virtual time until the last online device had the message, worst over the messages. */
  fullDeliveryMs: number
  announcements: number
  log2n: number
  /** Every link was chosen by both of its ends. */
  symmetric: boolean
}

interface Event {
  at: number
  kind: 'announce' | 'fetched'
  to: number
  from: number
  hop: number
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

export function simulateGossip(options: GossipSimulationOptions): GossipReport {
  const random = prng(options.seed ?? 1)
  const n = options.members
  const [minLat, maxLat] = options.latencyMs ?? [5, 40]
  const processMs = options.processMs ?? 3
  const ids = Array.from({ length: n }, (_, i) => createHash('sha256').update(`${options.seed ?? 1}:${i}`).digest('hex'))
  const index = new Map(ids.map((id, i) => [id, i]))
  const links = ids.map((id) => ringNeighbours(id, ids).map((d) => index.get(d)!))
  const symmetric = links.every((l, a) => l.every((b) => links[b]!.includes(a)))
  const latency = new Map<string, number>()
  const lat = (a: number, b: number) => {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`
    let v = latency.get(key)
    if (v === undefined) latency.set(key, (v = minLat + random() * (maxLat - minLat)))
    return v
  }
  const online = ids.map(() => random() >= (options.offline ?? 0))
  const onlineCount = online.filter(Boolean).length
  let announcements = 0
  let deliveries = 0
  let worst = 0
  const hops: number[] = []
  const reachedAll = new Array<boolean>(n).fill(true)
  const messages = options.messages ?? 1
  for (let m = 0; m < messages; m++) {
    let writer = Math.floor(random() * n)
    while (!online[writer]) writer = (writer + 1) % n
    const has = new Array<number>(n).fill(-1)
    const fetching = new Array<boolean>(n).fill(false)
    const known = ids.map(() => new Set<string>())
    const queue = new Heap<Event>((x, y) => x.at < y.at)
    const announce = (from: number, source: number | undefined, at: number, hop: number) => {
      const targets = relayTargets(links[from]!.map((i) => ids[i]!), source === undefined ? undefined : ids[source], known[from]!).slice(0, options.fanOut ?? Infinity)
      for (const t of targets) {
        const to = index.get(t)!
        announcements++
        if (!online[to] || random() < (options.loss ?? 0)) continue
        queue.push({ at: at + lat(from, to), kind: 'announce', to, from, hop })
      }
    }
    has[writer] = 0
    announce(writer, undefined, 0, 0)
    let last = 0
    for (let steps = 0; queue.size > 0 && steps < 50 * n * MAX_NEIGHBOURS; steps++) {
      const e = queue.pop()!
      if (e.kind === 'announce') {
        known[e.to]!.add(ids[e.from]!)
        if (has[e.to] >= 0 || fetching[e.to]) continue
        fetching[e.to] = true
        queue.push({ at: e.at + 2 * lat(e.from, e.to) + processMs, kind: 'fetched', to: e.to, from: e.from, hop: e.hop + 1 })
      } else {
        has[e.to] = e.hop
        hops.push(e.hop)
        last = Math.max(last, e.at)
        announce(e.to, e.from, e.at, e.hop)
      }
    }
    for (let i = 0; i < n; i++) {
      if (!online[i]) continue
      if (has[i] >= 0) deliveries++
      else reachedAll[i] = false
    }
    worst = Math.max(worst, last)
  }
  const linkCounts = links.map((l) => l.length)
  return {
    members: n,
    online: onlineCount,
    reached: reachedAll.filter((r, i) => r && online[i]).length,
    delivered: deliveries / (onlineCount * messages),
    maxLinks: Math.max(...linkCounts),
    medianLinks: median(linkCounts),
    maxHops: Math.max(0, ...hops),
    medianHops: median(hops),
    fullDeliveryMs: Math.round(worst),
    announcements,
    log2n: Math.log2(n),
    symmetric,
  }
}
