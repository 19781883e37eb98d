/**
 * A priority queue of commits by committer time, as git's revision walks use it.
 * @module
 */

export interface GraphNode {
  id: string
  parents: readonly string[]
  time: number
}

/** Newest commit first; among equal times, the one queued first (git's prio_queue). */
export class CommitQueue<T extends { time: number }> {
  private heap: Array<{ node: T; seq: number }> = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  private above(a: { node: T; seq: number }, b: { node: T; seq: number }): boolean {
    return a.node.time > b.node.time || (a.node.time === b.node.time && a.seq < b.seq)
  }

  push(node: T): void {
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

  pop(): T {
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

