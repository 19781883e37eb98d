/**
 * SHA3-512 of files, streamed (Jami's fileutils::sha3File: lower-case hex, 128 digits), so a
 * file larger than memory is hashed in bounded space.
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

const READ_CHUNK = 1 << 20

/** Hex SHA3-512 of the bytes of `path` (of its first `length` bytes, when given). */
export async function sha3File(path: string, length?: number): Promise<string> {
  const hash = createHash('sha3-512')
  if (length === 0) return hash.digest('hex')
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK, ...(length !== undefined ? { start: 0, end: length - 1 } : {}) })
  for await (const chunk of stream) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Hex SHA3-512 of bytes in memory. */
export function sha3(bytes: Uint8Array): string {
  return createHash('sha3-512').update(bytes).digest('hex')
}
