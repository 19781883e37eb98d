/**
 * SHA3-512 of files (Jami's fileutils::sha3File: lower-case hex, 128 digits), streamed so a
 * file larger than memory is hashed in bounded space. Large files are hashed on a worker
 * thread: SHA3 runs at about 100 MB/s here, and on the main thread it would stall every
 * transfer in the process. PrefixHash follows a download as it grows, so the check is
 * done moments after the last byte arrives instead of in a pass of its own.
 * @module
 */
import { workerExecArgv } from '../util/worker-args.js'
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'

const READ_CHUNK = 1 << 20
/** Below this a worker costs more than it saves. */
export const WORKER_FROM = 8 << 20

/** Hex SHA3-512 of the first `length` bytes of `path` (its whole content by default). */
export async function sha3File(path: string, length?: number): Promise<string> {
  const size = length ?? statSync(path).size
  const hash = new PrefixHash(path, size >= WORKER_FROM)
  try {
    hash.advance(size)
    return await hash.digest()
  } finally {
    hash.close()
  }
}

/**
 * The SHA3-512 of a file's prefix, extended as the file grows: `advance(n)` hashes up to
 * byte n (in the background when `background`), `digest()` answers once all asked is hashed.
 */
export class PrefixHash {
  private worker: Worker | undefined
  private hash = createHash('sha3-512')
  private at = 0
  private pending: Array<(hex: string) => void> = []
  private failed: ((err: Error) => void)[] = []

  constructor(
    private readonly path: string,
    background: boolean,
  ) {
    if (!background) return
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: workerExecArgv(), workerData: { path, chunk: READ_CHUNK } })
    this.worker.unref()
    this.worker.on('message', (hex: string) => this.pending.shift()?.(hex))
    this.worker.on('error', (err) => {
      for (const f of this.failed.splice(0)) f(err)
      this.pending = []
    })
  }

  /** How far the hash has been asked to go. */
  get length(): number {
    return this.at
  }

  /** Hashes bytes up to `upTo` (ignored if already there). */
  advance(upTo: number): void {
    if (upTo <= this.at) return
    if (this.worker) this.worker.postMessage({ upTo })
    else hashRange(this.path, this.hash, this.at, upTo)
    this.at = upTo
  }

  /** The digest of the prefix asked so far. */
  digest(): Promise<string> {
    if (!this.worker) return Promise.resolve(this.hash.digest('hex'))
    return new Promise((resolve, reject) => {
      this.pending.push(resolve)
      this.failed.push(reject)
      this.worker!.postMessage({ digest: true })
    })
  }

  close(): void {
    void this.worker?.terminate()
    this.worker = undefined
  }
}

function hashRange(path: string, hash: ReturnType<typeof createHash>, from: number, to: number): void {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK)
    for (let at = from; at < to; ) {
      const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, to - at), at)
      if (n === 0) throw new Error(`${path} is shorter than ${to} bytes`)
      hash.update(buf.subarray(0, n))
      at += n
    }
  } finally {
    closeSync(fd)
  }
}

// The worker: one file, hashed from where it stopped up to each `upTo` asked; `digest` answers.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { openSync, readSync, closeSync } = require('node:fs')
const hash = createHash('sha3-512')
const buf = Buffer.allocUnsafe(workerData.chunk)
let at = 0
parentPort.on('message', (m) => {
  if (m.upTo !== undefined) {
    const fd = openSync(workerData.path, 'r')
    try {
      while (at < m.upTo) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, m.upTo - at), at)
        if (n === 0) throw new Error(workerData.path + ' is shorter than ' + m.upTo + ' bytes')
        hash.update(buf.subarray(0, n))
        at += n
      }
    } finally {
      closeSync(fd)
    }
  }
  if (m.digest) parentPort.postMessage(hash.digest('hex'))
})
`
