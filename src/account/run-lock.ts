/**
 * One running node per account directory: `start()` takes `<dir>/node.pid` (exclusive
 * create, holding the pid). A file left by a process that is gone is taken over, and only then
 * is it safe to clear what that process may have left half done in the repositories
 * (../git/recovery.ts): no other gitswarm process writes them.
 * @module
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { LockedError } from '../errors.js'

/** Directories locked by this process (a second Account on one directory is refused too). */
const heldHere = new Set<string>()

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the run lock of `dir`; returns its release. `stale` says whether a dead holder's file was taken over. */
export function takeRunLock(dir: string): { release: () => void; stale: boolean } {
  const path = join(dir, 'node.pid')
  let stale = false
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err
      const pid = Number(readFileSync(path, 'utf8').trim())
      const ours = pid === process.pid && !heldHere.has(dir)
      if (Number.isInteger(pid) && pid > 0 && alive(pid) && !ours) throw new LockedError(path)
      rmSync(path, { force: true })
      stale = true
    }
  }
  heldHere.add(dir)
  return {
    stale,
    release: () => {
      heldHere.delete(dir)
      rmSync(path, { force: true })
    },
  }
}
