/**
 * Random access to objects in a `.pack` through its index: positional reads of exactly one
 * entry (no whole-pack buffering), zlib inflation, OFS_DELTA / REF_DELTA resolution with a
 * small cache of delta bases.
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { CorruptObjectError, LimitExceededError } from '../errors.js'
import { inflateObject } from './inflate.js'
import { applyDelta } from './delta.js'
import type { ObjectType } from './object-codec.js'
/** What PackFile needs of an index: where an object is. */
export interface PackLookup {
  find(oid: string): number | undefined
}

export const PACK_TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }
export const OFS_DELTA = 6
export const REF_DELTA = 7
const MAX_CHAIN = 10_000
const BASE_CACHE_BYTES = 16 * 1024 * 1024

export interface RawObject {
  type: ObjectType
  content: Buffer
}

/** Parses a pack entry header at `pos`: type, inflated size and where the data starts. */
export function parseEntryHeader(buf: Uint8Array, pos: number): { type: number; size: number; next: number } {
  let byte = buf[pos++]!
  const type = (byte >> 4) & 7
  let size = byte & 15
  let shift = 4
  while (byte & 0x80) {
    if (pos >= buf.length) throw new CorruptObjectError('pack', 'truncated entry header')
    byte = buf[pos++]!
    size += (byte & 0x7f) * 2 ** shift
    shift += 7
  }
  return { type, size, next: pos }
}

/** Decodes the backwards distance of an OFS_DELTA base. */
export function parseOfsDistance(buf: Uint8Array, pos: number): { distance: number; next: number } {
  let byte = buf[pos++]!
  let distance = byte & 0x7f
  while (byte & 0x80) {
    if (pos >= buf.length) throw new CorruptObjectError('pack', 'truncated delta offset')
    byte = buf[pos++]!
    distance = (distance + 1) * 128 + (byte & 0x7f)
  }
  return { distance, next: pos }
}

/** Packs up to this size are read into memory once; larger ones are read entry by entry. */
const BUFFER_LIMIT = 64 * 1024 * 1024

export class PackFile {
  private fd: number
  private readonly size: number
  private whole: Buffer | undefined
  private reads = 0
  /** Resolved objects by offset, so delta chains are walked once (bounded by bytes). */
  private readonly baseCache = new Map<number, RawObject & { depth: number }>()
  private baseCacheBytes = 0

  constructor(readonly path: string, readonly index: PackLookup) {
    this.fd = openSync(path, 'r')
    this.size = fstatSync(this.fd).size
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
    this.whole = undefined
  }

  /**
   * The bytes of the entry at `start`, possibly followed by later bytes (zlib stops at its
   * stream's end). A pack read many times is buffered whole; otherwise one or two positional
   * reads fetch at most the largest size its zlib stream can have.
   */
  private entry(start: number): Buffer {
    if (start < 12 || start >= this.size - 20) throw new CorruptObjectError(this.path, `bad entry offset ${start}`)
    const limit = this.size - 20
    if (this.whole || (this.size <= BUFFER_LIMIT && ++this.reads > 256)) {
      this.whole ??= this.readAll()
      return this.whole.subarray(start, limit)
    }
    let buf = this.readRange(start, Math.min(limit, start + 4096))
    const h = parseEntryHeader(buf, 0)
    // Deflate's worst case: 5 bytes per 16 KiB stored block plus the zlib header and trailer.
    const needed = h.next + 20 + h.size + 5 * (Math.floor(h.size / 16384) + 1) + 16
    if (needed > buf.length && start + buf.length < limit) buf = this.readRange(start, Math.min(limit, start + needed))
    return buf
  }

  private readRange(start: number, end: number): Buffer {
    if (start < 12 || end > this.size || end <= start) throw new CorruptObjectError(this.path, `bad entry range ${start}..${end}`)
    const buf = Buffer.allocUnsafe(end - start)
    let got = 0
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, start + got)
      if (n === 0) throw new CorruptObjectError(this.path, 'unexpected end of pack')
      got += n
    }
    return buf
  }

  private readAll(): Buffer {
    const buf = Buffer.allocUnsafe(this.size)
    let got = 0
    while (got < this.size) {
      const n = readSync(this.fd, buf, got, this.size - got, got)
      if (n === 0) throw new CorruptObjectError(this.path, 'unexpected end of pack')
      got += n
    }
    return buf
  }

  /**
   * Reads the object at `offset`. `external` resolves REF_DELTA bases that live elsewhere
   * (thin packs are never stored, but a REF_DELTA may point into the same pack).
   */
  read(offset: number, external: (oid: string) => RawObject | undefined, maxChain = MAX_CHAIN): RawObject {
    const chain: Array<{ offset: number; delta: Buffer }> = []
    let pos = offset
    let base: RawObject | undefined
    let baseDepth = 0 // of a cached base: a chain's length is counted through the cache
    for (let depth = 0; depth < maxChain; depth++) {
      const cached = this.baseCache.get(pos)
      if (cached) {
        base = cached
        baseDepth = cached.depth
        break
      }
      const raw = this.entry(pos)
      const h = parseEntryHeader(raw, 0)
      if (PACK_TYPES[h.type]) {
        base = { type: PACK_TYPES[h.type]!, content: this.inflate(raw, h.next, h.size) }
        if (chain.length > 0) this.remember(pos, base, 0)
        break
      }
      if (h.type === OFS_DELTA) {
        const d = parseOfsDistance(raw, h.next)
        chain.push({ offset: pos, delta: this.inflate(raw, d.next, h.size) })
        if (d.distance <= 0 || d.distance > pos) throw new CorruptObjectError(this.path, 'delta base before pack start')
        pos -= d.distance
      } else if (h.type === REF_DELTA) {
        const baseOid = raw.toString('hex', h.next, h.next + 20)
        chain.push({ offset: pos, delta: this.inflate(raw, h.next + 20, h.size) })
        const inPack = this.index.find(baseOid)
        if (inPack !== undefined) {
          pos = inPack
          continue
        }
        base = external(baseOid)
        if (!base) throw new CorruptObjectError(this.path, `missing delta base ${baseOid}`)
        break
      } else {
        throw new CorruptObjectError(this.path, `unknown entry type ${h.type}`)
      }
    }
    if (!base) throw new LimitExceededError('delta depth', maxChain, maxChain + 1)
    if (baseDepth + chain.length > maxChain) throw new LimitExceededError('delta depth', maxChain, baseDepth + chain.length)
    let content = base.content
    for (let i = chain.length - 1; i >= 0; i--) {
      content = applyDelta(content, chain[i]!.delta)
      // Every step may be the base of a later read (git stores older objects as deltas of newer).
      if (i > 0) this.remember(chain[i]!.offset, { type: base.type, content }, baseDepth + chain.length - i)
    }
    return { type: base.type, content }
  }

  private inflate(raw: Buffer, at: number, size: number): Buffer {
    return inflateObject(raw.subarray(at), size, this.path).data
  }

  private remember(offset: number, obj: RawObject, depth: number): void {
    if (this.baseCache.has(offset)) return
    this.baseCache.set(offset, { ...obj, depth })
    this.baseCacheBytes += obj.content.length
    while (this.baseCacheBytes > BASE_CACHE_BYTES && this.baseCache.size > 1) {
      const [oldest, evicted] = this.baseCache.entries().next().value!
      this.baseCache.delete(oldest)
      this.baseCacheBytes -= evicted.content.length
    }
  }
}
