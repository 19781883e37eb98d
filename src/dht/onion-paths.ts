/**
 * The onion client's paths (reference tox-protocol.md §7.1): three hops each, kept per use
 * (announcing, searching), per way out (LAN, WAN, a TCP relay) and per slot — several paths,
 * as c-toxcore keeps 6, so a hop that goes away takes only the requests on its paths with it.
 * A path is replaced after three silent requests, after 10 minutes, or at once when one of its
 * hops does not answer a DHT ping (probe): a stopped node is not built into the next path
 * until it is heard from again.
 * @module
 */
import { boxKeyPair, trySharedKey } from '../crypto/box.js'
import type { DhtNode } from './dht-node.js'
import { isLanAddress } from './lan-discovery.js'
import type { OnionPath } from './onion-packets.js'
import type { NodeInfo } from './packed-node.js'
import { isGood, keyHex, shortKey as short } from './routing-table.js'
import { tracer } from '../util/trace.js'

const trace = tracer('onion')

/** Silent requests before a path (or a list node) is given up. */
export const MAX_TRIES = 3
/** Paths kept per use and way out; each list node keeps to one of them (its slot). */
export const PATHS_PER_WAY = 3
const PATH_LIFETIME_MS = 600_000
/** How long a hop has to answer the DHT ping that checks a path (loopback to the far side of the Internet). */
const HOP_PING_TIMEOUT_MS = 3000
const MAX_DOUBTED = 256
/** Nodes besides a failed path's hops pinged when it is probed. */
const PROBE_OTHERS = 6

export interface PathState {
  path: OnionPath
  created: number
  /** Requests on it that went unanswered since its last answer. */
  failures: number
  /** A hop did not answer a DHT ping: never used again. */
  dead?: boolean
  /** When its hops were last pinged (see probe). */
  probedAt?: number
}

export interface OnionPathsContext {
  dht: DhtNode
  now: () => number
  /** The TCP relay every path starts at, when we send no UDP (see OnionClient.tcp). */
  tcp: () => NodeInfo | undefined
  /** For traces: whose paths these are. */
  owner: Uint8Array
}

export class OnionPaths {
  /** Paths by use, way out and slot: `announce:lan:0`, `search:wan:2`… */
  private readonly paths = new Map<string, PathState>()
  /** Nodes we were told about (bootstrap nodes, nodes in announce responses): the hops when there is no DHT (TCP only). */
  private readonly told = new Map<string, NodeInfo>()
  /** Hops that did not answer a DHT ping, and when: left out of new paths until heard from since. */
  private readonly doubted = new Map<string, number>()

  constructor(private readonly ctx: OnionPathsContext) {}

  /** Keeps `node` (not a TCP relay) among the nodes we were told about, up to 256. */
  tell(node: NodeInfo): void {
    if (this.told.size < 256 && !node.tcp) this.told.set(keyHex(node.publicKey), { host: node.host, port: node.port, publicKey: new Uint8Array(node.publicKey) })
  }

  /** The nodes we were told about. */
  toldNodes(): NodeInfo[] {
    return [...this.told.values()]
  }

  /** Path `slot` of `kind` towards `destination`, kept while it works; undefined when no node can make one. */
  get(kind: 'announce' | 'search', destination: NodeInfo, slot: number): PathState | undefined {
    const { dht } = this.ctx
    const now = this.ctx.now()
    const tcp = this.ctx.tcp()
    const lan = !tcp && isLanAddress(destination.host)
    // Paths are kept per way out: LAN, WAN, or through one relay (the route may change).
    const id = `${kind}:${tcp ? `tcp-${keyHex(tcp.publicKey)}` : lan ? 'lan' : 'wan'}:${slot}`
    const current = this.paths.get(id)
    if (current && !current.dead && current.failures < MAX_TRIES && now - current.created < PATH_LIFETIME_MS) return current
    const live = tcp ? [] : [...dht.table.contacts()].filter((c) => isGood(c, now))
    const hops = tcp ? pathHops(this.toldNodes(), lan) : (pathHops(live.filter((c) => !this.isDoubted(c)), lan) ?? pathHops(live, lan))
    if (!hops) return undefined
    const nodes: [NodeInfo, NodeInfo, NodeInfo] = [tcp ?? hops[0], hops[1], hops[2]]
    const k2 = boxKeyPair()
    const k3 = boxKeyPair()
    const s1 = tcp ? new Uint8Array(32) : dht.sharedWith(nodes[0].publicKey)
    const s2 = trySharedKey(nodes[1].publicKey, k2.secretKey)
    const s3 = trySharedKey(nodes[2].publicKey, k3.secretKey)
    if (!s1 || !s2 || !s3) return undefined
    const state = { path: { nodes, publicKeys: [dht.publicKey, k2.publicKey, k3.publicKey], sharedKeys: [s1, s2, s3] } as OnionPath, created: now, failures: 0 }
    this.paths.set(id, state)
    trace?.(`${short(this.ctx.owner)}: path ${id} through ${nodes.map((n) => short(n.publicKey)).join(' ')}${current ? ` (the last failed ${current.failures} times)` : ''}`)
    return state
  }

  /**
   * A request on `state` went unanswered: the node asked may be gone, or a hop. The hops are
   * pinged through the DHT; one that does not answer ends the path (`onDead` runs once), and
   * is left out of new paths until heard from. Without this, a stopped node on our paths kept
   * our announcement unreachable until the path had failed three times, 15 s apart.
   */
  probe(state: PathState, onDead: () => void): void {
    const now = this.ctx.now()
    if (this.ctx.tcp() || state.dead || (state.probedAt !== undefined && now - state.probedAt < HOP_PING_TIMEOUT_MS)) return
    state.probedAt = now
    const self = keyHex(this.ctx.dht.publicKey)
    const hops = new Map(state.path.nodes.map((n) => [keyHex(n.publicKey), n]))
    hops.delete(self)
    // A few other nodes we would build the next path from are asked too: the node that
    // stopped may not be the only one (a whole LAN gone), and each round of finding the next
    // one costs a request timeout and a ping.
    const others = [...this.ctx.dht.table.contacts()].filter((c) => isGood(c, now) && !hops.has(c.key) && !this.isDoubted(c))
    for (let i = others.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[others[i], others[j]] = [others[j]!, others[i]!]
    }
    for (const [key, node] of [...hops, ...others.slice(0, PROBE_OTHERS).map((c) => [c.key, c] as const)]) {
      this.ctx.dht.ping(
        node,
        (answered) => {
          if (answered) return
          this.doubted.delete(key)
          this.doubted.set(key, this.ctx.now())
          if (this.doubted.size > MAX_DOUBTED) this.doubted.delete(this.doubted.keys().next().value!)
          if (!hops.has(key) || state.dead) return
          state.dead = true
          trace?.(`${short(this.ctx.owner)}: hop ${short(node.publicKey)} does not answer, its path is dropped`)
          onDead()
        },
        HOP_PING_TIMEOUT_MS,
      )
    }
  }

  /** A hop that did not answer our ping and has not been heard from since. */
  private isDoubted(c: { key: string; lastSeen: number }): boolean {
    const at = this.doubted.get(c.key)
    return at !== undefined && c.lastSeen <= at
  }
}

/**
 * Three hops for an onion path, chosen at random among `good` nodes (repeats allowed, as
 * c-toxcore: a tiny network still has paths); undefined when there is none. Each hop sends to
 * the next by the address we know it at, so a node known by a LAN address can only follow one
 * on that LAN: a path to a LAN destination is made of LAN nodes, and a path to anyone else
 * has its second and third hops outside the LAN (the first, which we send to ourselves, may
 * be on it). Mixed, a node on the Internet would forward to a 10.x address — lost, and blamed
 * on the destination. With no node of the right kind, any will do.
 */
export function pathHops(good: NodeInfo[], toLan: boolean, random: () => number = Math.random): [NodeInfo, NodeInfo, NodeInfo] | undefined {
  if (good.length === 0) return undefined
  const fitting = good.filter((n) => isLanAddress(n.host) === toLan)
  const later = fitting.length > 0 ? fitting : good
  const first = toLan ? later : good
  const pick = (from: NodeInfo[]) => from[Math.floor(random() * from.length)]!
  return [pick(first), pick(later), pick(later)]
}
