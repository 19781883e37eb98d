/**
 * Git's delta format (OFS_DELTA / REF_DELTA payloads): a varint base size, a varint result
 * size, then copy (high bit set) and insert instructions.
 * @module
 */
import { CorruptObjectError } from '../errors.js'

function readVarint(delta: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0
  let shift = 0
  let byte: number
  do {
    if (pos >= delta.length) throw new CorruptObjectError('delta', 'truncated size')
    byte = delta[pos++]!
    value += (byte & 0x7f) * 2 ** shift
    shift += 7
  } while (byte & 0x80)
  return [value, pos]
}

/** Result size announced by a delta, read without applying it (for limits). */
export function deltaResultSize(delta: Uint8Array): number {
  const [, pos] = readVarint(delta, 0)
  return readVarint(delta, pos)[0]
}

export function applyDelta(base: Uint8Array, delta: Uint8Array): Buffer {
  let [baseSize, pos] = readVarint(delta, 0)
  if (baseSize !== base.length) throw new CorruptObjectError('delta', `base size ${base.length}, delta expects ${baseSize}`)
  let resultSize: number
  ;[resultSize, pos] = readVarint(delta, pos)
  const out = Buffer.allocUnsafe(resultSize)
  let outPos = 0
  while (pos < delta.length) {
    const op = delta[pos++]!
    if (op & 0x80) {
      let offset = 0
      let size = 0
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset |= delta[pos++]! << (8 * i)
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) size |= delta[pos++]! << (8 * i)
      offset >>>= 0
      if (size === 0) size = 0x10000
      if (offset + size > base.length || outPos + size > resultSize) {
        throw new CorruptObjectError('delta', 'copy out of bounds')
      }
      out.set(base.subarray(offset, offset + size), outPos)
      outPos += size
    } else if (op !== 0) {
      if (pos + op > delta.length || outPos + op > resultSize) throw new CorruptObjectError('delta', 'insert out of bounds')
      out.set(delta.subarray(pos, pos + op), outPos)
      pos += op
      outPos += op
    } else {
      throw new CorruptObjectError('delta', 'reserved opcode 0')
    }
  }
  if (outPos !== resultSize) throw new CorruptObjectError('delta', `result is ${outPos} bytes, expected ${resultSize}`)
  return out
}

/** Bytes hashed per index entry, as git's diff-delta (shorter matches are not worth a copy op). */
const BLOCK = 16
const MUL = 0x01000193

/** Hash of base[i..i+BLOCK), computed whole (index) or rolled (scan) with the same polynomial. */
function blockHash(buf: Uint8Array, at: number): number {
  let h = 0
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, MUL) + buf[at + i]!) | 0
  return h
}
/** MUL^(BLOCK-1): what the byte leaving the window weighs in the rolling hash. */
const OUT_WEIGHT = (() => {
  let w = 1
  for (let i = 0; i < BLOCK - 1; i++) w = Math.imul(w, MUL)
  return w
})()

function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 128)
  }
  out[at++] = value
  return at
}

/** An index of a delta base, reusable against many targets (the repack window tries several). */
export class DeltaIndex {
  /** Open table of block positions + 1 by hash; a collision only costs a failed match. */
  private readonly table: Int32Array
  private readonly mask: number

  constructor(readonly base: Uint8Array) {
    const blocks = Math.max(1, Math.floor(base.length / BLOCK))
    let size = 16
    while (size < blocks * 2) size *= 2
    this.table = new Int32Array(size)
    this.mask = size - 1
    // Aligned blocks, later ones first so the earliest occurrence wins (as git's).
    for (let at = Math.floor((base.length - BLOCK) / BLOCK) * BLOCK; at >= 0; at -= BLOCK) this.table[blockHash(base, at) & this.mask] = at + 1
  }

  /**
   * A delta turning the base into `target` (git's format: copy and insert instructions), or
   * undefined when it would exceed `maxSize` bytes (then storing the object whole is better).
   */
  delta(target: Uint8Array, maxSize = target.length): Buffer | undefined {
    const base = this.base
    const limit = Math.floor(Math.min(maxSize, target.length + (target.length >> 6) + 32))
    if (limit < 8) return undefined
    // Room for one instruction past the limit, so writes never check bounds mid-instruction.
    const out = Buffer.allocUnsafe(limit + 160)
    let o = writeVarint(out, 0, base.length)
    o = writeVarint(out, o, target.length)
    let insertFrom = 0 // target bytes since the last copy, not yet emitted
    const flushInsert = (end: number): boolean => {
      for (let at = insertFrom; at < end; at += 127) {
        const n = Math.min(127, end - at)
        if (o + 1 + n > limit) return false
        out[o++] = n
        for (let i = 0; i < n; i++) out[o++] = target[at + i]!
      }
      return true
    }
    let pos = 0
    let h = target.length >= BLOCK ? blockHash(target, 0) : 0
    while (pos + BLOCK <= target.length) {
      // Inserts pending so far must fit: give up early on a hopeless base.
      if (o + (pos - insertFrom) + ((pos - insertFrom) / 127 + 1) > limit) return undefined
      const slot = this.table[h & this.mask]!
      let length = 0
      let from = 0
      if (slot !== 0) {
        from = slot - 1
        while (from + length < base.length && pos + length < target.length && base[from + length] === target[pos + length]) length++
      }
      if (length >= BLOCK) {
        // Grow the match backwards over bytes that would otherwise be inserted.
        while (from > 0 && pos > insertFrom && base[from - 1] === target[pos - 1]) (from--, pos--, length++)
        if (!flushInsert(pos)) return undefined
        for (let done = 0; done < length; ) {
          const size = Math.min(0x10000, length - done)
          const offset = from + done
          const op = o++
          out[op] = 0x80
          for (let i = 0; i < 4; i++) {
            const byte = (offset >>> (8 * i)) & 0xff
            if (byte) (out[o++] = byte), (out[op] |= 1 << i)
          }
          if (size !== 0x10000) {
            for (let i = 0; i < 3; i++) {
              const byte = (size >>> (8 * i)) & 0xff
              if (byte) (out[o++] = byte), (out[op] |= 0x10 << i)
            }
          }
          done += size
          if (o > limit) return undefined
        }
        pos += length
        insertFrom = pos
        if (pos + BLOCK <= target.length) h = blockHash(target, pos)
        continue
      }
      if (pos + BLOCK < target.length) h = (Math.imul(h - Math.imul(target[pos]!, OUT_WEIGHT), MUL) + target[pos + BLOCK]!) | 0
      pos++
    }
    if (!flushInsert(target.length) || o > limit) return undefined
    return Buffer.from(out.subarray(0, o))
  }
}
