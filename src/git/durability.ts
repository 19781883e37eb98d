/**
 * How hard a write is pushed to disk before it counts as done, and the one place that does it.
 *
 * - `'full'` (the default): an object's bytes are flushed before its name appears (so a name
 *   never points at lost bytes), the directories that gained names are flushed before any ref
 *   moves, and the ref's own bytes are flushed before the write returns. A message that
 *   `commit()` returned survives a power cut, and a ref never points at an object that did not.
 * - `'fast'`: nothing is flushed. Every write is still atomic (temp file + rename, one-sector
 *   ref overwrite), so a killed process loses nothing the kernel has; a power cut may lose the
 *   last writes and leave a ref ahead of its objects (what `git` does by default).
 *
 * Tests watch the flushes through `traceDurability` to check the order (object, then
 * directory, then ref).
 * @module
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs'
import { fsyncDir } from '../util/json-file.js'

/** `'full'`: every acknowledged write survives a power cut. `'fast'`: only a process crash. */
export type Durability = 'full' | 'fast'

/** A flush, as `traceDurability` reports it. */
export type DurabilityEvent =
  | { op: 'file'; path: string }
  | { op: 'dir'; path: string }
  | { op: 'ref'; name: string; oid: string; synced: boolean }

let tracer: ((event: DurabilityEvent) => void) | undefined

/** Test hook: every flush (and every ref write) is reported to `fn` until it is called with undefined. */
export function traceDurability(fn: ((event: DurabilityEvent) => void) | undefined): void {
  tracer = fn
}

/** The durability a store gets when its options do not say (`GITSWARM_DURABILITY=fast` to change it). */
export function defaultDurability(): Durability {
  return process.env['GITSWARM_DURABILITY'] === 'fast' ? 'fast' : 'full'
}

/** Flushes an open file's data (fdatasync: the size is flushed too, timestamps need not be). */
export function syncFile(fd: number, path: string): void {
  fdatasyncSync(fd)
  tracer?.({ op: 'file', path })
}

/** Flushes the data of a file already written (through another descriptor, or by another call). */
export function syncFileAt(path: string): void {
  const fd = openSync(path, 'r')
  try {
    syncFile(fd, path)
  } finally {
    closeSync(fd)
  }
}

/**
 * Creates `path` (exclusively, read-only) holding `data`; when `durable`, its bytes are on disk
 * before this returns. `name` is what the tracer reports: the name a temp file will be renamed to.
 */
export function writeNewFile(path: string, data: Uint8Array, durable: boolean, name = path): void {
  const fd = openSync(path, 'wx', 0o444)
  try {
    writeSync(fd, data)
    if (durable) syncFile(fd, name)
  } finally {
    closeSync(fd)
  }
}

/** Flushes a directory's entries (the names renamed or created in it). */
export function syncDir(path: string): void {
  fsyncDir(path)
  tracer?.({ op: 'dir', path })
}

/** Reports a ref write to the tracer (refs.ts calls it after the bytes are written). */
export function traceRef(name: string, oid: string, synced: boolean): void {
  tracer?.({ op: 'ref', name, oid, synced })
}
