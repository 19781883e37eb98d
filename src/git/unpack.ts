/**
 * Unpacking a small pack into loose objects, as git does below `fetch.unpackLimit`: a sync
 * of one message then costs one object file, and tiny packs do not pile up (every pack is
 * one more index to search on each lookup).
 * @module
 */
import { CorruptObjectError, LimitExceededError } from '../errors.js'
import { inflateObject } from './inflate.js'
import { applyDelta, deltaResultSize } from './delta.js'
import { OFS_DELTA, PACK_TYPES, parseEntryHeader, parseOfsDistance, REF_DELTA, type RawObject } from './pack-file.js'
import { hashObject } from './object-codec.js'
import type { ObjectStore } from './object-store.js'
import type { PackLimits } from './pack-indexer.js'
import { createHash } from 'node:crypto'

/** git's default `fetch.unpackLimit`: packs with fewer objects are unpacked. */
export const UNPACK_LIMIT = 100

/** Stores every object of `pack` (whole, in memory) as a loose object; returns their ids. */
export function unpackObjects(store: ObjectStore, pack: Buffer, limits: PackLimits): string[] {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new CorruptObjectError('pack', 'no PACK signature')
  const count = pack.readUInt32BE(8)
  if (count > limits.maxObjects) throw new LimitExceededError('pack objects', limits.maxObjects, count)
  const trailer = pack.length - 20
  if (!createHash('sha1').update(pack.subarray(0, trailer)).digest().equals(pack.subarray(trailer))) {
    throw new CorruptObjectError('pack', 'checksum mismatch (truncated or damaged)')
  }
  const byOffset = new Map<number, RawObject>()
  const ids: string[] = []
  let pos = 12
  for (let i = 0; i < count; i++) {
    if (pos >= trailer) throw new CorruptObjectError('pack', `ends after ${i} of ${count} objects`)
    const h = parseEntryHeader(pack, pos)
    if (h.size > limits.maxObjectBytes) throw new LimitExceededError('inflated object bytes', limits.maxObjectBytes, h.size)
    let at = h.next
    let base: RawObject | undefined
    if (h.type === OFS_DELTA) {
      const d = parseOfsDistance(pack, h.next)
      base = byOffset.get(pos - d.distance)
      at = d.next
    } else if (h.type === REF_DELTA) {
      const oid = pack.toString('hex', h.next, h.next + 20)
      base = store.tryRead(oid)
      at = h.next + 20
    } else if (!PACK_TYPES[h.type]) throw new CorruptObjectError(`pack entry at ${pos}`, `unknown type ${h.type}`)
    if ((h.type === OFS_DELTA || h.type === REF_DELTA) && !base) throw new CorruptObjectError(`pack entry at ${pos}`, 'delta base not found')
    const { data, used } = inflateObject(pack.subarray(at, trailer), h.size, `pack entry at ${pos}`)
    // A delta announces its result size: refuse a bomb before allocating it.
    if (base && deltaResultSize(data) > limits.maxObjectBytes) throw new LimitExceededError('inflated object bytes', limits.maxObjectBytes, deltaResultSize(data))
    const obj: RawObject = base ? { type: base.type, content: applyDelta(base.content, data) } : { type: PACK_TYPES[h.type]!, content: data }
    if (obj.content.length > limits.maxObjectBytes) throw new LimitExceededError('inflated object bytes', limits.maxObjectBytes, obj.content.length)
    byOffset.set(pos, obj)
    // A pack may repeat what we hold (a peer's branches beside the commit we share): no second
    // write, and no flush, for those.
    const id = hashObject(obj.type, obj.content)
    if (!store.has(id) && store.write(obj.type, obj.content) !== id) throw new CorruptObjectError('pack', 'object id mismatch')
    ids.push(id)
    pos = at + used
  }
  if (pos !== trailer) throw new CorruptObjectError('pack', `${trailer - pos} unexpected bytes after the last object`)
  return ids
}
