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
