/**
 * One file fetched from several holders at once (DESIGN decision 7; reference jami-swarm.md
 * §6). The file is cut into pieces; each holder streams pieces into `<dest>.tmp` at their
 * offsets, a few at a time, so fast holders take more. A holder that goes away leaves the
 * rest of its piece to the others; new holders can join at any time. What has been written
 * is flushed and recorded (`saveProgress`) so a download killed at any point resumes from it.
 *
 * The whole file is checked against the announced SHA3-512 before it is renamed to its
 * destination: nothing unverified is ever visible there. On a mismatch each holder in turn
 * is suspected: its pieces are fetched again from the others, and the one whose pieces
 * made the difference is dropped and reported (`holderRejected`).
 * @module
 */
import { EventEmitter } from 'node:events'
import { existsSync, statSync } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Readable } from 'node:stream'
import { DiskFullError, IntegrityError, InvalidStateError } from '../errors.js'
import { fsyncDir } from '../util/json-file.js'
import { RangeSet, type Range } from './ranges.js'
import { PrefixHash, sha3File, WORKER_FROM } from './sha3.js'

/** Where bytes of the file can come from (a device holding a verified copy). */
export interface Holder {
  /** Names it in reports (a device id). */
  readonly id: string
  /** A stream of exactly the bytes `[start, end)`; rejects if the holder refuses. */
  open(start: number, end: number): Promise<Readable>
}

export interface DownloadOptions {
  /** The file id, for errors. */
  fileId: string
  destPath: string
  /** The partial file (default `<destPath>.tmp`, as Jami). */
  tmpPath?: string
  totalSize: number
  sha3sum: string
  /** Ranges already in the partial file (from saveProgress, before a restart). */
  done?: readonly Range[]
  /** Called with what is safely on disk (flushed first), at most every `saveEveryMs`. */
  saveProgress?: (done: Range[]) => void
  saveEveryMs?: number
  /** Piece size (default: the file over 8 pieces per holder, between 256 KiB and 8 MiB). */
  piece?: number
  /** Pieces in flight per holder (default 2). */
  perHolder?: number
  /** A piece with no byte for this long is given to others (default 5 s): a holder that froze. */
  stallMs?: number
}

export interface DownloadEvents {
  /** Bytes written so far, of the total. */
  progress: [bytes: number, total: number]
  /** A holder was dropped for serving wrong bytes (or more than asked). */
  holderRejected: [holderId: string, reason: string]
  /** No holder left while pieces are missing: waiting for addHolder. */
  stalled: []
}

const WRITE_BUFFER = 1 << 20
const MIN_PIECE = 256 * 1024
const MAX_PIECE = 8 << 20

interface HolderState {
  holder: Holder
  active: number
  gone: boolean
  /** Failures in a row, for the backoff before it is asked again. */
  failures: number
  retry?: NodeJS.Timeout
}

const RETRY_MS = 1000
const MAX_RETRY_MS = 30_000

export class Download extends EventEmitter<DownloadEvents> {
  readonly tmpPath: string
  private readonly done: RangeSet
  /** Who served what in this session (suspects when the hash does not match). */
  private readonly served = new Map<string, RangeSet>()
  private readonly holders = new Map<string, HolderState>()
  /** Holders left out while another is suspected, or for good once rejected. */
  private readonly excluded = new Set<string>()
  private readonly rejected = new Set<string>()
  private readonly streams = new Set<Readable>()
  private queue: Range[] = []
  private fh: FileHandle | undefined
  /** Follows the run of bytes from 0 as it grows, so the final check is nearly done by the end. */
  private hasher: PrefixHash | undefined
  private failure: Error | undefined
  private lastSave = 0
  private stalledNow = false
  private closed: Promise<void> = Promise.resolve()
  private settled: Promise<void> = Promise.resolve()
  private finishedPieces: () => void = () => {}

  constructor(private readonly options: DownloadOptions) {
    super()
    this.tmpPath = options.tmpPath ?? `${options.destPath}.tmp`
    this.done = new RangeSet(options.done ?? [])
  }

  /** Bytes held so far. */
  get bytes(): number {
    return this.done.size
  }

  /** Bytes of the file as it stands that each holder served in this run (by holder id). */
  get sources(): Record<string, number> {
    return Object.fromEntries([...this.served].map(([id, r]) => [id, r.size] as const).filter(([, n]) => n > 0))
  }

  /** Holders currently fetching or able to. */
  get holderCount(): number {
    return [...this.holders.values()].filter((h) => !h.gone && !this.rejected.has(h.holder.id)).length
  }

  /** Adds a holder (again, after it came back); ignored if it is already in or was rejected. */
  addHolder(holder: Holder): void {
    const known = this.holders.get(holder.id)
    if (this.rejected.has(holder.id) || (known && !known.gone)) return
    if (known?.retry) clearTimeout(known.retry)
    const state: HolderState = { holder, active: 0, gone: false, failures: 0 }
    this.holders.set(holder.id, state)
    this.startWorkers(state)
  }

  /** Stops: streams closed, the partial file and its progress kept; run() rejects with reason 'stopped'. */
  async stop(): Promise<void> {
    this.fail(new InvalidStateError(`download ${this.options.fileId}`, 'stopped'))
    await this.settled
  }

  /** Fetches, verifies and renames into place; resolves with the destination path. */
  run(): Promise<string> {
    const running = this.fetchAndPlace()
    this.settled = running.then(
      () => {},
      () => {},
    )
    return running
  }

  private async fetchAndPlace(): Promise<string> {
    const { totalSize, sha3sum, fileId } = this.options
    this.fh = await this.openPartial()
    this.hasher = new PrefixHash(this.tmpPath, totalSize >= WORKER_FROM)
    this.hasher.advance(this.done.prefix)
    try {
      for (;;) {
        await this.fetchMissing()
        await this.flush()
        if ((await this.digest()) === sha3sum) break
        if (!(await this.blame())) {
          await this.close()
          await rm(this.tmpPath, { force: true })
          this.options.saveProgress?.([])
          throw new IntegrityError(fileId, totalSize === 0 ? 'the announced SHA3-512 is not that of an empty file' : 'no holder served bytes that match the announced SHA3-512')
        }
      }
      await this.close()
      await rename(this.tmpPath, this.options.destPath)
      fsyncDir(dirname(this.options.destPath))
      return this.options.destPath
    } finally {
      this.clearRetries()
      this.hasher?.close()
      await this.close()
    }
  }

  /** SHA3-512 of the partial file: the prefix hash carried on, or (after a blame pass) a fresh one. */
  private async digest(): Promise<string> {
    const hasher = this.hasher
    this.hasher = undefined
    if (!hasher) return sha3File(this.tmpPath, this.options.totalSize)
    try {
      hasher.advance(this.options.totalSize)
      return await hasher.digest()
    } finally {
      hasher.close()
    }
  }

  /** The partial file, opened for writes at offsets; what it does not hold is not trusted. */
  private async openPartial(): Promise<FileHandle> {
    const { totalSize } = this.options
    const exists = existsSync(this.tmpPath)
    const fh = await open(this.tmpPath, exists ? 'r+' : 'w+', 0o600)
    const size = exists ? statSync(this.tmpPath).size : 0
    if (size > totalSize) await fh.truncate(totalSize)
    this.done.remove(Math.min(size, totalSize), Infinity)
    return fh
  }

  private pieceSize(): number {
    if (this.options.piece) return this.options.piece
    const holders = Math.max(1, this.holderCount)
    return Math.min(MAX_PIECE, Math.max(MIN_PIECE, Math.ceil(this.options.totalSize / (8 * holders) / 65536) * 65536))
  }

  /** Runs the holders until no byte is missing. */
  private fetchMissing(): Promise<void> {
    this.queue = this.done.missing(this.options.totalSize, this.pieceSize())
    return new Promise<void>((resolve, reject) => {
      this.finishedPieces = () => {
        if (this.failure) return reject(this.failure)
        if (this.done.size === this.options.totalSize) return resolve()
      }
      this.finishedPieces()
      for (const state of this.holders.values()) this.startWorkers(state)
      this.checkStalled()
    })
  }

  private startWorkers(state: HolderState): void {
    const want = this.options.perHolder ?? 4
    while (state.active < want && !state.gone && !this.excluded.has(state.holder.id) && this.queue.length > 0 && !this.failure) {
      state.active++
      void this.work(state).finally(() => {
        state.active--
        this.finishedPieces()
        this.checkStalled()
      })
    }
  }

  private async work(state: HolderState): Promise<void> {
    for (;;) {
      if (state.gone || this.failure || this.excluded.has(state.holder.id)) return
      const piece = this.queue.shift()
      if (!piece) return
      const reached = await this.fetchPiece(state, piece)
      if (reached < piece[1]) {
        this.queue.unshift([reached, piece[1]])
        for (const other of this.holders.values()) if (other !== state) this.startWorkers(other)
        return
      }
    }
  }

  /** Fetches one piece from one holder; returns how far it got. */
  private async fetchPiece(state: HolderState, [start, end]: Range): Promise<number> {
    const id = state.holder.id
    let at = start
    let pending: Buffer[] = []
    let pendingBytes = 0
    let writtenTo = start
    const writeOut = async () => {
      if (pendingBytes === 0) return
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes)
      pending = []
      pendingBytes = 0
      try {
        await this.fh!.write(data, 0, data.length, writtenTo)
      } catch (err) {
        this.fail((err as NodeJS.ErrnoException).code === 'ENOSPC' ? new DiskFullError(this.tmpPath, this.done.size) : (err as Error))
        throw err
      }
      this.record(id, writtenTo, writtenTo + data.length)
      writtenTo += data.length
    }
    let stream: Readable | undefined
    let quiet: NodeJS.Timeout | undefined
    const stallMs = this.options.stallMs ?? 5000
    const watch = () => {
      clearTimeout(quiet)
      quiet = setTimeout(() => stream?.destroy(new Error(`no data from ${id} for ${stallMs} ms`)), stallMs)
    }
    try {
      stream = await openWithin(state.holder.open(start, end), stallMs, id)
      this.streams.add(stream)
      watch()
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        watch()
        if (this.failure) break
        if (at + chunk.length > end) {
          this.reject(state, `sent more than the ${end - start} bytes asked`)
          break
        }
        pending.push(chunk)
        pendingBytes += chunk.length
        at += chunk.length
        if (pendingBytes >= WRITE_BUFFER) await writeOut()
      }
      await writeOut()
      if (writtenTo < end && !this.failure && !this.rejected.has(id)) this.lose(state)
      else if (writtenTo === end) state.failures = 0
    } catch {
      // refused, reset, or gone mid-piece: what it sent before stays; the rest goes to others
      if (!this.failure) {
        await writeOut().catch(() => {})
        this.lose(state)
      }
    } finally {
      clearTimeout(quiet)
      if (stream) {
        this.streams.delete(stream)
        stream.destroy()
      }
    }
    return writtenTo
  }

  /**
   * A holder failed (refused, reset, frozen): its pieces go to the others, and it is asked
   * again after a backoff — a device still connected may have had a passing fault.
   */
  private lose(state: HolderState): void {
    if (state.gone) return
    state.gone = true
    // Backing off from 1 s: a holder that refused meant it (channels are decided after the
    // hello), so asking again at once would only be refused again.
    const delay = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** state.failures++)
    state.retry = setTimeout(() => {
      state.retry = undefined
      if (this.failure || this.rejected.has(state.holder.id) || this.holders.get(state.holder.id) !== state) return
      state.gone = false
      this.startWorkers(state)
    }, delay)
    state.retry.unref()
  }

  private record(holderId: string, start: number, end: number): void {
    this.done.add(start, end)
    for (const [other, ranges] of this.served) if (other !== holderId) ranges.remove(start, end)
    let mine = this.served.get(holderId)
    if (!mine) this.served.set(holderId, (mine = new RangeSet()))
    mine.add(start, end)
    this.hasher?.advance(this.done.prefix)
    this.emit('progress', this.done.size, this.options.totalSize)
    const every = this.options.saveEveryMs ?? 500
    if (this.options.saveProgress && Date.now() - this.lastSave >= every) {
      this.lastSave = Date.now()
      void this.flush().catch(() => {})
    }
  }

  /** Data to disk, then the record of it (never the other way round). */
  private async flush(): Promise<void> {
    if (!this.fh) return
    const snapshot = this.done.toJSON()
    await this.fh.datasync()
    this.options.saveProgress?.(snapshot)
  }

  /**
   * The file does not match: suspects each holder that served bytes, fewest bytes first —
   * its pieces fetched again without it. True once a holder is found out (and the file now
   * matches); false when nobody can be blamed (the fault may be the announcement's).
   */
  private async blame(): Promise<boolean> {
    const suspects = [...this.served.entries()].filter(([, r]) => r.size > 0).sort((a, b) => a[1].size - b[1].size).map(([id]) => id)
    const unattributed = this.done.size - suspects.reduce((n, id) => n + this.served.get(id)!.size, 0)
    if (unattributed > 0) suspects.push('')
    for (const suspect of suspects) {
      const ranges = suspect ? this.served.get(suspect)!.toJSON() : this.unattributed()
      if (suspect) this.excluded.add(suspect)
      const others = [...this.holders.values()].some((h) => !h.gone && !this.excluded.has(h.holder.id) && !this.rejected.has(h.holder.id))
      if (others) {
        this.hasher?.close()
        this.hasher = undefined
        for (const [s, e] of ranges) this.done.remove(s, e)
        await this.fetchMissing()
        await this.flush()
        if ((await sha3File(this.tmpPath, this.options.totalSize)) === this.options.sha3sum) {
          if (suspect) this.reject(this.holders.get(suspect)!, 'served bytes that do not match the announced SHA3-512')
          return true
        }
      }
      if (suspect) this.excluded.delete(suspect)
    }
    return false
  }

  private unattributed(): Range[] {
    const rest = new RangeSet(this.done.toJSON())
    for (const r of this.served.values()) for (const [s, e] of r.toJSON()) rest.remove(s, e)
    return rest.toJSON()
  }

  private reject(state: HolderState, reason: string): void {
    if (this.rejected.has(state.holder.id)) return
    this.rejected.add(state.holder.id)
    state.gone = true
    this.emit('holderRejected', state.holder.id, reason)
  }

  private checkStalled(): void {
    if (this.failure || this.queue.length === 0) return
    const busy = [...this.holders.values()].some((h) => h.active > 0)
    const stalled = !busy && this.holderCount === 0
    if (stalled && !this.stalledNow) this.emit('stalled')
    this.stalledNow = stalled
  }

  private fail(err: Error): void {
    if (this.failure) return
    this.failure = err
    this.clearRetries()
    for (const s of this.streams) s.destroy()
    this.finishedPieces()
  }

  private clearRetries(): void {
    for (const h of this.holders.values()) if (h.retry) clearTimeout(h.retry)
  }

  private close(): Promise<void> {
    const fh = this.fh
    this.fh = undefined
    if (!fh) return this.closed
    const snapshot = this.done.toJSON()
    this.closed = fh
      .datasync()
      .then(() => this.options.saveProgress?.(snapshot))
      .catch(() => {}) // the error that stopped us is the one to report
      .finally(() => fh.close().catch(() => {}))
    return this.closed
  }
}

/**
 * A holder's channel, or an error after `ms`: a holder that died (a SIGKILLed process sends
 * no goodbye) leaves an open unanswered until its connection times out, 32 s on — the piece
 * would wait that long. A channel that opens after all is closed at once.
 */
function openWithin(opening: Promise<Readable>, ms: number, id: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${id} did not open the transfer within ${ms} ms`))
      opening.then((late) => late.destroy(), () => {})
    }, ms)
    opening.then(
      (stream) => (clearTimeout(timer), resolve(stream)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    )
  })
}
