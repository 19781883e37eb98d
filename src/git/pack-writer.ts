/**
 * Writing packfiles (version 2): each object whole (no deltas), in the order given, so the
 * same objects always make the same bytes — what fixtures and an upload-pack server need.
 * @module
 */
import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import type { ObjectType } from './object-codec.js'
import { OFS_DELTA } from './pack-file.js'

const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 }
/**
 * Most swarm objects are commits and small trees. A 4 KiB window holds all of such an
 * object, so it compresses as well as with zlib's default 32 KiB, but setting the default
 * window and hash up (~256 KiB) was most of the time: 34 -> 7 us per commit.
 */
const SMALL = 4096

export function deflateEntry(content: Uint8Array): Buffer {
  if (content.length >= SMALL) return deflateSync(content)
  return deflateSync(content, { windowBits: 12, memLevel: 4, chunkSize: Math.max(64, content.length + 64) })
}

/** The variable-length entry header: type in bits 4-6 of the first byte, size in 4+7n bits. */
export function encodeEntryHeader(type: number, size: number): Buffer {
  const bytes: number[] = []
  let byte = (type << 4) | (size & 15)
  size = Math.floor(size / 16)
  while (size > 0) {
    bytes.push(byte | 0x80)
    byte = size & 0x7f
    size = Math.floor(size / 128)
  }
  bytes.push(byte)
  return Buffer.from(bytes)
}

/** The 12-byte pack header: signature, version 2, object count. */
export function packHeader(count: number): Buffer {
  const header = Buffer.alloc(12)
  header.write('PACK', 0, 'latin1')
  header.writeUInt32BE(2, 4)
  header.writeUInt32BE(count, 8)
  return header
}

/** An OFS_DELTA base's backwards distance, in git's offset encoding. */
export function encodeOfsDistance(distance: number): Buffer {
  const bytes = [distance & 0x7f]
  while ((distance = Math.floor(distance / 128)) > 0) bytes.unshift(0x80 | (--distance & 0x7f))
  return Buffer.from(bytes)
}

/** A whole object's pack entry: header and deflated content. */
export function wholeEntry(type: ObjectType, content: Uint8Array): Buffer {
  return Buffer.concat([encodeEntryHeader(TYPE_CODES[type], content.length), deflateEntry(content)])
}

/** An OFS_DELTA entry whose base starts `distance` bytes before it. */
export function ofsDeltaEntry(distance: number, delta: Uint8Array): Buffer {
  return Buffer.concat([encodeEntryHeader(OFS_DELTA, delta.length), encodeOfsDistance(distance), deflateEntry(delta)])
}

export interface PackObject {
  type: ObjectType
  content: Uint8Array
}

/**
 * A pack as a sequence of chunks — header, one chunk per object, SHA-1 trailer — so a
 * server can stream it: only one object is in memory at a time. `objects` is called lazily.
 */
export function* packChunks(count: number, objects: Iterable<PackObject>): Generator<Buffer> {
  const sha = createHash('sha1')
  const header = packHeader(count)
  sha.update(header)
  yield header
  let n = 0
  for (const o of objects) {
    const chunk = wholeEntry(o.type, o.content)
    sha.update(chunk)
    n++
    yield chunk
  }
  if (n !== count) throw new Error(`pack announced ${count} objects, wrote ${n}`)
  yield sha.digest()
}

/** A complete pack in memory: header, entries, SHA-1 trailer. */
export function writePack(objects: readonly PackObject[]): Buffer {
  return Buffer.concat([...packChunks(objects.length, objects)])
}
