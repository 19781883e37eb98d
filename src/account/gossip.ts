/**
 * Who a device keeps connections with in a conversation, and who it tells about new commits.
 * Jami keeps a routing table (DRT) per conversation; we use a ring: the member devices sorted
 * by id, each device linked to the ones at ± a few offsets spread geometrically from 1 to n/2.
 * The relation is symmetric (b is a's neighbour exactly when a is b's), which matters on Tox:
 * a connection forms only when both ends look for each other. With 8 offsets a device holds
 * at most 16 links, and a message flooded along the links reaches everyone in about log n hops
 * (the offsets work as the digits of a number system of base n^(1/8)).
 * @module
 */

/** Most links a device keeps per conversation. */
export const MAX_NEIGHBOURS = 16

/** The ring offsets for n devices: 1 < … ≤ n/2, geometric, distinct. */
export function ringOffsets(n: number, degree = MAX_NEIGHBOURS): number[] {
  const half = Math.floor(n / 2)
  const count = Math.floor(degree / 2)
  if (half < 1) return []
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const ideal = Math.round(Math.pow(half, count === 1 ? 1 : i / (count - 1)))
    const next = Math.min(half, Math.max(ideal, (out.at(-1) ?? 0) + 1))
    if (next > (out.at(-1) ?? 0)) out.push(next)
  }
  return out
}

/**
 * The devices `self` links with among `devices` (ids, `self` included or not): everyone when
 * there are few, else the ring neighbours. Deterministic, and the same seen from either end.
 */
export function ringNeighbours(self: string, devices: readonly string[], degree = MAX_NEIGHBOURS): string[] {
  const ring = [...new Set([...devices, self])].sort()
  const n = ring.length
  if (n - 1 <= degree) return ring.filter((d) => d !== self)
  const at = ring.indexOf(self)
  const out = new Set<string>()
  for (const o of ringOffsets(n, degree)) {
    out.add(ring[(at + o) % n]!)
    out.add(ring[(at - o + n) % n]!)
  }
  out.delete(self)
  return [...out]
}

/**
 * Who to tell about a commit: every linked device except the one it came from and those
 * known to have it already (they announced it to us).
 */
export function relayTargets(linked: readonly string[], source: string | undefined, known: ReadonlySet<string>): string[] {
  return linked.filter((d) => d !== source && !known.has(d))
}
