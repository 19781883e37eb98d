/**
 * git's pkt-line framing over any byte stream: 4 hex digits of length (header included),
 * `0000` flush, `0001` delimiter; and the side-band multiplexing of a pack (channel 1 data,
 * 2 progress, 3 fatal error). The reader pulls packets from a Node Readable with
 * backpressure, so a peer cannot make us buffer more than one megabyte ahead.
 * @module
 */
import type { Readable, Writable } from 'node:stream'
import { CorruptObjectError, LimitExceededError, TimeoutError } from '../errors.js'

export const MAX_PKT = 65520
const HIGH_WATER = 1 << 20

export type Packet = { type: 'data'; payload: Buffer } | { type: 'flush' } | { type: 'delim' } | { type: 'end' }

export function encodePkt(payload: string | Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  if (data.length + 4 > MAX_PKT) throw new RangeError(`pkt-line payload of ${data.length} bytes is too long`)
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data])
}

export const FLUSH = Buffer.from('0000')

/** Pulls pkt-lines (or raw bytes) from a stream, pausing it while enough is buffered. */
export class PktReader {
  private chunks: Buffer[] = []
  private length = 0
  private ended = false
  private failure: Error | undefined
  private wake: (() => void) | undefined
  private timer: NodeJS.Timeout | undefined

  /** Bytes taken so far, counted against `budget.maxBytes`. */
  private consumed = 0
  private readonly deadline: number

  /**
   * `timeoutMs` bounds each wait for data; `budget` the whole exchange: its bytes (an endless
   * stream of progress or NAK lines is cut off) and its duration (a peer trickling one byte at
   * a time never trips an idle timeout).
   */
  constructor(
    private readonly stream: Readable,
    private readonly timeoutMs = 60_000,
    private readonly budget: { maxBytes?: number; maxDurationMs?: number } = {},
  ) {
    this.deadline = budget.maxDurationMs === undefined ? Infinity : Date.now() + budget.maxDurationMs
    stream.on('data', (d: Buffer) => {
      this.chunks.push(d)
      this.length += d.length
      if (this.length > HIGH_WATER) stream.pause()
      this.notify()
    })
    stream.on('end', () => ((this.ended = true), this.notify()))
    stream.on('close', () => ((this.ended = true), this.notify()))
    stream.on('error', (err) => ((this.failure = err), this.notify()))
  }

  private notify(): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  /** Waits until `n` bytes are buffered; false if the stream ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.length < n) {
      if (this.failure) throw this.failure
      if (this.ended) return false
      this.stream.resume()
      const left = this.deadline - Date.now()
      if (left <= 0) throw new TimeoutError('the exchange is not over', this.budget.maxDurationMs!)
      const wait = Math.min(this.timeoutMs, left)
      await new Promise<void>((resolve, reject) => {
        this.wake = resolve
        this.timer = setTimeout(
          () => reject(wait < this.timeoutMs ? new TimeoutError('the exchange is not over', this.budget.maxDurationMs!) : new TimeoutError('no data', this.timeoutMs)),
          wait,
        )
      }).finally(() => clearTimeout(this.timer))
    }
    return true
  }

  private take(n: number): Buffer {
    this.consumed += n
    if (this.budget.maxBytes !== undefined && this.consumed > this.budget.maxBytes) throw new LimitExceededError('bytes from the peer', this.budget.maxBytes, this.consumed)
    // Merge only as many leading chunks as the packet spans.
    while (this.chunks[0]!.length < n) this.chunks.splice(0, 2, Buffer.concat([this.chunks[0]!, this.chunks[1]!]))
    const first = this.chunks[0]!
    const out = first.subarray(0, n)
    if (first.length === n) this.chunks.shift()
    else this.chunks[0] = first.subarray(n)
    this.length -= n
    if (this.length <= HIGH_WATER) this.stream.resume()
    return out
  }

  /** The next `n` bytes without consuming them (fewer if the stream ends). */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n)
    while (this.chunks.length > 1 && this.chunks[0]!.length < n) this.chunks.splice(0, 2, Buffer.concat([this.chunks[0]!, this.chunks[1]!]))
    return (this.chunks[0] ?? Buffer.alloc(0)).subarray(0, n)
  }

  async read(): Promise<Packet> {
    if (!(await this.fill(4))) {
      if (this.length > 0) throw new CorruptObjectError('pkt-line', 'stream ended inside a packet header')
      return { type: 'end' }
    }
    const header = this.take(4).toString('latin1')
    if (!/^[0-9a-f]{4}$/.test(header)) throw new CorruptObjectError('pkt-line', `bad length "${header.replace(/[^\x20-\x7e]/g, '?')}"`)
    const len = parseInt(header, 16)
    if (len === 0) return { type: 'flush' }
    if (len === 1) return { type: 'delim' }
    if (len < 4 || len > MAX_PKT) throw new CorruptObjectError('pkt-line', `bad length ${len}`)
    if (!(await this.fill(len - 4))) throw new CorruptObjectError('pkt-line', 'stream ended inside a packet')
    return { type: 'data', payload: Buffer.from(this.take(len - 4)) }
  }

  /** A data packet's text without its trailing newline; throws on anything else. */
  async readLine(what: string): Promise<string | undefined> {
    const p = await this.read()
    if (p.type === 'flush') return undefined
    if (p.type !== 'data') throw new CorruptObjectError('pkt-line', `expected ${what}, got ${p.type}`)
    return p.payload.toString('utf8').replace(/\n$/, '')
  }

  /** Everything until the stream ends (a pack sent without side-band). */
  async *rest(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.length === 0 && !(await this.fill(1))) return
      yield this.take(this.chunks[0]!.length)
    }
  }
}

/** Writes `data` on side-band channel `band`, in packets of at most `max` payload bytes. */
export function sideBand(out: Writable, band: 1 | 2 | 3, data: Buffer, max = MAX_PKT - 5): boolean {
  let ok = true
  for (let at = 0; at < data.length; at += max) {
    ok = out.write(encodePkt(Buffer.concat([Buffer.from([band]), data.subarray(at, at + max)]))) && ok
  }
  return ok
}

/** Resolves when `out` drains; rejects if it closes or fails first (a peer that hung up). */
export function drained(out: Writable): Promise<void> {
  if (out.destroyed || !out.writable) return Promise.reject(new CorruptObjectError('stream', 'the peer hung up'))
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain)
      out.off('close', onClose)
      out.off('error', onClose)
      if (err) reject(err)
      else resolve()
    }
    const onDrain = (): void => done()
    const onClose = (): void => done(new CorruptObjectError('stream', 'the peer hung up'))
    out.on('drain', onDrain)
    out.on('close', onClose)
    out.on('error', onClose)
  })
}
