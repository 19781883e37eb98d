/**
 * Iterative lookups (Kademlia's, over Tox nodes requests): ask the closest known nodes,
 * `alpha` at a time, for nodes closer to the target, until one names it; then ping it, so a
 * lookup only succeeds on the target's own answer. Silent nodes are asked twice, then set
 * aside; when the k closest have all answered, the search widens while its budget lasts.
 * @module
 */
import type { NodeInfo } from './packed-node.js'
import { compareDistance, keyHex } from './routing-table.js'

export interface LookupOptions {
  /** Parallel requests per round (default 3). */
  alpha?: number
  /** How many closest candidates a round draws from (default 8). */
  k?: number
  maxRounds?: number
  /** Nodes asked at most once the k closest have all answered (default 32). */
  maxQueries?: number
  /** Per request (default 1,000 ms). */
  timeoutMs?: number
}

/** What an iterative lookup found: the closest nodes, and the target if it answered. */
export interface LookupResult {
  /** The node holding the key, confirmed by its own answer to a ping; undefined if not found. */
  found: NodeInfo | undefined
  /** Rounds of nodes requests until a node named the target (0: we knew it). */
  hops: number
  /** Nodes asked. */
  queried: number
}

/** What a lookup needs of a DHT node. */
export interface LookupHost {
  readonly publicKey: Uint8Array
  closest(target: Uint8Array, n: number): NodeInfo[]
  getNodes(node: NodeInfo, target: Uint8Array, done: (nodes: NodeInfo[] | undefined) => void, timeoutMs: number): void
  ping(node: NodeInfo, done: (answered: boolean) => void, timeoutMs: number): void
}

export function iterativeLookup(host: LookupHost, target: Uint8Array, options: LookupOptions = {}): Promise<LookupResult> {
  const ourKey = keyHex(host.publicKey)
    const { alpha = 3, k = 8, maxRounds = 32, maxQueries = 32, timeoutMs = 1000 } = options
    const targetKey = keyHex(target)
    const candidates = new Map<string, { node: NodeInfo; queried: boolean; failed: boolean }>()
    const add = (n: NodeInfo) => {
      const key = keyHex(n.publicKey)
      if (key !== ourKey && !candidates.has(key)) candidates.set(key, { node: n, queried: false, failed: false })
    }
    for (const c of host.closest(target, k)) add(c)
    let hops = 0
    let queried = 0
    return new Promise((resolve) => {
      const finish = (found: NodeInfo | undefined) => resolve({ found, hops, queried })
      const round = (): void => {
        const hit = candidates.get(targetKey)
        if (hit) {
          // Confirm with a ping, tried three times (a lost packet must not fail the lookup).
          const confirm = (tries: number): void => host.ping(hit.node, (ok) => (ok || tries >= 3 ? finish(ok ? hit.node : undefined) : confirm(tries + 1)), timeoutMs)
          return confirm(1)
        }
        // The k closest that did not fail to answer (silent nodes do not end a search); when
        // they have all been asked, widen to the next ones while the query budget lasts — a
        // node's tables may lack a region that its neighbours cover.
        const ranked = [...candidates.values()].filter((c) => !c.failed).sort((a, b) => compareDistance(target, a.node.publicKey, b.node.publicKey))
        let next = ranked.slice(0, k).filter((c) => !c.queried).slice(0, alpha)
        if (next.length === 0 && queried < maxQueries) next = ranked.filter((c) => !c.queried).slice(0, alpha)
        if (next.length === 0 || hops >= maxRounds) return finish(undefined)
        hops++
        let outstanding = next.length
        const ask = (c: { node: NodeInfo; failed: boolean }, tries: number): void =>
          host.getNodes(c.node, target, (nodes) => {
            // One silence may be a lost packet: ask once more before giving the node up.
            if (!nodes && tries < 2) return ask(c, tries + 1)
            if (!nodes) c.failed = true
            for (const n of nodes ?? []) add(n)
            if (--outstanding === 0) round()
          }, timeoutMs)
        for (const c of next) {
          c.queried = true
          queried++
          ask(c, 1)
        }
      }
      round()
    })
}
