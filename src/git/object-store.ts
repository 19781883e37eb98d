/**
 * The object database of one repository: loose objects plus packs, read synchronously (an
 * object read is a few microseconds; promises would cost more than the read), written as
 * loose objects with node:crypto SHA-1 and zlib — 6x faster than isomorphic-git's path.
 * Every object read is checked against its id, so a corrupted file never passes for valid.
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { CorruptObjectError, NotFoundError } from '../errors.js'
import { faultPoint } from '../util/fault-points.js'
import { defaultDurability, syncDir, writeNewFile, type Durability } from './durability.js'
import { inflateLoose } from './inflate.js'
import { hashObject, isOid, type ObjectType } from './object-codec.js'
import { PackFile, type RawObject } from './pack-file.js'
import { PackIndex } from './pack-index.js'
import { zlibStored } from './zlib-stored.js'

const TYPES = new Set(['commit', 'tree', 'blob', 'tag'])
let tmpCounter = 0
/** Temp names differ between processes even when a restarted process gets a crashed one's pid. */
const TMP_TAG = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`
/** Below this, objects (commits, small trees and blobs) are stored without compression. */
const STORE_BELOW = 4096

export interface ObjectStoreOptions {
  /** Check each object read against its id (default true). */
  verifyReads?: boolean
  /** Refuse loose objects inflating past this many bytes (default 64 MiB). */
  maxObjectSize?: number
  /** How far writes are flushed before they count as done (./durability.ts; default 'full'). */
  durability?: Durability
}

/** Timestamps closer than this to a listing are not trusted to have moved (coarse file systems). */
const RACY_MS = 2000

export class ObjectStore {
  readonly objectsDir: string
  private packs: Array<{ file: PackFile; index: PackIndex }> = []
  private packNames = new Set<string>()
  /** The pack directory's mtime at the last listing, and whether that listing can be reused. */
  private listing: { mtimeMs: number; trusted: boolean } | undefined
  private readonly cache = new Map<string, RawObject>()
  private readonly verifyReads: boolean
  private readonly maxObjectSize: number
  readonly durability: Durability
  /** Directories that gained names since the last flush() (fan-out directories, objects/, pack/). */
  private readonly unsyncedDirs = new Set<string>()

  constructor(readonly gitdir: string, options: ObjectStoreOptions = {}) {
    this.objectsDir = join(gitdir, 'objects')
    this.verifyReads = options.verifyReads ?? true
    this.maxObjectSize = options.maxObjectSize ?? 64 * 1024 * 1024
    this.durability = options.durability ?? defaultDurability()
    this.scanPacks()
  }

  /**
   * Picks up packs added since the last scan (after a fetch, or by another process). A miss
   * calls it with `force` false: the directory is listed again only if its mtime moved, or if
   * the last listing was too close to that mtime to be trusted (git's "racy" rule: a pack added
   * within the file system's timestamp granularity of our listing could leave the mtime as it
   * was, so such a listing is never reused).
   */
  scanPacks(force = true): boolean {
    const dir = join(this.objectsDir, 'pack')
    let mtimeMs: number
    try {
      mtimeMs = statSync(dir).mtimeMs
    } catch {
      return false
    }
    if (!force && this.listing && this.listing.mtimeMs === mtimeMs && this.listing.trusted) return false
    this.listing = { mtimeMs, trusted: Date.now() - mtimeMs > RACY_MS }
    let added = false
    const present = new Set(readdirSync(dir).filter((name) => name.endsWith('.idx')))
    for (const name of present) {
      if (this.packNames.has(name)) continue
      const packPath = join(dir, name.slice(0, -4) + '.pack')
      try {
        const index = new PackIndex(readFileSync(join(dir, name)), name)
        this.packs.push({ file: new PackFile(packPath, index), index })
      } catch (err) {
        // A pack being installed has its index last; one being removed loses its index first.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw err
      }
      this.packNames.add(name)
      added = true
    }
    // Packs folded away by a repack: their objects are in a newer pack, listed above.
    for (const pack of this.packs.filter((p) => !present.has(p.index.name))) {
      pack.file.close()
      this.packNames.delete(pack.index.name)
    }
    if (this.packs.length > this.packNames.size) this.packs = this.packs.filter((p) => this.packNames.has(p.index.name))
    return added
  }

  /** The ids held by the pack whose index is `idxPath` (repack folds them into a new pack). */
  packedIds(idxPath: string): string[] {
    const name = idxPath.slice(idxPath.lastIndexOf('/') + 1)
    const index = this.packs.find((p) => p.index.name === name)?.index ?? new PackIndex(readFileSync(idxPath), name)
    return [...index.entries()].map(([oid]) => oid)
  }

  close(): void {
    for (const p of this.packs) p.file.close()
    this.packs = []
    this.packNames.clear()
    this.listing = undefined
    this.cache.clear()
  }

  private loosePath(oid: string): string {
    return join(this.objectsDir, oid.slice(0, 2), oid.slice(2))
  }

  has(oid: string): boolean {
    if (this.cache.has(oid) || this.packs.some((p) => p.index.find(oid) !== undefined)) return true
    if (existsSync(this.loosePath(oid))) return true
    return this.scanPacks(false) && this.packs.some((p) => p.index.find(oid) !== undefined)
  }

  /**
   * A quick `has` for many lookups at once (a negotiation's haves): each fan-out directory is
   * listed once, and packs are not listed again, so a miss costs no system call. It may miss
   * objects written after the call (as git's loose-object cache may): use it only where a
   * false "absent" is harmless.
   */
  quickHas(): (oid: string) => boolean {
    const listed = new Map<string, Set<string>>()
    return (oid) => {
      if (this.cache.has(oid) || this.packs.some((p) => p.index.find(oid) !== undefined)) return true
      const fan = oid.slice(0, 2)
      let names = listed.get(fan)
      if (!names) {
        try {
          names = new Set(readdirSync(join(this.objectsDir, fan)))
        } catch {
          names = new Set()
        }
        listed.set(fan, names)
      }
      return names.has(oid.slice(2))
    }
  }

  /** Reads an object or returns undefined when it is absent; throws CorruptObjectError if damaged. */
  tryRead(oid: string): RawObject | undefined {
    if (!isOid(oid)) return undefined
    const cached = this.cache.get(oid)
    if (cached) return cached
    // Packs first: a pack lookup is an in-memory binary search, a missing loose file a failed open.
    const obj = this.readPacked(oid) ?? this.readLoose(oid) ?? (this.scanPacks(false) ? this.readPacked(oid) : undefined)
    if (!obj) return undefined
    if (this.verifyReads && hashObject(obj.type, obj.content) !== oid) {
      throw new CorruptObjectError(`object ${oid}`, 'content does not hash to its id')
    }
    // Commits are cached by their parsed views upstream; trees and small blobs are reused here.
    if (obj.type === 'tree' || (obj.type === 'blob' && obj.content.length < 4096)) this.remember(oid, obj)
    return obj
  }

  read(oid: string, expectedType?: ObjectType): RawObject {
    const obj = this.tryRead(oid)
    if (!obj) throw new NotFoundError(`object ${oid}`, { oid })
    if (expectedType && obj.type !== expectedType) {
      throw new CorruptObjectError(`object ${oid}`, `is a ${obj.type}, expected a ${expectedType}`)
    }
    return obj
  }

  private readLoose(oid: string): RawObject | undefined {
    let compressed: Buffer
    try {
      compressed = readFileSync(this.loosePath(oid))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new CorruptObjectError(`object ${oid}`, `unreadable: ${(err as Error).message}`)
    }
    const raw = inflateLoose(compressed, this.maxObjectSize + 64, `object ${oid}`)
    const nul = raw.indexOf(0)
    const header = nul > 0 ? raw.toString('latin1', 0, nul) : ''
    const sp = header.indexOf(' ')
    const type = header.slice(0, sp)
    const size = Number(header.slice(sp + 1))
    if (sp < 0 || !TYPES.has(type) || !Number.isInteger(size) || size !== raw.length - nul - 1) {
      throw new CorruptObjectError(`object ${oid}`, 'malformed loose object header')
    }
    return { type: type as ObjectType, content: raw.subarray(nul + 1) }
  }

  private readPacked(oid: string): RawObject | undefined {
    for (const pack of this.packs) {
      const offset = pack.index.find(oid)
      if (offset !== undefined) return pack.file.read(offset, (base) => this.tryRead(base))
    }
    return undefined
  }

  private remember(oid: string, obj: RawObject): void {
    if (this.cache.size >= 4096) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(oid, obj)
  }

  /** Stores an object as a loose file (atomic rename) and returns its id. */
  write(type: ObjectType, content: Uint8Array): string {
    const oid = hashObject(type, content)
    if (this.cache.has(oid)) return oid
    const path = this.loosePath(oid)
    // A new commit is (almost surely) not stored yet: skip the stat; a rename over an equal file is harmless.
    if (type === 'commit' || !existsSync(path)) {
      const dir = join(this.objectsDir, oid.slice(0, 2))
      const tmp = join(dir, `tmp_obj_${TMP_TAG}_${++tmpCounter}`)
      const framed = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content])
      // Small objects fill one filesystem block either way; compressing them only costs time.
      const data = framed.length < STORE_BELOW ? zlibStored(framed) : deflateSync(framed)
      const full = this.durability === 'full'
      try {
        writeNewFile(tmp, data, full, path)
      } catch (err) {
        // The fan-out directory does not exist yet, or `git gc` pruned it as empty.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        mkdirSync(dir, { recursive: true })
        this.unsyncedDirs.add(this.objectsDir)
        writeNewFile(tmp, data, full, path)
      }
      faultPoint('object:temp-written', this.gitdir)
      renameSync(tmp, path)
      this.unsyncedDirs.add(dir)
      faultPoint('object:renamed', this.gitdir)
    }
    this.remember(oid, { type, content: Buffer.from(content) })
    return oid
  }

  /** Notes a directory that gained a name outside write() (a pack moved in), for the next flush. */
  touched(dir: string): void {
    this.unsyncedDirs.add(dir)
  }

  /**
   * Makes every name given since the last call durable (full durability): the ref store calls
   * it before moving a ref, so a ref never reaches the disk ahead of the objects it names.
   */
  flush(): void {
    if (this.unsyncedDirs.size === 0) return
    if (this.durability === 'full') {
      // Parents after children: a new fan-out directory's own name lives in objects/.
      for (const dir of [...this.unsyncedDirs].sort((a, b) => b.length - a.length)) syncDir(dir)
    }
    this.unsyncedDirs.clear()
  }
}
