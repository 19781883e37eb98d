/**
 * Byte ranges `[start, end)` of a file: what a download holds, what it still lacks. Kept
 * sorted and merged, so its JSON form (persisted for resume) stays small.
 * @module
 */

export type Range = [start: number, end: number]

export class RangeSet {
  private ranges: Range[] = []

  constructor(ranges: readonly Range[] = []) {
    for (const [s, e] of ranges) this.add(s, e)
  }

  /** Adds `[start, end)`. */
  add(start: number, end: number): void {
    if (!(end > start)) return
    const out: Range[] = []
    let s = start
    let e = end
    for (const r of this.ranges) {
      if (r[1] < s || r[0] > e) out.push(r)
      else (s = Math.min(s, r[0])), (e = Math.max(e, r[1]))
    }
    out.push([s, e])
    this.ranges = out.sort((a, b) => a[0] - b[0])
  }

  /** Takes `[start, end)` out (bytes found bad, to be fetched again). */
  remove(start: number, end: number): void {
    const out: Range[] = []
    for (const [s, e] of this.ranges) {
      if (e <= start || s >= end) out.push([s, e])
      else {
        if (s < start) out.push([s, start])
        if (e > end) out.push([end, e])
      }
    }
    this.ranges = out
  }

  /** Bytes held. */
  get size(): number {
    return this.ranges.reduce((n, [s, e]) => n + e - s, 0)
  }

  /** The end of the run that starts at 0 (0 if byte 0 is missing). */
  get prefix(): number {
    const first = this.ranges[0]
    return first && first[0] === 0 ? first[1] : 0
  }

  /** The gaps in `[0, total)`, each cut into pieces of at most `piece` bytes. */
  missing(total: number, piece = Infinity): Range[] {
    const gaps: Range[] = []
    let at = 0
    for (const [s, e] of [...this.ranges, [total, total] as Range]) {
      for (let p = at; p < Math.min(s, total); p += piece) gaps.push([p, Math.min(p + piece, s, total)])
      at = Math.max(at, e)
    }
    return gaps
  }

  toJSON(): Range[] {
    return this.ranges.map((r) => [r[0], r[1]])
  }
}
