/**
 * Refs as git stores them: loose files under `refs/`, `packed-refs`, and the symbolic `HEAD`.
 * Updates take git's own `<ref>.lock` file (exclusive create), so a gitswarm writer and a `git`
 * process never move a ref at the same time, and compare the old value first (compare-and-swap).
 * @module
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { CorruptObjectError, InvalidArgumentError, LockedError, RefConflictError } from '../errors.js'
import { faultPoint } from '../util/fault-points.js'
import { defaultDurability, syncDir, syncFile, traceRef, type Durability } from './durability.js'
import { linkLock } from './link-lock.js'
import { isOid } from './object-codec.js'

const REF_NAME_RE = /^refs\/[A-Za-z0-9._\-/]+$/

export function assertRefName(name: string): void {
  if (!REF_NAME_RE.test(name) || name.includes('..') || name.endsWith('/') || name.endsWith('.lock') || name.includes('//')) {
    throw new InvalidArgumentError(`invalid ref name "${name}"`, { ref: name })
  }
}

export interface RefStoreOptions {
  /** How far a ref update is flushed before it returns (./durability.ts; default 'full'). */
  durability?: Durability
  /** Called before any ref moves: the object store's flush(), so no ref gets ahead of its objects. */
  beforeUpdate?: () => void
}

/** Refs read in the current synchronous job, by repository directory (see RefStore.recent). */
const RECENT = new Map<string, Map<string, string | undefined>>()
let forgetting = false

function scheduleForget(): void {
  if (forgetting) return
  forgetting = true
  queueMicrotask(() => {
    RECENT.clear()
    forgetting = false
  })
}

export class RefStore {
  readonly durability: Durability
  private readonly beforeUpdate: (() => void) | undefined

  constructor(readonly gitdir: string, options: RefStoreOptions = {}) {
    this.durability = options.durability ?? defaultDurability()
    this.beforeUpdate = options.beforeUpdate
  }

  private packed(): Map<string, string> {
    const map = new Map<string, string>()
    let text: string
    try {
      text = readFileSync(join(this.gitdir, 'packed-refs'), 'utf8')
    } catch {
      return map
    }
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#') || line.startsWith('^')) continue
      const [oid, name] = line.split(' ')
      if (isOid(oid) && name) map.set(name, oid)
    }
    return map
  }

  /** The ref HEAD points to (`refs/heads/main` for Jami repositories). */
  headTarget(): string {
    let text: string
    try {
      text = readFileSync(join(this.gitdir, 'HEAD'), 'utf8').trim()
    } catch {
      return 'refs/heads/main'
    }
    return text.startsWith('ref: ') ? text.slice(5) : 'HEAD'
  }

  /** Resolves `HEAD` or a full ref name to an object id; undefined when unborn/absent. */
  resolve(name: string): string | undefined {
    if (name === 'HEAD') {
      const target = this.headTarget()
      if (target === 'HEAD') {
        const detached = readFileSync(join(this.gitdir, 'HEAD'), 'utf8').trim()
        return isOid(detached) ? detached : undefined
      }
      return this.resolve(target)
    }
    assertRefName(name)
    if (this.recent.has(name)) return this.recent.get(name)
    const oid = this.read(name)
    this.remember(name, oid)
    return oid
  }

  /**
   * Refs of this repository read during the current synchronous job, shared by every
   * RefStore of the same directory in this process (cleared when the job ends, and on every
   * write through any of them): one step of sync or take-in asks for `main` a dozen times,
   * and each read is four system calls. Another process's write is seen from the next job on.
   */
  private get recent(): Map<string, string | undefined> {
    this.recentKey ??= resolve(this.gitdir)
    let map = RECENT.get(this.recentKey)
    if (!map) RECENT.set(this.recentKey, (map = new Map()))
    return map
  }

  private recentKey: string | undefined

  private remember(name: string, oid: string | undefined): void {
    scheduleForget()
    this.recent.set(name, oid)
  }

  /** The ref as the files hold it now. */
  private read(name: string): string | undefined {
    let text: string | undefined
    try {
      text = readFileSync(join(this.gitdir, name), 'utf8').trim()
    } catch {
      text = undefined
    }
    if (text !== undefined) {
      if (text.startsWith('ref: ')) return this.resolve(text.slice(5))
      if (!isOid(text)) throw new CorruptObjectError(`ref ${name}`, 'does not hold an object id')
      return text
    }
    return this.packed().get(name)
  }

  /** Every ref under `prefix` (e.g. `refs/remotes/`), loose refs shadowing packed ones. */
  list(prefix = 'refs/'): Map<string, string> {
    const out = new Map<string, string>()
    for (const [name, oid] of this.packed()) if (name.startsWith(prefix)) out.set(name, oid)
    const walk = (dir: string, rel: string): void => {
      if (!existsSync(dir)) return
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const relName = `${rel}/${entry.name}`
        if (entry.isDirectory()) walk(join(dir, entry.name), relName)
        else if (!entry.name.endsWith('.lock')) {
          const oid = readFileSync(join(dir, entry.name), 'utf8').trim()
          if (isOid(oid) && relName.startsWith(prefix)) out.set(relName, oid)
        }
      }
    }
    // Only the prefix's own folder (refs/gitswarm/held/ is asked for on every fetch; refs/remotes/ holds one ref per peer).
    const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix.slice(0, prefix.lastIndexOf('/'))
    walk(join(this.gitdir, base), base)
    return out
  }

  /**
   * Points `name` at `oid`. When `expected` is given (an id, or null for "must not exist"),
   * the update fails with RefConflictError if the ref holds anything else. `sync: false`
   * leaves the ref's own bytes unflushed (the objects' folders are still flushed first): for
   * refs that only note what peers hold, which a power cut may lose and a fetch brings back.
   *
   * The `<ref>.lock` file is taken as git does (as a link, ./link-lock.ts), so git and
   * gitswarm exclude each other. A ref that already holds a 41-byte id line is then
   * overwritten in place (same length, one sector): renaming over an existing file makes
   * ext4 flush data first (auto_da_alloc), which cost 0.25 ms of the 0.5 ms budget of a
   * message. New refs use git's rename.
   */
  update(name: string, oid: string, expected?: string | null, options: { sync?: boolean } = {}): void {
    assertRefName(name)
    if (!isOid(oid)) throw new InvalidArgumentError(`not an object id: ${oid}`)
    const path = join(this.gitdir, name)
    const line = `${oid}\n`
    this.recent.clear()
    const sync = this.durability === 'full' && options.sync !== false
    this.beforeUpdate?.()
    const lock = linkLock(this.gitdir, `${path}.lock`)
    if (lock === 'busy') throw new LockedError(`${path}.lock`)
    faultPoint('ref:locked', this.gitdir)
    if (lock === 'taken') {
      let done = false
      try {
        done = this.updateInPlace(path, name, line, expected, sync)
      } finally {
        unlinkSync(`${path}.lock`)
      }
      if (done) return this.written(name, oid, sync)
    }
    this.updateByRename(path, name, line, expected, sync)
    this.written(name, oid, sync)
  }

  private written(name: string, oid: string, synced: boolean): void {
    traceRef(name, oid, synced)
    faultPoint('ref:written', this.gitdir)
  }

  /** git's own way: the new line written into an O_EXCL `<ref>.lock`, renamed over the ref. */
  private updateByRename(path: string, name: string, line: string, expected: string | null | undefined, sync: boolean): void {
    const lock = `${path}.lock`
    let fd: number
    try {
      fd = openSync(lock, 'wx')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw new LockedError(lock)
      if (code !== 'ENOENT') throw err
      mkdirSync(dirname(path), { recursive: true })
      fd = openSync(lock, 'wx')
    }
    let renamed = false
    try {
      if (expected !== undefined) {
        const actual = this.read(name) ?? null
        if (actual !== expected) throw new RefConflictError(name, expected, actual)
      }
      writeSync(fd, line)
      if (sync) syncFile(fd, lock)
      closeSync(fd)
      fd = -1
      renameSync(lock, path)
      renamed = true
      if (sync) syncDir(dirname(path))
    } finally {
      if (fd >= 0) closeSync(fd)
      if (!renamed) unlinkSync(lock)
    }
  }

  /**
   * Compares and overwrites a loose ref holding exactly one id line, in place (the caller
   * holds the lock). False when the file is absent or holds anything else (symbolic ref,
   * packed ref): use the rename path.
   */
  private updateInPlace(path: string, name: string, line: string, expected: string | null | undefined, sync: boolean): boolean {
    let fd: number
    try {
      fd = openSync(path, 'r+')
    } catch {
      return false
    }
    try {
      const current = Buffer.alloc(64)
      const n = readSync(fd, current, 0, 64, 0)
      if (n !== 41 || !isOid(current.toString('latin1', 0, 40)) || current[40] !== 0x0a) return false
      const actual = current.toString('latin1', 0, 40)
      if (expected !== undefined && actual !== expected) throw new RefConflictError(name, expected, actual)
      if (writeSync(fd, line, 0, 'latin1') !== 41) return false
      if (sync) syncFile(fd, path)
      return true
    } finally {
      closeSync(fd)
    }
  }

  /** Removes a loose ref (packed entries are left to `git pack-refs`, which gitswarm never runs). */
  delete(name: string): void {
    assertRefName(name)
    this.recent.clear()
    rmSync(join(this.gitdir, name), { force: true })
  }
}
