/**
 * A Tox DHT node (reference tox-protocol.md §3): answers pings and nodes requests (so
 * c-toxcore takes us as a node), keeps the close list and a list per searched key, pings
 * each known node every 60 s and forgets silent ones, asks for nodes near its own key and
 * near random keys to fill its buckets, forwards DHT requests (0x20) to the nodes they are
 * addressed to, answers NAT pings of searched keys, and runs iterative lookups. Time comes
 * from `now` and work from `tick()`, so the same code runs on real sockets and in the
 * simulated network of ./testnet.ts.
 * @module
 */
import { EventEmitter } from 'node:events'
import { boxKeyPair, randomBytesPooled, SharedKeyCache, type BoxKeyPair } from '../crypto/box.js'
import { DHT_REQUEST, dhtRequestReceiver, encodeDhtRequest, openDhtRequest } from './dht-request.js'
import { isLanAddress, scopedLike } from './lan-discovery.js'
import { NatPinger } from './nat.js'
import { iterativeLookup, type LookupOptions, type LookupResult } from './lookup.js'
import type { NodeInfo } from './packed-node.js'

export type { LookupOptions, LookupResult } from './lookup.js'
import { decodeDhtFrame, encodeDhtPacket, nodesRequestPlain, nodesResponsePlain, openDhtFrame, PACKET, parseNodesRequest, parseNodesResponse, parsePing, pingPlain } from './packets.js'
import { BUCKETS, CloseList, compareDistance, isGood, keyHex, KILL_NODE_TIMEOUT_MS, PING_INTERVAL_MS, SearchList, type Contact } from './routing-table.js'

import type { Address, DatagramLink } from './datagram.js'

export type { Address, DatagramLink } from './datagram.js'

export type RequestHandler = (data: Uint8Array, senderDhtPk: Uint8Array, from: Address) => void

export interface DhtNodeOptions {
  keys?: BoxKeyPair
  /** Milliseconds (virtual in the simulator). */
  now?: () => number
  /** Where the node's random choices come from (a seeded generator makes a simulation repeatable). */
  random?: () => number
}

export interface DhtNodeEvents {
  /** A searched key answered us directly from `address`. */
  found: [publicKey: Uint8Array, address: Address]
}

const RESPONSE_TIMEOUT_MS = 5000
const GET_NODES_INTERVAL_MS = 20_000
const QUICK_INTERVAL_MS = 2000
const QUICK_TIMES = 5
const REPING_AFTER_MS = 10_000
const SWEEP_MS = 5000

interface Pending {
  key: string
  host: string
  port: number
  at: number
  timeoutMs: number
  kind: 'ping' | 'nodes'
  done?: (nodes: NodeInfo[] | undefined) => void
}

interface Search {
  list: SearchList
  lastQuery: number
  quick: number
  found?: Address
  /** Where nodes near the key say it is (host:port → when last said), for hole punching. */
  reported: Map<string, number>
}

/** A random key sharing exactly `bits` leading bits with `ours`. */
function keyWithPrefix(ours: Uint8Array, bits: number, random: () => number): Uint8Array {
  const out = Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256))
  const whole = bits >> 3
  out.set(ours.subarray(0, whole))
  if (whole < 32) {
    const keep = bits & 7
    const mask = (0xff << (8 - keep)) & 0xff
    const flip = 0x80 >> keep
    out[whole] = (ours[whole]! & mask) | ((~ours[whole]! & flip) & 0xff) | (out[whole]! & (0xff >> (keep + 1)))
  }
  return out
}

/** The Tox DHT: close nodes, pings, iterative lookups, friends' DHT keys. */
export class DhtNode extends EventEmitter<DhtNodeEvents> {
  readonly keys: BoxKeyPair
  readonly table: CloseList
  private readonly now: () => number
  private readonly shared: SharedKeyCache
  private readonly pending = new Map<string, Pending>()
  private readonly searches = new Map<string, Search>()
  private readonly requestHandlers = new Map<number, RequestHandler>()
  private readonly recentPings = new Map<string, number>()
  private readonly bootstrapNodes: NodeInfo[] = []
  private lastRefresh = -Infinity
  private refreshes = 0
  private lastSweep = -Infinity
  private selfLookup = false
  private readonly ourKey: string
  private readonly random: () => number
  /** NAT pings and hole punching (./nat.ts). */
  readonly nat: NatPinger

  constructor(
    private readonly link: DatagramLink,
    options: DhtNodeOptions = {},
  ) {
    super()
    this.keys = options.keys ?? boxKeyPair()
    this.ourKey = keyHex(this.keys.publicKey)
    this.shared = new SharedKeyCache(this.keys.secretKey)
    this.now = options.now ?? (() => performance.now())
    this.random = options.random ?? Math.random
    this.table = new CloseList(this.keys.publicKey)
    for (const kind of [PACKET.pingRequest, PACKET.pingResponse, PACKET.nodesRequest, PACKET.nodesResponse]) link.on(kind, (p, from) => this.onPacket(p, from))
    link.on(DHT_REQUEST, (p, from) => this.onDhtRequest(p, from))
    this.nat = new NatPinger(this, link, this.now)
  }

  get publicKey(): Uint8Array {
    return this.keys.publicKey
  }

  /** beforenm with a peer's DHT key, cached (bounded); undefined for a low-order key. */
  sharedWith(publicKey: Uint8Array): Uint8Array | undefined {
    return this.shared.get(publicKey)
  }


  /** Whether any node answered us within the bad-node timeout. */
  isConnected(): boolean {
    return this.table.closest(this.keys.publicKey, 1, this.now()).length > 0
  }

  // ── requests (0x20) ────────────────────────────────────────────────────────────────

  /** Handles DHT requests addressed to us with this request id (NAT ping, DHT-PK…). */
  onRequest(requestId: number, handler: RequestHandler): void {
    this.requestHandlers.set(requestId, handler)
  }

  /** Sends a DHT request to `node` (its DHT key is the receiver). */
  sendRequest(node: NodeInfo, requestId: number, data: Uint8Array): void {
    const key = this.sharedWith(node.publicKey)
    if (key) this.link.send(encodeDhtRequest(node.publicKey, this.keys.publicKey, key, requestId, data), node)
  }

  private onDhtRequest(packet: Buffer, from: Address): void {
    const receiver = dhtRequestReceiver(packet)
    if (!receiver) return
    if (keyHex(receiver) !== this.ourKey) {
      // Not ours: pass it on to the node it is for, if we know it well.
      const to = this.table.get(keyHex(receiver))
      if (to && isGood(to, this.now())) this.link.send(packet, to)
      return
    }
    const request = openDhtRequest(packet, (pk) => this.sharedWith(pk))
    if (request) this.requestHandlers.get(request.requestId)?.(request.data, request.senderPk, from)
  }

  private newPingId(to: NodeInfo, kind: Pending['kind'], timeoutMs: number, done?: Pending['done']): Uint8Array {
    const id = Buffer.from(randomBytesPooled(8))
    this.pending.set(id.toString('hex'), { key: keyHex(to.publicKey), host: to.host, port: to.port, at: this.now(), timeoutMs, kind, done })
    return id
  }

  /** The pending request a response answers: same id, kind, key and address, in time. */
  private answered(pingId: Uint8Array, kind: Pending['kind'], from: NodeInfo): Pending | undefined {
    const hex = Buffer.from(pingId).toString('hex')
    const p = this.pending.get(hex)
    if (!p || p.kind !== kind || this.now() - p.at > p.timeoutMs) return undefined
    if (p.key !== keyHex(from.publicKey) || p.host !== from.host || p.port !== from.port) return undefined
    this.pending.delete(hex)
    return p
  }

  /** Pings `node`; `done` gets [] on an answer, undefined on a timeout. */
  ping(node: NodeInfo, done?: (answered: boolean) => void, timeoutMs = RESPONSE_TIMEOUT_MS): void {
    const key = this.sharedWith(node.publicKey)
    if (!key) return done?.(false)
    this.recentPings.set(keyHex(node.publicKey), this.now())
    const id = this.newPingId(node, 'ping', timeoutMs, done && ((r) => done(r !== undefined)))
    this.link.send(encodeDhtPacket(PACKET.pingRequest, this.keys.publicKey, key, pingPlain(0, id)), node)
  }

  /** Asks `node` for the nodes closest to `target`; `done` gets them, or undefined on a timeout. */
  getNodes(node: NodeInfo, target: Uint8Array = this.keys.publicKey, done?: (nodes: NodeInfo[] | undefined) => void, timeoutMs = RESPONSE_TIMEOUT_MS): void {
    const key = this.sharedWith(node.publicKey)
    if (!key) return done?.(undefined)
    const plain = nodesRequestPlain(target, this.newPingId(node, 'nodes', timeoutMs, done))
    this.link.send(encodeDhtPacket(PACKET.nodesRequest, this.keys.publicKey, key, plain), node)
  }

  /** Joins the DHT through `node` (asks it for the nodes near our own key; retried while we know nobody). */
  bootstrap(node: NodeInfo): void {
    this.bootstrapNodes.push({ host: node.host, port: node.port, publicKey: new Uint8Array(node.publicKey) })
    this.getNodes(node)
  }

  /** Searches `publicKey` (a friend's DHT key) in the background; 'found' fires when it answers. */
  search(publicKey: Uint8Array): void {
    const key = keyHex(publicKey)
    if (!this.searches.has(key)) this.searches.set(key, { list: new SearchList(new Uint8Array(publicKey)), lastQuery: -Infinity, quick: 0, reported: new Map() })
  }

  /**
   * Searches `publicKey` quickly again (every 2 s, five times, then every 20 s), as when it
   * was new: a friend that just went away is most likely back soon, at an address to find.
   */
  hurry(publicKey: Uint8Array): void {
    const s = this.searches.get(keyHex(publicKey))
    if (!s) return
    s.quick = 0
    s.lastQuery = -Infinity
    s.found = undefined
  }

  /** Stops looking for a key. */
  stopSearch(publicKey: Uint8Array): void {
    this.searches.delete(keyHex(publicKey))
  }

  /** Whether `publicKey` is one we search (a friend's DHT key). */
  isSearching(publicKey: Uint8Array): boolean {
    return this.searches.has(keyHex(publicKey))
  }

  /** The nodes we know near a searched key (they know its address and forward to it). */
  searchContacts(publicKey: Uint8Array): Contact[] {
    return [...(this.searches.get(keyHex(publicKey))?.list.contacts.values() ?? [])]
  }

  /** Where nodes near a searched key said it is within `maxAgeMs`, newest first. */
  reportedAt(publicKey: Uint8Array, maxAgeMs: number): Address[] {
    const s = this.searches.get(keyHex(publicKey))
    if (!s) return []
    const now = this.now()
    return [...s.reported].filter(([, at]) => now - at <= maxAgeMs).sort((a, b) => b[1] - a[1]).map(([k]) => ({ host: k.slice(0, k.lastIndexOf('|')), port: Number(k.slice(k.lastIndexOf('|') + 1)) }))
  }

  /** Asks the nodes near a searched key about it now (fresh reports of where it is). */
  queryNow(publicKey: Uint8Array): void {
    const s = this.searches.get(keyHex(publicKey))
    if (s) s.lastQuery = -Infinity
  }

  /** Where a searched key was last seen answering, if it was. */
  foundAt(publicKey: Uint8Array): Address | undefined {
    return this.searches.get(keyHex(publicKey))?.found
  }

  /** The `n` good nodes we know closest to `target` (close list and search lists). */
  closest(target: Uint8Array, n = 4): Contact[] {
    const now = this.now()
    const seen = new Map<string, Contact>()
    for (const c of this.table.closest(target, n, now)) seen.set(c.key, c)
    for (const s of this.searches.values()) for (const c of s.list.contacts.values()) if (isGood(c, now)) seen.set(c.key, c)
    return [...seen.values()].sort((a, b) => compareDistance(target, a.publicKey, b.publicKey)).slice(0, n)
  }

  /**
   * An iterative lookup of `target`: ask the closest nodes we know, `alpha` at a time, for
   * nodes closer still, until one names the target — then ping it to confirm (./lookup.ts).
   */
  lookup(target: Uint8Array, options: LookupOptions = {}): Promise<LookupResult> {
    return iterativeLookup(this, target, options)
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────

  /** A node proved it holds its key at this address: keep it where it helps. */
  private heard(node: NodeInfo): void {
    const now = this.now()
    this.table.add(node, now)
    const key = keyHex(node.publicKey)
    for (const [searched, s] of this.searches) {
      s.list.add(node, now)
      if (searched === key) {
        s.found = { host: node.host, port: node.port }
        this.emit('found', new Uint8Array(node.publicKey), s.found)
      }
    }
  }

  /** A node someone named: ping it if it would fill a slot (c-toxcore's ping_node_from_getnodes_ok). */
  private consider(node: NodeInfo): void {
    const key = keyHex(node.publicKey)
    if (key === this.ourKey) return
    const now = this.now()
    if (now - (this.recentPings.get(key) ?? -Infinity) < REPING_AFTER_MS) return
    let useful = this.table.wouldAdd(node.publicKey, now)
    for (const [searched, s] of this.searches) useful ||= searched === key || s.list.wouldAdd(node.publicKey, now)
    if (useful) this.ping(node)
  }

  private onPacket(packet: Buffer, from: Address): void {
    const frame = decodeDhtFrame(packet)
    if (!frame) return
    const key = this.sharedWith(frame.senderPk)
    const plain = key && openDhtFrame(frame, key)
    if (!key || !plain) return
    const sender: NodeInfo = { host: from.host, port: from.port, publicKey: new Uint8Array(frame.senderPk) }
    const reply = (kind: number, body: Uint8Array) => this.link.send(encodeDhtPacket(kind, this.keys.publicKey, key, body), from)
    switch (frame.kind) {
      case PACKET.pingRequest: {
        const id = parsePing(plain, 0)
        if (!id) break
        reply(PACKET.pingResponse, pingPlain(1, id))
        if (!this.table.get(keyHex(sender.publicKey))) this.consider(sender)
        break
      }
      case PACKET.pingResponse: {
        const id = parsePing(plain, 1)
        const p = id && this.answered(id, 'ping', sender)
        if (!p) break
        this.heard(sender)
        p.done?.([])
        break
      }
      case PACKET.nodesRequest: {
        const req = parseNodesRequest(plain)
        if (!req) break
        // c-toxcore drops an empty nodes response: send at least the requester itself. As
        // c-toxcore, a peer outside our LAN is not told LAN addresses: useless to it, and
        // private.
        const nodes = isLanAddress(from.host) ? this.closest(req.target, 4) : this.closest(req.target, 16).filter((n) => !isLanAddress(n.host)).slice(0, 4)
        reply(PACKET.nodesResponse, nodesResponsePlain(nodes.length ? nodes : [sender], req.pingId))
        if (!this.table.get(keyHex(sender.publicKey))) this.consider(sender)
        break
      }
      case PACKET.nodesResponse: {
        const res = parseNodesResponse(plain)
        const p = res && this.answered(res.pingId, 'nodes', sender)
        if (!res || !p) break
        this.heard(sender)
        for (const n of res.nodes) {
          const reported = this.searches.get(keyHex(n.publicKey))?.reported
          reported?.set(`${n.host}|${n.port}`, this.now())
          // Bounded: anyone can report addresses; the oldest go first.
          if (reported && reported.size > 16) reported.delete(reported.keys().next().value!)
          this.consider(scopedLike(n, from))
        }
        p.done?.(res.nodes)
        break
      }
    }
  }

  // ── timers ─────────────────────────────────────────────────────────────────────────

  /** Runs what is due: timeouts, pings every 60 s, node requests every 20 s (quicker at first). */
  tick(): void {
    const now = this.now()
    this.nat.expire(now)
    for (const [id, p] of this.pending) {
      if (now - p.at <= p.timeoutMs) continue
      this.pending.delete(id)
      p.done?.(undefined)
    }
    // Pings and pruning need no finer grain than a few seconds (a node is pinged every 60 s).
    if (now - this.lastSweep >= SWEEP_MS) {
      this.lastSweep = now
      let dead: string[] | undefined
      for (const c of this.table.contacts()) {
        if (now - c.lastSeen > KILL_NODE_TIMEOUT_MS) (dead ??= []).push(c.key)
        else if (now - c.lastPinged >= PING_INTERVAL_MS) {
          c.lastPinged = now
          this.ping(c)
        }
      }
      for (const key of dead ?? []) this.table.remove(key)
      for (const [k, t] of this.recentPings) if (now - t > REPING_AFTER_MS) this.recentPings.delete(k)
    }
    const interval = this.refreshes < QUICK_TIMES ? QUICK_INTERVAL_MS : GET_NODES_INTERVAL_MS
    if (now - this.lastRefresh >= interval) {
      this.lastRefresh = now
      const good = this.table.closest(this.keys.publicKey, 1024, now)
      // Few nodes: we may sit on an island of newcomers; the bootstrap nodes know the rest.
      if (good.length < 8) for (const b of this.bootstrapNodes) this.getNodes(b)
      if (good.length > 0) {
        this.refreshes++
        const pick = () => good[Math.floor(this.random() * good.length)]!
        // An iterative lookup of our own key, on joining and every few minutes: our nearest
        // nodes learn of us by being asked, and we of them (Kademlia's join). Between
        // those, one nodes request to a random node keeps the view wide.
        if (this.refreshes % 8 === 1 && !this.selfLookup) {
          this.selfLookup = true
          void this.lookup(this.keys.publicKey, { maxQueries: 0 }).finally(() => (this.selfLookup = false))
        } else this.getNodes(pick(), this.keys.publicKey)
        // Keys that share 0, 1, 2… leading bits with ours fill the buckets at every distance
        // (c-toxcore searches two random "fake friends" for the same reason).
        for (let i = 0; i < 2; i++) {
          const bits = Math.floor(this.random() * Math.min(BUCKETS, 2 + Math.log2(good.length + 1) * 1.5))
          const key = keyWithPrefix(this.keys.publicKey, bits, this.random)
          this.getNodes(this.closest(key, 1)[0] ?? pick(), key)
        }
      }
    }
    for (const s of this.searches.values()) {
      if (now - s.lastQuery < (s.quick < QUICK_TIMES ? QUICK_INTERVAL_MS : GET_NODES_INTERVAL_MS)) continue
      s.lastQuery = now
      s.quick++
      for (const n of this.closest(s.list.target, 4)) this.getNodes(n, s.list.target)
    }
  }
}
