/**
 * Inflating git objects. Node's sync inflate allocates a 16 KiB output chunk per call by
 * default: for the typical 300-byte commit that is garbage and 60 % of the time. When the
 * size is known (pack entries) the chunk is the object; loose objects written by gitswarm
 * are stored blocks (./zlib-stored.ts) and are read without zlib at all.
 * @module
 */
import { inflateSync } from 'node:zlib'
import { CorruptObjectError } from '../errors.js'
import { readZlibStored } from './zlib-stored.js'

/** Output chunks above this are allocated in pieces: a header's size is not trusted with memory. */
const MAX_CHUNK = 1 << 20
const MIN_CHUNK = 64 // node:zlib's smallest

/**
 * Inflates the zlib stream at the start of `input` (more may follow it, as in a pack) that
 * must yield exactly `size` bytes. Returns the data and the compressed bytes it used.
 * Throws CorruptObjectError naming `what` on a bad stream or a size mismatch.
 */
export function inflateObject(input: Buffer, size: number, what: string): { data: Buffer; used: number } {
  let data: Buffer
  let used: number
  try {
    const chunkSize = Math.max(MIN_CHUNK, Math.min(size, MAX_CHUNK))
    const r = inflateSync(input, { info: true, chunkSize, maxOutputLength: Math.max(size, MIN_CHUNK) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } }
    ;[data, used] = [r.buffer, r.engine.bytesWritten]
  } catch (err) {
    throw new CorruptObjectError(what, `zlib: ${(err as Error).message}`)
  }
  if (data.length !== size) throw new CorruptObjectError(what, `inflated ${data.length} bytes, header says ${size}`)
  return { data, used }
}

/** Inflates a whole loose object file (size unknown until its header is read), at most `max` bytes. */
export function inflateLoose(compressed: Buffer, max: number, what: string): Buffer {
  const stored = readZlibStored(compressed)
  if (stored) {
    if (stored.length > max) throw new CorruptObjectError(what, `zlib: larger than ${max} bytes`)
    return stored
  }
  try {
    // Deflated objects mostly shrink to a third or more: one chunk usually holds them.
    const chunkSize = Math.max(MIN_CHUNK, Math.min(compressed.length * 4, MAX_CHUNK, max))
    return inflateSync(compressed, { chunkSize, maxOutputLength: Math.max(max, MIN_CHUNK) })
  } catch (err) {
    throw new CorruptObjectError(what, `zlib: ${(err as Error).message}`)
  }
}
