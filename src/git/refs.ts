/**
 * Refs as git stores them: loose files under `refs/`, `packed-refs`, and the symbolic `HEAD`.
 * Updates take git's own `<ref>.lock` file (O_EXCL), so a gitswarm writer and a `git` process
 * never move a ref at the same time, and compare the old value first (compare-and-swap).
 * @module
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CorruptObjectError, InvalidArgumentError, LockedError, RefConflictError } from '../errors.js'
import { isOid } from './object-codec.js'

const REF_NAME_RE = /^refs\/[A-Za-z0-9._\-/]+$/

export function assertRefName(name: string): void {
  if (!REF_NAME_RE.test(name) || name.includes('..') || name.endsWith('/') || name.endsWith('.lock') || name.includes('//')) {
    throw new InvalidArgumentError(`invalid ref name "${name}"`, { ref: name })
  }
}

export class RefStore {
  constructor(readonly gitdir: string) {}

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
    walk(join(this.gitdir, 'refs'), 'refs')
    return out
  }

  /**
   * Points `name` at `oid`. When `expected` is given (an id, or null for "must not exist"),
   * the update fails with RefConflictError if the ref holds anything else.
   */
  update(name: string, oid: string, expected?: string | null): void {
    assertRefName(name)
    if (!isOid(oid)) throw new InvalidArgumentError(`not an object id: ${oid}`)
    const path = join(this.gitdir, name)
    mkdirSync(dirname(path), { recursive: true })
    const lock = `${path}.lock`
    let fd: number
    try {
      fd = openSync(lock, 'wx')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new LockedError(lock)
      throw err
    }
    try {
      if (expected !== undefined) {
        const actual = this.resolve(name) ?? null
        if (actual !== expected) throw new RefConflictError(name, expected, actual)
      }
      writeSync(fd, `${oid}\n`)
      closeSync(fd)
      fd = -1
      renameSync(lock, path)
    } catch (err) {
      if (fd >= 0) closeSync(fd)
      rmSync(lock, { force: true })
      throw err
    }
  }

  /** Removes a loose ref (packed entries are left to `git pack-refs`, which gitswarm never runs). */
  delete(name: string): void {
    assertRefName(name)
    rmSync(join(this.gitdir, name), { force: true })
  }
}
