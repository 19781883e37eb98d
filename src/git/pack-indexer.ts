/**
 * Indexing a received pack (what `git index-pack` does), from a file and in bounded memory:
 * a first pass walks the entries, hashing whole objects and noting deltas; a second resolves
 * deltas through a PackFile reader (OFS chains, REF bases in the pack or in the repository
 * for thin packs). Limits on object count, inflated size and delta depth stop a hostile pack
 * before it costs memory: nothing larger than one object (≤ maxObjectBytes) is ever held.
 * @module
 */
import { createHash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { CorruptObjectError, LimitExceededError } from '../errors.js'
import { inflateObject } from './inflate.js'
import { deltaResultSize } from './delta.js'
import { hashObject, type ObjectType } from './object-codec.js'
import { OFS_DELTA, PackFile, PACK_TYPES, parseEntryHeader, parseOfsDistance, REF_DELTA, type RawObject } from './pack-file.js'

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
  kind: number
  crc: number
  oid?: string
  type?: ObjectType
  baseOid?: string
}

/** Reads `[start, start+length)` of an open file (short at the end of the file). */
function readAt(fd: number, start: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length)
  let got = 0
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, start + got)
    if (n === 0) break
    got += n
  }
  return buf.subarray(0, got)
}

/**
 * Indexes the pack at `path`. `external` supplies REF_DELTA bases that are not in the pack
 * (thin packs); objects it returns are not added to the index.
 */
export function indexPackFile(path: string, external: (oid: string) => RawObject | undefined = () => undefined, limits: PackLimits = DEFAULT_PACK_LIMITS): IndexedPack {
  const fd = openSync(path, 'r')
  let reader: PackFile | undefined
  try {
    const size = fstatSync(fd).size
    const head = readAt(fd, 0, 12)
    if (size < 32 || head.toString('latin1', 0, 4) !== 'PACK') throw new CorruptObjectError('pack', 'no PACK signature')
    const version = head.readUInt32BE(4)
    if (version !== 2 && version !== 3) throw new CorruptObjectError('pack', `unsupported version ${version}`)
    const count = head.readUInt32BE(8)
    if (count > limits.maxObjects) throw new LimitExceededError('pack objects', limits.maxObjects, count)
    const trailer = size - 20
    const sha = createHash('sha1')
    for (let at = 0; at < trailer; at += 1 << 20) sha.update(readAt(fd, at, Math.min(1 << 20, trailer - at)))
    const checksum = sha.digest()
    if (!checksum.equals(readAt(fd, trailer, 20))) throw new CorruptObjectError('pack', 'checksum mismatch (truncated or damaged)')

    // Pass 1: entry boundaries, whole objects hashed, deltas noted.
    const entries: Entry[] = []
    const byOid = new Map<string, number>()
    let pos = 12
    for (let i = 0; i < count; i++) {
      if (pos >= trailer) throw new CorruptObjectError('pack', `ends after ${i} of ${count} objects`)
      const probe = readAt(fd, pos, Math.min(64, trailer - pos))
      const h = parseEntryHeader(probe, 0)
      if (h.size > limits.maxObjectBytes) throw new LimitExceededError('inflated object bytes', limits.maxObjectBytes, h.size)
      let dataAt = h.next
      const entry: Entry = { offset: pos, kind: h.type, crc: 0 }
      if (h.type === OFS_DELTA) dataAt = parseOfsDistance(probe, h.next).next
      else if (h.type === REF_DELTA) {
        entry.baseOid = probe.toString('hex', h.next, h.next + 20)
        dataAt = h.next + 20
      } else if (!PACK_TYPES[h.type]) throw new CorruptObjectError(`pack entry at ${pos}`, `unknown type ${h.type}`)
      // The largest a zlib stream of `size` bytes can be: 5 bytes per 16 KiB stored block + header and trailer.
      const worst = dataAt + h.size + 5 * (Math.floor(h.size / 16384) + 1) + 16
      const raw = readAt(fd, pos, Math.min(worst, trailer - pos))
      const { data, used } = inflateObject(raw.subarray(dataAt), h.size, `pack entry at ${pos}`)
      if (PACK_TYPES[h.type]) {
        entry.type = PACK_TYPES[h.type]!
        entry.oid = hashObject(entry.type, data)
        byOid.set(entry.oid, pos)
      } else {
        const result = deltaResultSize(data)
        if (result > limits.maxObjectBytes) throw new LimitExceededError('inflated object bytes', limits.maxObjectBytes, result)
      }
      entry.crc = crc32(raw.subarray(0, dataAt + used)) >>> 0
      entries.push(entry)
      pos += dataAt + used
    }
    if (pos !== trailer) throw new CorruptObjectError('pack', `${trailer - pos} unexpected bytes after the last object`)

    // Pass 2: deltas, in rounds (a REF base may itself be a delta resolved in an earlier round).
    reader = new PackFile(path, { find: (oid) => byOid.get(oid) })
    let pending = entries.filter((e) => !e.oid)
    while (pending.length > 0) {
      const next: Entry[] = []
      for (const e of pending) {
        if (e.baseOid && !byOid.has(e.baseOid) && !external(e.baseOid)) {
          next.push(e)
          continue
        }
        const obj = reader.read(e.offset, external, limits.maxDeltaDepth)
        e.type = obj.type
        e.oid = hashObject(obj.type, obj.content)
        byOid.set(e.oid, e.offset)
      }
      if (next.length === pending.length) throw new CorruptObjectError('pack', `missing delta base ${next[0]!.baseOid} (thin pack without its base)`)
      pending = next
    }
    const objects = entries.map((e) => ({ oid: e.oid!, type: e.type!, offset: e.offset, crc: e.crc }))
    return { checksum: checksum.toString('hex'), idx: buildIndex(objects, checksum), objects }
  } finally {
    reader?.close()
    closeSync(fd)
  }
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
