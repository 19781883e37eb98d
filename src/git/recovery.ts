/**
 * What a crashed writer leaves behind, cleared by the next process that owns the repository:
 * lock files (`refs/**.lock`, `gitswarm/history.lock`, `gitswarm/gc.lock`) that would
 * otherwise refuse every later write (or repack), and half-written temp files (objects, packs,
 * indexes). Only safe while no other process writes the repository: the Account calls it
 * under its run lock (one running node per account directory), `gitswarm gc` only for temp
 * files older than an hour.
 * @module
 */
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** What recoverRepository removed, by kind. */
export interface RecoveryReport {
  locks: string[]
  tempFiles: string[]
}

const TEMP_RE = /^(tmp_obj_|tmp_pack_)|\.idx\.tmp$|\.tmp-\d+$/

function entries(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/**
 * Removes leftovers of crashed writers in `gitdir`. With `olderThanMs`, only files not
 * modified for that long (another process may be writing the younger ones).
 */
export function recoverRepository(gitdir: string, options: { olderThanMs?: number; locks?: boolean } = {}): RecoveryReport {
  const report: RecoveryReport = { locks: [], tempFiles: [] }
  const cutoff = options.olderThanMs === undefined ? Infinity : Date.now() - options.olderThanMs
  const old = (path: string): boolean => {
    try {
      return statSync(path).mtimeMs <= cutoff
    } catch {
      return false
    }
  }
  const remove = (path: string, into: string[]): void => {
    if (!old(path)) return
    rmSync(path, { force: true })
    into.push(path)
  }
  if (options.locks ?? true) {
    const walk = (dir: string): void => {
      for (const name of entries(dir)) {
        const path = join(dir, name)
        if (name.endsWith('.lock')) remove(path, report.locks)
        else if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) walk(path)
      }
    }
    walk(join(gitdir, 'refs'))
    for (const name of ['packed-refs.lock', 'gitswarm/history.lock', 'gitswarm/gc.lock']) {
      if (statSync(join(gitdir, name), { throwIfNoEntry: false })) remove(join(gitdir, name), report.locks)
    }
  }
  const objects = join(gitdir, 'objects')
  for (const fan of entries(objects)) {
    if (!/^[0-9a-f]{2}$/.test(fan) && fan !== 'pack') continue
    for (const name of entries(join(objects, fan))) if (TEMP_RE.test(name)) remove(join(objects, fan, name), report.tempFiles)
  }
  for (const name of entries(join(gitdir, 'gitswarm'))) if (TEMP_RE.test(name)) remove(join(gitdir, 'gitswarm', name), report.tempFiles)
  return report
}
