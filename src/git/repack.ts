/**
 * Repacking (what `git gc` does for objects, incrementally): the loose objects go into one new
 * pack with deltas, and once that pack and its index are on disk — flushed whatever the
 * durability setting, since the loose copies are about to go — the loose files it holds are
 * removed. When packs pile up (more than `maxPacks`) they are folded into the new one too.
 *
 * Safe beside other readers and writers, in this process or others: nothing is removed before
 * its new copy is durable and visible (pack renamed before its index, readers find packs by
 * their index and list the directory again on a miss); only files this run packed are removed,
 * so an object written meanwhile stays loose; fan-out directories are kept (a writer may be
 * about to rename into one). Two repacks exclude each other with `gitswarm/gc.lock`.
 * @module
 */
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { LockedError } from '../errors.js'
import { faultPoint } from '../util/fault-points.js'
import { DeltaIndex } from './delta.js'
import { syncDir, syncFile, writeNewFile } from './durability.js'
import { parseCommit, type ObjectType } from './object-codec.js'
import { buildIndex, type IndexedObject } from './pack-indexer.js'
import { ofsDeltaEntry, packHeader, wholeEntry } from './pack-writer.js'
import type { Repository } from './repository.js'

export interface RepackOptions {
  /** Fold every existing pack into the new one too (default: only when more than maxPacks). */
  all?: boolean
  /** Most packs kept before they are folded together (default 8). */
  maxPacks?: number
  /** How many earlier objects of the same type are tried as delta bases (default 5: on a 20,000-message conversation git's 10 took 2.5 s against 1.9 s, for a pack 0.2 % smaller). */
  window?: number
  /** Longest delta chain written (default 50, git's). */
  depth?: number
  /** Called every 1,000 objects written. */
  onProgress?: (done: number, total: number) => void
}

export interface RepackReport {
  /** Loose objects before, and how many were packed and removed. */
  loose: number
  /** Packs before, and how many were folded into the new one. */
  packs: number
  foldedPacks: number
  /** Objects in the new pack, and how many of them are deltas. */
  objects: number
  deltas: number
  /** The new pack's name (`pack-<checksum>`), undefined when there was nothing to pack. */
  pack?: string
  packBytes: number
  ms: number
}

/** Objects larger than this are stored whole (a delta search would cost more than it saves). */
const DELTA_MAX_BYTES = 1 << 20
const GC_LOCK_STALE_MS = 3_600_000

/** Loose object ids in a repository (a directory listing, no reads). */
export function looseObjects(objectsDir: string): string[] {
  const out: string[] = []
  for (const fan of readdirSync(objectsDir)) {
    if (!/^[0-9a-f]{2}$/.test(fan)) continue
    for (const name of readdirSync(join(objectsDir, fan))) if (/^[0-9a-f]{38}$/.test(name)) out.push(fan + name)
  }
  return out
}

/** Fan-out directories sampled by estimateLoose (git samples one, `17`; four are steadier). */
const SAMPLED = ['17', '5c', 'a3', 'e8']

/** An estimate of the loose objects from a few fan-out directories (as git's gc.auto), no reads. */
export function estimateLoose(objectsDir: string): number {
  let found = 0
  for (const fan of SAMPLED) {
    try {
      found += readdirSync(join(objectsDir, fan)).filter((n) => /^[0-9a-f]{38}$/.test(n)).length
    } catch {
      // no such directory: none there
    }
  }
  return found * (256 / SAMPLED.length)
}

function packNames(packDir: string): string[] {
  return readdirSync(packDir)
    .filter((n) => /^pack-[0-9a-f]{40}\.idx$/.test(n))
    .map((n) => n.slice(0, -4))
}

function takeGcLock(gitdir: string): () => void {
  const lock = join(gitdir, 'gitswarm', 'gc.lock')
  mkdirSync(join(gitdir, 'gitswarm'), { recursive: true }) // absent in a repository written by git or Jami
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(lock, 'wx'))
      return () => rmSync(lock, { force: true })
    } catch (err) {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0 || age < GC_LOCK_STALE_MS) throw new LockedError(lock)
      rmSync(lock, { force: true }) // a repack that died an hour ago
    }
  }
}

interface Candidate {
  oid: string
  type: ObjectType
  content: Buffer
  time: number
}

interface Written {
  offset: number
  depth: number
  index?: DeltaIndex
}

/** Packs the loose objects of `repo` (and its packs, when folding); see the module comment. */
export function repack(repo: Repository, options: RepackOptions = {}): RepackReport {
  const started = performance.now()
  const release = takeGcLock(repo.gitdir)
  try {
    return repackLocked(repo, options, started)
  } finally {
    release()
  }
}

function repackLocked(repo: Repository, options: RepackOptions, started: number): RepackReport {
  const store = repo.objects
  const packDir = join(store.objectsDir, 'pack')
  mkdirSync(packDir, { recursive: true })
  const loose = looseObjects(store.objectsDir)
  const packs = packNames(packDir)
  const fold = options.all || packs.length > (options.maxPacks ?? 8) ? packs : []
  const report: RepackReport = { loose: loose.length, packs: packs.length, foldedPacks: 0, objects: 0, deltas: 0, packBytes: 0, ms: 0 }
  const ids = new Set(loose)
  for (const name of fold) for (const oid of store.packedIds(join(packDir, `${name}.idx`))) ids.add(oid)
  if (ids.size === 0 || (fold.length <= 1 && loose.length === 0)) return { ...report, ms: performance.now() - started }

  // git's order: by type, commits newest first (the newest messages read together), others largest first.
  const candidates: Candidate[] = []
  for (const oid of ids) {
    const obj = store.tryRead(oid)
    if (!obj) continue // removed meanwhile (another repack): nothing to keep
    const time = obj.type === 'commit' ? parseCommit(obj.content).committer.timestamp : 0
    candidates.push({ oid, type: obj.type, content: obj.content, time })
  }
  const rank: Record<ObjectType, number> = { commit: 0, tag: 1, tree: 2, blob: 3 }
  candidates.sort((a, b) => rank[a.type] - rank[b.type] || b.time - a.time || b.content.length - a.content.length)

  const window = options.window ?? 5
  const maxDepth = options.depth ?? 50
  const tmp = join(packDir, `tmp_pack_gc_${process.pid}_${Math.random().toString(36).slice(2, 8)}`)
  const fd = openSync(tmp, 'wx', 0o444)
  const sha = createHash('sha1')
  let offset = 0
  let pending: Buffer[] = []
  let pendingBytes = 0
  const emit = (chunk: Buffer): void => {
    sha.update(chunk)
    pending.push(chunk)
    pendingBytes += chunk.length
    offset += chunk.length
    if (pendingBytes >= 1 << 20) flush()
  }
  const flush = (): void => {
    if (pending.length) writeSync(fd, Buffer.concat(pending))
    pending = []
    pendingBytes = 0
  }
  const indexed: IndexedObject[] = []
  try {
    emit(packHeader(candidates.length))
    const recent: Array<Candidate & Written> = []
    for (const [i, c] of candidates.entries()) {
      let best: { delta: Buffer; base: Candidate & Written } | undefined
      if (c.content.length >= 32 && c.content.length <= DELTA_MAX_BYTES) {
        for (const base of recent) {
          if (base.type !== c.type || base.depth >= maxDepth) continue
          base.index ??= new DeltaIndex(base.content)
          // Worth it only well below the whole object, the less the deeper the base (git's rule:
          // short chains keep reads cheap); and below the best delta so far.
          const worth = ((c.content.length / 2 - 20) * (maxDepth - base.depth)) / maxDepth
          const delta = base.index.delta(c.content, Math.min(best?.delta.length ?? Infinity, worth) - 1)
          if (delta) best = { delta, base }
        }
      }
      const at = offset
      let entry: Buffer
      let depth = 0
      if (best) {
        entry = ofsDeltaEntry(at - best.base.offset, best.delta)
        depth = best.base.depth + 1
        report.deltas++
      } else {
        entry = wholeEntry(c.type, c.content)
      }
      emit(entry)
      indexed.push({ oid: c.oid, type: c.type, offset: at, crc: crc32(entry) >>> 0 })
      recent.push({ ...c, offset: at, depth })
      if (recent.length > window) recent.shift()
      if ((i + 1) % 1000 === 0) options.onProgress?.(i + 1, candidates.length)
    }
    flush()
    const checksum = sha.digest()
    writeSync(fd, checksum)
    offset += 20
    // The loose copies go next: this pack is flushed whatever the durability setting.
    syncFile(fd, tmp)
    closeSync(fd)
    const name = `pack-${checksum.toString('hex')}`
    const base = join(packDir, name)
    rmSync(`${base}.idx.tmp`, { force: true }) // a crashed run's leftover
    writeNewFile(`${base}.idx.tmp`, buildIndex(indexed, checksum), true)
    renameSync(tmp, `${base}.pack`)
    renameSync(`${base}.idx.tmp`, `${base}.idx`)
    syncDir(packDir)
    faultPoint('gc:pack-installed', repo.gitdir)
    store.scanPacks()
    report.objects = candidates.length
    report.pack = name
    report.packBytes = offset
  } catch (err) {
    try {
      closeSync(fd)
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true })
    throw err
  }

  // Now the old copies: loose files this run packed, then folded packs (index first: readers look packs up by it).
  const packed = new Set(indexed.map((o) => o.oid))
  for (const oid of loose) if (packed.has(oid)) rmSync(join(store.objectsDir, oid.slice(0, 2), oid.slice(2)), { force: true })
  for (const old of fold) {
    if (old === report.pack) continue
    rmSync(join(packDir, `${old}.idx`), { force: true })
    rmSync(join(packDir, `${old}.pack`), { force: true })
    report.foldedPacks++
  }
  store.scanPacks()
  return { ...report, ms: performance.now() - started }
}
