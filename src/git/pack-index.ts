/**
 * Reader for pack index files, version 2 (`.idx`): fan-out table, sorted object ids, CRCs,
 * 31-bit offsets and the 64-bit offset table.
 * @module
 */
import { CorruptObjectError } from '../errors.js'

const IDX_MAGIC = 0xff744f63

export class PackIndex {
  readonly count: number
  private readonly buf: Buffer
  private readonly oidsAt: number
  private readonly offsetsAt: number
  private readonly largeAt: number

  constructor(buf: Buffer, readonly name = 'pack index') {
    if (buf.length < 8 + 1024 + 40 || buf.readUInt32BE(0) !== IDX_MAGIC || buf.readUInt32BE(4) !== 2) {
      throw new CorruptObjectError(name, 'not a version 2 pack index')
    }
    this.buf = buf
    this.count = buf.readUInt32BE(8 + 255 * 4)
    this.oidsAt = 8 + 1024
    this.offsetsAt = this.oidsAt + this.count * 24
    this.largeAt = this.offsetsAt + this.count * 4
    if (this.largeAt + 40 > buf.length) throw new CorruptObjectError(name, 'truncated')
  }

  /** Pack offset of the object, or undefined when the pack does not hold it. */
  find(oid: string): number | undefined {
    const key = Buffer.from(oid, 'hex')
    const first = key[0]!
    let lo = first === 0 ? 0 : this.buf.readUInt32BE(8 + (first - 1) * 4)
    let hi = this.buf.readUInt32BE(8 + first * 4)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const at = this.oidsAt + mid * 20
      // sign of (entry - key)
      const cmp = this.buf.compare(key, 0, 20, at, at + 20)
      if (cmp === 0) return this.offsetAt(mid)
      if (cmp > 0) hi = mid
      else lo = mid + 1
    }
    return undefined
  }

  oidAt(i: number): string {
    const at = this.oidsAt + i * 20
    return this.buf.toString('hex', at, at + 20)
  }

  offsetAt(i: number): number {
    const v = this.buf.readUInt32BE(this.offsetsAt + i * 4)
    if (!(v & 0x80000000)) return v
    const j = v & 0x7fffffff
    return Number(this.buf.readBigUInt64BE(this.largeAt + j * 8))
  }

  /** Every (oid, offset) pair, in oid order. */
  *entries(): Generator<[oid: string, offset: number]> {
    for (let i = 0; i < this.count; i++) yield [this.oidAt(i), this.offsetAt(i)]
  }
}
