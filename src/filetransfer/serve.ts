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

/** Which hosted files still hold the announced bytes; each file hashed once per change. */
export class VerifiedFiles {
  private readonly checked = new Map<string, Checked>()

  /** True when the file at `file.path` exists with the announced size and SHA3-512. */
  async check(file: HostedFile): Promise<boolean> {
    let stamp: string
    try {
      const st = statSync(file.path)
      if (!st.isFile() || st.size !== file.totalSize) return false
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${file.sha3sum}`
    } catch {
      return false
    }
    const known = this.checked.get(file.path)
    if (known?.stamp === stamp) return known.result
    const result = sha3File(file.path, file.totalSize).then(
      (h) => h === file.sha3sum,
      () => false,
    )
    this.checked.set(file.path, { stamp, result })
    return result
  }

  /** Forgets a file (deleted, or no longer hosted). */
  forget(path: string): void {
    this.checked.delete(path)
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
