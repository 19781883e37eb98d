/**
 * History order H1 (reference §4.15): `git rev-list --date-order` — no commit before all of
 * its children, otherwise newest committer time first; ties go to the commit that became
 * ready first, as in git's priority queue.
 * @module
 */

export interface GraphNode {
  id: string
  parents: readonly string[]
  time: number
}

/** A binary max-heap on (time, -sequence). */
class ReadyQueue {
  private heap: Array<{ node: GraphNode; seq: number }> = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  private above(a: { node: GraphNode; seq: number }, b: { node: GraphNode; seq: number }): boolean {
    return a.node.time > b.node.time || (a.node.time === b.node.time && a.seq < b.seq)
  }

  push(node: GraphNode): void {
    const h = this.heap
    h.push({ node, seq: this.seq++ })
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.above(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  pop(): GraphNode {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.above(h[l]!, h[m]!)) m = l
        if (r < h.length && this.above(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top.node
  }
}

/** Ids of every node reachable from `tips`, newest first in --date-order. */
export function dateOrder(nodes: ReadonlyMap<string, GraphNode>, tips: readonly string[]): string[] {
  const children = new Map<string, number>()
  const reachable: GraphNode[] = []
  const stack = [...tips]
  const seen = new Set<string>()
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id)) continue
    seen.add(id)
    const node = nodes.get(id)
    if (!node) continue
    reachable.push(node)
    for (const p of node.parents) {
      children.set(p, (children.get(p) ?? 0) + 1)
      stack.push(p)
    }
  }
  const queue = new ReadyQueue()
  for (const tip of tips) {
    const node = nodes.get(tip)
    if (node && !children.has(tip)) queue.push(node)
  }
  const out: string[] = []
  const emitted = new Set<string>()
  while (queue.size > 0) {
    const node = queue.pop()
    if (emitted.has(node.id)) continue
    emitted.add(node.id)
    out.push(node.id)
    for (const p of node.parents) {
      const left = children.get(p)! - 1
      children.set(p, left)
      const parent = nodes.get(p)
      if (left === 0 && parent) queue.push(parent)
    }
  }
  return out
}
