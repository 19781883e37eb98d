/**
 * Indexing a received pack (what `git index-pack` does): walk its entries, inflate them,
 * resolve OFS/REF deltas (REF bases may live in the repository: thin packs), hash every
 * object and build a version 2 `.idx`. Limits on object count, inflated sizes and delta
 * depth stop a hostile pack before it costs memory.
 * @module
 */
import { createHash } from 'node:crypto'
import { crc32, inflateSync } from 'node:zlib'
import { CorruptObjectError, LimitExceededError } from '../errors.js'
import { applyDelta, deltaResultSize } from './delta.js'
import { hashObject, type ObjectType } from './object-codec.js'
import { OFS_DELTA, PACK_TYPES, parseEntryHeader, parseOfsDistance, REF_DELTA, type RawObject } from './pack-file.js'

export interface PackLimits {
  /** Most objects a pack may announce (default 1,000,000). */
  maxObjects: number
  /** Largest inflated object or delta result, in bytes (default 64 MiB). */
  maxObjectBytes: number
  /** Longest delta chain (default 4,096, above git's own maximum). */
  maxDeltaDepth: number
}

export const DEFAULT_PACK_LIMITS: PackLimits = { maxObjects: 1_000_000, maxObjectBytes: 64 * 1024 * 1024, maxDeltaDepth: 4096 }

export interface IndexedObject {
  oid: string
  type: ObjectType
  offset: number
  crc: number
}

export interface IndexedPack {
  /** The pack's trailing checksum, hex: git names the files `pack-<checksum>.{pack,idx}`. */
  checksum: string
  idx: Buffer
  objects: IndexedObject[]
}

interface Entry {
  offset: number
  end: number
  kind: number
  /** Inflated data (object content, or delta). */
  data: Buffer
  baseOffset?: number
  baseOid?: string
}

function inflateEntry(pack: Buffer, at: number, size: number, limit: number, offset: number): { data: Buffer; next: number } {
  if (size > limit) throw new LimitExceededError('inflated object bytes', limit, size)
  try {
    const { buffer, engine } = inflateSync(pack.subarray(at), { info: true, maxOutputLength: Math.max(size, 1) }) as unknown as {
      buffer: Buffer
      engine: { bytesWritten: number }
    }
    if (buffer.length !== size) throw new CorruptObjectError(`pack entry at ${offset}`, `inflated ${buffer.length} bytes, header says ${size}`)
    return { data: buffer, next: at + engine.bytesWritten }
  } catch (err) {
    if (err instanceof CorruptObjectError) throw err
    throw new CorruptObjectError(`pack entry at ${offset}`, `zlib: ${(err as Error).message}`)
  }
}

/**
 * Indexes `pack` (a whole pack in memory). `external` supplies REF_DELTA bases that are not
 * in the pack (thin packs); objects it returns are not added to the index.
 */
export function indexPack(pack: Buffer, external: (oid: string) => RawObject | undefined = () => undefined, limits: PackLimits = DEFAULT_PACK_LIMITS): IndexedPack {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new CorruptObjectError('pack', 'no PACK signature')
  const version = pack.readUInt32BE(4)
  if (version !== 2 && version !== 3) throw new CorruptObjectError('pack', `unsupported version ${version}`)
  const count = pack.readUInt32BE(8)
  if (count > limits.maxObjects) throw new LimitExceededError('pack objects', limits.maxObjects, count)
  const trailer = pack.length - 20
  const checksum = createHash('sha1').update(pack.subarray(0, trailer)).digest()
  if (!checksum.equals(pack.subarray(trailer))) throw new CorruptObjectError('pack', 'checksum mismatch (truncated or damaged)')

  const entries: Entry[] = []
  const byOffset = new Map<number, Entry>()
  let pos = 12
  for (let i = 0; i < count; i++) {
    if (pos >= trailer) throw new CorruptObjectError('pack', `ends after ${i} of ${count} objects`)
    const h = parseEntryHeader(pack, pos)
    const entry: Entry = { offset: pos, end: 0, kind: h.type, data: Buffer.alloc(0) }
    let dataAt = h.next
    if (h.type === OFS_DELTA) {
      const d = parseOfsDistance(pack, h.next)
      entry.baseOffset = pos - d.distance
      dataAt = d.next
    } else if (h.type === REF_DELTA) {
      entry.baseOid = pack.toString('hex', h.next, h.next + 20)
      dataAt = h.next + 20
    } else if (!PACK_TYPES[h.type]) {
      throw new CorruptObjectError(`pack entry at ${pos}`, `unknown type ${h.type}`)
    }
    const inflated = inflateEntry(pack, dataAt, h.size, limits.maxObjectBytes, pos)
    entry.data = inflated.data
    entry.end = inflated.next
    if (entry.kind === OFS_DELTA || entry.kind === REF_DELTA) {
      const result = deltaResultSize(entry.data)
      if (result > limits.maxObjectBytes) throw new LimitExceededError('inflated object bytes', limits.maxObjectBytes, result)
    }
    entries.push(entry)
    byOffset.set(pos, entry)
    pos = inflated.next
  }
  if (pos !== trailer) throw new CorruptObjectError('pack', `${trailer - pos} unexpected bytes after the last object`)

  // Resolve: whole objects first, then deltas whose base is known, until none is left.
  const resolved = new Map<number, RawObject & { oid: string }>()
  const byOid = new Map<string, number>()
  /** The object at `e`, or undefined while its REF_DELTA base is not resolved yet. */
  const resolve = (e: Entry, depth: number): (RawObject & { oid: string }) | undefined => {
    const done = resolved.get(e.offset)
    if (done) return done
    if (depth > limits.maxDeltaDepth) throw new LimitExceededError('delta depth', limits.maxDeltaDepth, depth)
    let obj: RawObject
    if (PACK_TYPES[e.kind]) obj = { type: PACK_TYPES[e.kind]!, content: e.data }
    else {
      let base: RawObject | undefined
      if (e.baseOffset !== undefined) {
        const b = byOffset.get(e.baseOffset)
        if (!b) throw new CorruptObjectError(`pack entry at ${e.offset}`, 'delta base offset is not an entry')
        base = resolve(b, depth + 1)
      } else {
        const inPack = byOid.get(e.baseOid!)
        base = inPack !== undefined ? resolved.get(inPack) : external(e.baseOid!)
      }
      if (!base) return undefined
      obj = { type: base.type, content: applyDelta(base.content, e.data) }
    }
    const oid = hashObject(obj.type, obj.content)
    const out = { ...obj, oid }
    resolved.set(e.offset, out)
    byOid.set(oid, e.offset)
    return out
  }
  let pending = entries
  while (pending.length > 0) {
    const next: Entry[] = []
    for (const e of pending) if (!resolve(e, 0)) next.push(e)
    if (next.length === pending.length) {
      throw new CorruptObjectError('pack', `missing delta base ${next[0]!.baseOid} (thin pack without the base)`)
    }
    pending = next
  }

  const objects: IndexedObject[] = entries.map((e) => {
    const r = resolved.get(e.offset)!
    return { oid: r.oid, type: r.type, offset: e.offset, crc: crc32(pack.subarray(e.offset, e.end)) >>> 0 }
  })
  return { checksum: checksum.toString('hex'), idx: buildIndex(objects, checksum), objects }
}

/** Pack index version 2 for the given objects. */
export function buildIndex(objects: readonly IndexedObject[], packChecksum: Buffer): Buffer {
  const sorted = [...objects].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0))
  const large = sorted.filter((o) => o.offset >= 0x80000000)
  const buf = Buffer.alloc(8 + 1024 + sorted.length * 28 + large.length * 8 + 40)
  buf.writeUInt32BE(0xff744f63, 0)
  buf.writeUInt32BE(2, 4)
  const fanout = new Array<number>(256).fill(0)
  for (const o of sorted) fanout[parseInt(o.oid.slice(0, 2), 16)]!++
  let total = 0
  for (let i = 0; i < 256; i++) buf.writeUInt32BE((total += fanout[i]!), 8 + i * 4)
  let at = 8 + 1024
  for (const o of sorted) at += buf.write(o.oid, at, 'hex')
  for (const o of sorted) (buf.writeUInt32BE(o.crc, at), (at += 4))
  let li = 0
  for (const o of sorted) {
    buf.writeUInt32BE(o.offset < 0x80000000 ? o.offset : (0x80000000 | li++) >>> 0, at)
    at += 4
  }
  for (const o of large) (buf.writeBigUInt64BE(BigInt(o.offset), at), (at += 8))
  at += packChecksum.copy(buf, at)
  createHash('sha1').update(buf.subarray(0, at)).digest().copy(buf, at)
  return buf
}
