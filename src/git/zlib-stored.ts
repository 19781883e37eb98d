/**
 * A zlib stream of stored (uncompressed) deflate blocks, RFC 1950/1951, as git writes loose
 * objects with `core.looseCompression 0`. A commit is mostly a base64 signature and barely
 * compresses, while node:zlib costs ~40 µs per call to set a stream up: this costs ~1 µs.
 * @module
 */

const MAX_BLOCK = 0xffff

/** Adler-32 of `data` (RFC 1950 §8). */
export function adler32(data: Uint8Array): number {
  let a = 1
  let b = 0
  // 5552 is the largest run whose sums cannot overflow before the modulo (zlib's NMAX).
  for (let start = 0; start < data.length; start += 5552) {
    const end = Math.min(start + 5552, data.length)
    for (let i = start; i < end; i++) {
      a += data[i]!
      b += a
    }
    a %= 65521
    b %= 65521
  }
  return ((b << 16) | a) >>> 0
}

/** `data` wrapped as a valid zlib stream without compression; any inflater reads it back. */
export function zlibStored(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK))
  const out = Buffer.allocUnsafe(2 + blocks * 5 + data.length + 4)
  out[0] = 0x78 // deflate, 32 KiB window
  out[1] = 0x01 // no dictionary, fastest level; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2
  for (let i = 0; i < blocks; i++) {
    const chunk = data.subarray(i * MAX_BLOCK, (i + 1) * MAX_BLOCK)
    out[at] = i === blocks - 1 ? 1 : 0 // BFINAL, BTYPE 00 (stored)
    out.writeUInt16LE(chunk.length, at + 1)
    out.writeUInt16LE(~chunk.length & 0xffff, at + 3)
    out.set(chunk, at + 5)
    at += 5 + chunk.length
  }
  out.writeUInt32BE(adler32(data), at)
  return out
}

/**
 * The data of a zlib stream made only of stored blocks with a correct Adler-32 and nothing
 * after it, or undefined for anything else (compressed blocks, damage): the caller then
 * inflates it with zlib, which reports damage precisely. Never accepts what zlib rejects.
 */
export function readZlibStored(z: Buffer): Buffer | undefined {
  if (z.length < 11 || z[0] !== 0x78 || ((z[0] << 8) | z[1]!) % 31 !== 0 || z[1]! & 0x20) return undefined
  const parts: Buffer[] = []
  let at = 2
  for (;;) {
    if (at + 5 > z.length) return undefined
    const head = z[at]!
    if ((head & 0x06) !== 0 || head > 1) return undefined // not a stored block (BTYPE 00), or stray bits
    const len = z.readUInt16LE(at + 1)
    if ((~len & 0xffff) !== z.readUInt16LE(at + 3) || at + 5 + len > z.length) return undefined
    parts.push(z.subarray(at + 5, at + 5 + len))
    at += 5 + len
    if (head === 1) break
  }
  if (at + 4 !== z.length) return undefined
  const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  return adler32(data) === z.readUInt32BE(at) ? data : undefined
}
