/**
 * A binary heap: what comes out first is decided by `before`; equals come out in the order
 * they went in (git's prio_queue does the same, and so must a simulator's event queue).
 * @module
 */
export class Heap<T> {
  private readonly items: Array<{ value: T; seq: number }> = []
  private seq = 0

  /** `before(a, b)`: a must come out before b. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  private first(a: { value: T; seq: number }, b: { value: T; seq: number }): boolean {
    return this.before(a.value, b.value) || (!this.before(b.value, a.value) && a.seq < b.seq)
  }

  push(value: T): void {
    const h = this.items
    h.push({ value, seq: this.seq++ })
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.first(h[i]!, h[parent]!)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
  }

  peek(): T | undefined {
    return this.items[0]?.value
  }

  pop(): T | undefined {
    const h = this.items
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.first(h[l]!, h[m]!)) m = l
        if (r < h.length && this.first(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top?.value
  }
}
