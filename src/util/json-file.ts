/**
 * Small state files written whole or not at all: beside their place, flushed to disk, renamed
 * in, and the directory flushed after — a crash leaves the old file or the new one.
 * @module
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidStateError } from '../errors.js'

/** Writes `data` to `path` atomically and durably (temp file, fsync, rename, directory fsync). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  fsyncDir(join(path, '..'))
}

/** Flushes a directory's entries (after a rename into it); a no-op where the file system refuses. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // some file systems refuse fsync on directories; the rename is still atomic there
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** A JSON document in one file, read once and written whole on every save. */
export class JsonFile<T> {
  value: T

  constructor(
    readonly path: string,
    empty: () => T,
  ) {
    if (!existsSync(path)) {
      this.value = empty()
      return
    }
    try {
      this.value = JSON.parse(readFileSync(path, 'utf8')) as T
    } catch (err) {
      throw new InvalidStateError(`read ${path}`, `not JSON (${(err as Error).message})`)
    }
  }

  save(): void {
    writeFileAtomic(this.path, JSON.stringify(this.value, null, 1) + '\n')
  }
}

