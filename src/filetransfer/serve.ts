/**
 * The holder's side of `data-transfer://`: raw bytes `[start, end)` of a file whose content
 * was checked against its announced SHA3-512 (Jami's onFileChannelRequest; reference
 * jami-swarm.md §6, `testBadSha3sumOut`), then the channel is ended. A file changed since it
 * was checked is hashed again before it is served; one that no longer matches is not served.
 * @module
 */
import { createReadStream, statSync } from 'node:fs'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { sha3File } from './sha3.js'

export interface HostedFile {
  path: string
  /** The announced size and SHA3-512 (lower-case hex). */
  totalSize: number
  sha3sum: string
}

interface Checked {
  stamp: string
  result: Promise<boolean>
}

/** Where verified stamps are kept across restarts (a JSON file, say): path → stamp. */
export interface StampStore {
  value: Record<string, string>
  save(): void
}

/**
 * Which hosted files still hold the announced bytes. A file is hashed once per change (its
 * inode, size and mtime, with the expected hash, make its stamp); stamps can be kept across
 * restarts, so a holder does not hash every file again when it starts.
 */
export class VerifiedFiles {
  private readonly checked = new Map<string, Checked>()

  constructor(private readonly stamps?: StampStore) {}

  /** True when the file at `file.path` exists with the announced size and SHA3-512. */
  async check(file: HostedFile): Promise<boolean> {
    const stamp = stampOf(file)
    if (!stamp) return false
    const known = this.checked.get(file.path)
    if (known?.stamp === stamp) return known.result
    if (this.stamps?.value[file.path] === stamp) return this.settle(file.path, stamp, Promise.resolve(true))
    const result = sha3File(file.path, file.totalSize).then(
      (h) => {
        if (h === file.sha3sum) this.keep(file.path, stamp)
        return h === file.sha3sum
      },
      () => false,
    )
    return this.settle(file.path, stamp, result)
  }

  /** Records a file just hashed elsewhere (sent, or downloaded and verified) as checked. */
  remember(file: HostedFile): void {
    const stamp = stampOf(file)
    if (!stamp) return
    this.settle(file.path, stamp, Promise.resolve(true))
    this.keep(file.path, stamp)
  }

  /** Forgets a file (deleted, or no longer hosted). */
  forget(path: string): void {
    this.checked.delete(path)
    if (this.stamps && path in this.stamps.value) {
      delete this.stamps.value[path]
      this.stamps.save()
    }
  }

  private settle(path: string, stamp: string, result: Promise<boolean>): Promise<boolean> {
    this.checked.set(path, { stamp, result })
    return result
  }

  private keep(path: string, stamp: string): void {
    if (!this.stamps || this.stamps.value[path] === stamp) return
    this.stamps.value[path] = stamp
    this.stamps.save()
  }
}

function stampOf(file: HostedFile): string | undefined {
  try {
    const st = statSync(file.path)
    if (!st.isFile() || st.size !== file.totalSize) return undefined
    return `${st.ino}:${st.size}:${st.mtimeMs}:${file.sha3sum}`
  } catch {
    return undefined
  }
}

/** Streams bytes `[start, end)` of `path` into `out` (with its backpressure), then ends it. */
export async function serveRange(out: Writable, path: string, start: number, end: number): Promise<void> {
  if (end <= start) {
    out.end()
    return
  }
  await pipeline(createReadStream(path, { start, end: end - 1, highWaterMark: 256 * 1024 }), out)
}
