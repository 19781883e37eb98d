/**
 * Writing packfiles (version 2): each object whole (no deltas), in the order given, so the
 * same objects always make the same bytes — what fixtures and an upload-pack server need.
 * @module
 */
import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import type { ObjectType } from './object-codec.js'

const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 }

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

export interface PackObject {
  type: ObjectType
  content: Uint8Array
}

/** A complete pack: header, entries, SHA-1 trailer. */
export function writePack(objects: readonly PackObject[]): Buffer {
  const header = Buffer.alloc(12)
  header.write('PACK', 0, 'latin1')
  header.writeUInt32BE(2, 4)
  header.writeUInt32BE(objects.length, 8)
  const parts: Buffer[] = [header]
  for (const o of objects) {
    parts.push(encodeEntryHeader(TYPE_CODES[o.type], o.content.length), deflateSync(o.content))
  }
  const body = Buffer.concat(parts)
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}
