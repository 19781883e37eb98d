/**
 * Exclusive lock files taken as a hard link to one empty spare file (`<gitdir>/gitswarm/
 * lock-inode`): as exclusive as git's O_EXCL create of `<name>.lock` (link fails with
 * EEXIST), so git and gitswarm still exclude each other, but no inode is allocated. On this
 * machine's ext4 a new inode costs 0.08–0.37 ms, a link 0.01 ms, and every message takes one.
 * @module
 */
import { existsSync, linkSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Tries to take `lock`: 'taken' (release it with unlink), 'busy' (someone holds it), or
 * 'unsupported' (no hard links there, or the lock's directory is missing): the caller then
 * creates the lock file itself.
 */
export function linkLock(gitdir: string, lock: string): 'taken' | 'busy' | 'unsupported' {
  const spare = join(gitdir, 'gitswarm', 'lock-inode')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      linkSync(spare, lock)
      return 'taken'
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return 'busy'
      if (code !== 'ENOENT' || attempt > 0) return 'unsupported'
      // The spare is missing (first lock in this repository), or so is the lock's directory.
      if (!existsSync(dirname(lock))) return 'unsupported'
      try {
        mkdirSync(dirname(spare), { recursive: true })
        writeFileSync(spare, '', { flag: 'a' })
      } catch {
        return 'unsupported'
      }
    }
  }
  return 'unsupported'
}
