/**
 * Named channels over one friend connection, each a Node duplex stream — so an upload-pack
 * session or a file transfer runs over it unchanged. Every frame is a custom lossless packet
 * (c-toxcore delivers those in order and reliably):
 *   `[160][op 1][channel u16 BE][body]`
 *   OPEN    body `[credit u32][name utf8]`     ACCEPT `[credit u32]`
 *   REFUSE  body `[reason 1][text utf8]`       DATA   `[bytes]`
 *   CREDIT  body `[bytes u32]`                 CLOSE  (no more data this way)   RESET `[text]`
 * Flow control is per channel and counted in bytes: a sender never has more than the credit
 * the receiver granted in flight, and the receiver grants more only as its reader consumes, so
 * a slow reader stalls its own channel and never the others nor the memory. The side with the
 * smaller long-term key opens even channel numbers, the other odd ones, so both may open at once.
 * @module
 */
import { EventEmitter } from 'node:events'
import { Duplex } from 'node:stream'
import { ChannelRefusedError, ChannelResetError, InvalidArgumentError } from '../errors.js'
import type { Friend } from './messenger.js'

export const MUX_PACKET = 160
const OP = { open: 1, accept: 2, refuse: 3, data: 4, credit: 5, close: 6, reset: 7 } as const
const HEADER = 4
/** Largest DATA body: a custom packet is at most 1,373 bytes. */
export const MAX_FRAME_DATA = 1373 - HEADER
export const DEFAULT_CHANNEL_WINDOW = 512 * 1024
const MAX_NAME_BYTES = 1024

/** Why a channel was refused. */
export type RefusalReason = 'unknown' | 'unauthorised' | 'busy' | 'bad-name' | 'closed'
const REASONS: RefusalReason[] = ['unknown', 'unauthorised', 'busy', 'bad-name', 'closed']

/** A Jami channel name, parsed (reference jami-swarm.md §5). */
export type ChannelName =
  | { kind: 'msg'; device: string }
  | { kind: 'git'; device: string; conversation: string }
  | { kind: 'sync'; device: string }
  /** `device` is the requester's (as Jami); `start`/`end` a byte range when asked for one. */
  | { kind: 'data-transfer'; conversation: string; device: string; file: string; start?: number; end?: number }

const HEX40 = '[0-9a-f]{40}'
const DEVICE = '[0-9a-f]{40}|[0-9a-f]{64}'
const NAME_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => ChannelName]> = [
  [new RegExp(`^msg:(${DEVICE})$`), (m) => ({ kind: 'msg', device: m[1]! })],
  [new RegExp(`^git://(${DEVICE})/(${HEX40})$`), (m) => ({ kind: 'git', device: m[1]!, conversation: m[2]! })],
  [new RegExp(`^sync://(${DEVICE})$`), (m) => ({ kind: 'sync', device: m[1]! })],
  [
    new RegExp(`^data-transfer://(${HEX40})/(${DEVICE})/([0-9A-Za-z_-][0-9A-Za-z_.-]{0,127})(?:\\?start=(\\d{1,15})&end=(\\d{1,15}))?$`),
    (m) => ({ kind: 'data-transfer', conversation: m[1]!, device: m[2]!, file: m[3]!, ...(m[4] !== undefined ? { start: Number(m[4]), end: Number(m[5]) } : {}) }),
  ],
]

/** Parses one of Jami's channel names; undefined for anything else. */
export function parseChannelName(name: string): ChannelName | undefined {
  for (const [pattern, build] of NAME_PATTERNS) {
    const m = name.match(pattern)
    if (m) return build(m)
  }
  return undefined
}

/** What the application answers to a channel request. */
export type ChannelDecision = true | { refuse: RefusalReason; message?: string }

/** How a ChannelMux decides on and sizes channels. */
export interface ChannelMuxOptions {
  /**
   * Decides on an incoming channel. Names that are not Jami channel names are refused
   * ('bad-name') before this is asked. Default: refuse everything as 'unknown'. A promise
   * defers the answer (the opener waits): a decision that needs to know the peer first — its
   * hello — is made once it is known, instead of refusing and having the opener try again.
   */
  authorize?: (name: string, parsed: ChannelName) => ChannelDecision | Promise<ChannelDecision>
  /** Receive window per channel, in bytes (default 512 KiB). */
  window?: number
  /** Most channels open at once on this connection (default 256). */
  maxChannels?: number
  /** Whether this side opens even channel numbers (the side with the smaller long-term key). */
  evenIds: boolean
}

export interface ChannelMuxEvents {
  /** An incoming channel was accepted. */
  channel: [channel: Channel]
}

/** One named channel: a duplex byte stream with flow control. */
export class Channel extends Duplex {
  /** Bytes we may still send (granted by the peer). */
  credit = 0
  /** Bytes the peer may still send us: what we granted minus what arrived. */
  private allowance: number
  private localEnded = false
  private remoteEnded = false
  private waitingCredit: (() => void) | undefined

  constructor(
    readonly mux: ChannelMux,
    readonly id: number,
    readonly name: string,
    private readonly window: number,
  ) {
    super({ readableHighWaterMark: window, writableHighWaterMark: 64 * 1024, allowHalfOpen: true })
    this.allowance = window
    // A reset reaches whoever reads or writes the channel (and any 'error' listener); a
    // connection lost under a channel nobody listens to must not take the process down.
    this.on('error', () => {})
  }

  /** @internal */
  grant(bytes: number): void {
    this.credit += bytes
    const wake = this.waitingCredit
    this.waitingCredit = undefined
    wake?.()
  }

  /** @internal a DATA frame; false when the peer overran its credit. */
  receive(data: Uint8Array): boolean {
    if (this.remoteEnded || data.length > this.allowance) return false
    this.allowance -= data.length
    if (this.push(data)) this.maybeGrant()
    return true
  }

  /** @internal */
  remoteEnd(): void {
    if (this.remoteEnded) return
    this.remoteEnded = true
    this.push(null)
    this.mux.release(this, this.localEnded)
  }

  private maybeGrant(): void {
    // In flight plus buffered unread stays within the window; grant in quarter-window batches
    // so credit frames stay rare.
    const grant = this.window - this.allowance - this.readableLength
    if (grant >= this.window / 4 && !this.remoteEnded && !this.destroyed) {
      this.mux.frame(OP.credit, this.id, u32(grant))
      this.allowance += grant
    }
  }

  /** @internal */
  override _read(): void {
    // read() calls this before it takes the data out of the buffer: count after it has.
    process.nextTick(() => this.maybeGrant())
  }

  /** @internal */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeFrames(chunk).then(() => callback(), callback)
  }

  /**
   * @internal Writes made while a frame was going out, as one: git writes a pkt-line at a
   * time (an advertisement line per ref, a `have` per commit), and a packet each cost a
   * seal, a datagram, an open and an acknowledgement on both sides.
   */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeFrames(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk))).then(() => callback(), callback)
  }

  private async writeFrames(chunk: Buffer): Promise<void> {
    let at = 0
    while (at < chunk.length) {
      if (this.destroyed) throw new ChannelResetError(this.name, 'destroyed')
      if (this.credit === 0) {
        await new Promise<void>((resolve) => (this.waitingCredit = resolve))
        continue
      }
      const size = Math.min(MAX_FRAME_DATA, this.credit, chunk.length - at)
      this.credit -= size
      const roomLeft = this.mux.frame(OP.data, this.id, chunk.subarray(at, at + size))
      at += size
      if (!roomLeft) await this.mux.drained()
    }
  }

  /** @internal */
  override _final(callback: (error?: Error | null) => void): void {
    this.localEnded = true
    this.mux.frame(OP.close, this.id)
    this.mux.release(this, this.remoteEnded)
    callback()
  }

  /** @internal */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!(this.localEnded && this.remoteEnded)) this.mux.reset(this, error?.message ?? 'closed')
    const wake = this.waitingCredit
    this.waitingCredit = undefined
    wake?.()
    callback(error)
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** The multiplexer on one friend connection. */
export class ChannelMux extends EventEmitter<ChannelMuxEvents> {
  private readonly channels = new Map<number, Channel>()
  /** Incoming channels whose decision is deferred: their ids are taken meanwhile. */
  private readonly deciding = new Set<number>()
  private readonly opening = new Map<number, { resolve: (c: Channel) => void; reject: (e: Error) => void; channel: Channel }>()
  private nextId: number
  private readonly window: number
  private readonly maxChannels: number
  private closed = false
  private draining: Promise<void> | undefined

  constructor(
    readonly friend: Friend,
    private readonly options: ChannelMuxOptions,
  ) {
    super()
    this.window = options.window ?? DEFAULT_CHANNEL_WINDOW
    this.maxChannels = options.maxChannels ?? 256
    this.nextId = options.evenIds ? 0 : 1
    friend.connection.setMaxListeners(0)
    friend.on('lossless', (d) => {
      if (d[0] === MUX_PACKET) this.onFrame(d)
    })
    // Our own close ends the channels quietly; any other loss is an error on each of them.
    friend.on('offline', (reason) => this.shutdown(`connection lost: ${reason || 'offline'}`, !friend.connection.closedByUser))
  }

  /** Channels currently open. */
  get size(): number {
    return this.channels.size
  }

  /**
   * Opens a channel; resolves when the peer accepts, rejects with ChannelRefusedError — also
   * (reason 'closed') when `timeoutMs` passes without an answer: a peer that died without a
   * word leaves its connection up until the friend timeout, and an open must not wait that long.
   */
  open(name: string, options: { timeoutMs?: number } = {}): Promise<Channel> {
    if (Buffer.byteLength(name) > MAX_NAME_BYTES || name.length === 0) throw new InvalidArgumentError('a channel name is 1-1024 bytes', { name })
    if (this.closed) return Promise.reject(new ChannelRefusedError(name, 'closed', 'the connection is gone'))
    if (this.channels.size >= this.maxChannels) return Promise.reject(new ChannelRefusedError(name, 'busy', 'too many channels open'))
    const id = this.nextId
    this.nextId = (this.nextId + 2) & 0xffff
    const channel = new Channel(this, id, name, this.window)
    this.channels.set(id, channel)
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const settle = <T>(fn: (v: T) => void) => (v: T) => (clearTimeout(timer), fn(v))
      this.opening.set(id, { resolve: settle(resolve), reject: settle(reject), channel })
      this.frame(OP.open, id, Buffer.concat([u32(this.window), Buffer.from(name)]))
      if (options.timeoutMs === undefined) return
      timer = setTimeout(() => {
        if (this.opening.get(id)?.channel !== channel) return
        this.opening.delete(id)
        this.channels.delete(id)
        // Should the peer answer after all, its side of the channel is told to go.
        this.frame(OP.reset, id, Buffer.from('no answer in time'))
        reject(new ChannelRefusedError(name, 'closed', `no answer within ${options.timeoutMs} ms`))
      }, options.timeoutMs)
      timer.unref()
    })
  }

  /** @internal Sends one frame; false when the connection's send queue is full. */
  frame(op: number, id: number, body: Uint8Array = new Uint8Array(0)): boolean {
    if (this.closed || !this.friend.online) return true
    const packet = Buffer.allocUnsafe(HEADER + body.length)
    packet[0] = MUX_PACKET
    packet[1] = op
    packet.writeUInt16BE(id, 2)
    packet.set(body, HEADER)
    return this.friend.sendLossless(packet)
  }

  /** @internal Resolves when the connection can take more packets. */
  drained(): Promise<void> {
    if (this.closed || this.friend.connection.queued === 0) return Promise.resolve()
    // One wait shared by every channel writing now: two listeners, however many channels.
    this.draining ??= new Promise((resolve) => {
      const done = () => {
        this.friend.connection.off('drain', done)
        this.friend.off('offline', done)
        this.draining = undefined
        resolve()
      }
      this.friend.connection.on('drain', done)
      this.friend.on('offline', done)
    })
    return this.draining
  }

  /** @internal Forgets a channel once both directions ended. */
  release(channel: Channel, otherSideEnded: boolean): void {
    if (otherSideEnded && this.channels.get(channel.id) === channel) this.channels.delete(channel.id)
  }

  /** @internal */
  reset(channel: Channel, reason: string): void {
    if (this.channels.get(channel.id) !== channel) return
    this.channels.delete(channel.id)
    this.frame(OP.reset, channel.id, Buffer.from(reason.slice(0, 200)))
  }

  private refuse(id: number, reason: RefusalReason, message = ''): void {
    this.frame(OP.refuse, id, Buffer.concat([Uint8Array.of(REASONS.indexOf(reason)), Buffer.from(message.slice(0, 200))]))
  }

  private onFrame(packet: Uint8Array): void {
    if (packet.length < HEADER) return
    const op = packet[1]!
    const id = (packet[2]! << 8) | packet[3]!
    const body = Buffer.from(packet.buffer, packet.byteOffset + HEADER, packet.length - HEADER)
    if (op === OP.open) return this.onOpen(id, body)
    const pending = this.opening.get(id)
    if (op === OP.accept || op === OP.refuse) {
      if (!pending) return
      this.opening.delete(id)
      if (op === OP.accept && body.length === 4) {
        pending.channel.grant(body.readUInt32BE(0))
        pending.resolve(pending.channel)
      } else {
        this.channels.delete(id)
        const reason = REASONS[body[0] ?? 0] ?? 'unknown'
        pending.reject(new ChannelRefusedError(pending.channel.name, reason, body.subarray(1).toString('utf8')))
      }
      return
    }
    // The opener gave up on a channel we were still deciding on: no answer will go.
    if (op === OP.reset && this.deciding.delete(id)) return
    const channel = this.channels.get(id)
    if (!channel || pending) return
    if (op === OP.data) {
      if (!channel.receive(body)) this.violation(channel, 'peer sent more than its credit')
    } else if (op === OP.credit && body.length === 4) channel.grant(body.readUInt32BE(0))
    else if (op === OP.close) channel.remoteEnd()
    else if (op === OP.reset) {
      this.channels.delete(id)
      channel.destroy(new ChannelResetError(channel.name, body.toString('utf8') || 'reset by peer'))
    }
  }

  private violation(channel: Channel, reason: string): void {
    this.reset(channel, reason)
    channel.destroy(new ChannelResetError(channel.name, reason))
  }

  private onOpen(id: number, body: Buffer): void {
    // The opener uses the other parity; an id of ours or one in use is a protocol error.
    if ((id % 2 === 0) === this.options.evenIds || this.channels.has(id) || this.deciding.has(id) || body.length < 4) return this.refuse(id, 'bad-name', 'bad channel number')
    const name = body.subarray(4).toString('utf8')
    const parsed = parseChannelName(name)
    if (!parsed) return this.refuse(id, 'bad-name', `not a channel name: ${name.slice(0, 100)}`)
    if (this.channels.size + this.deciding.size >= this.maxChannels) return this.refuse(id, 'busy', 'too many channels open')
    const credit = body.readUInt32BE(0)
    let decision: ChannelDecision | Promise<ChannelDecision>
    try {
      decision = this.options.authorize?.(name, parsed) ?? { refuse: 'unknown', message: 'no service for this channel' }
    } catch (err) {
      decision = { refuse: 'unauthorised', message: (err as Error).message }
    }
    if (!(decision instanceof Promise)) return this.decided(id, name, credit, decision)
    this.deciding.add(id)
    decision.then(
      (d) => this.deciding.delete(id) && !this.closed && this.decided(id, name, credit, d),
      (err: Error) => this.deciding.delete(id) && !this.closed && this.decided(id, name, credit, { refuse: 'unauthorised', message: err.message }),
    )
  }

  private decided(id: number, name: string, credit: number, decision: ChannelDecision): void {
    if (decision !== true) return this.refuse(id, decision.refuse, decision.message)
    const channel = new Channel(this, id, name, this.window)
    channel.grant(credit)
    this.channels.set(id, channel)
    this.frame(OP.accept, id, u32(this.window))
    this.emit('channel', channel)
  }

  /**
   * Ends every channel: quietly when we close (`asError` false), else each one is destroyed
   * with a ChannelResetError, as a socket is on a connection reset.
   */
  shutdown(reason = 'closed', asError = false): void {
    if (this.closed) return
    this.closed = true
    for (const { reject, channel } of this.opening.values()) reject(new ChannelRefusedError(channel.name, 'closed', reason))
    this.opening.clear()
    this.deciding.clear()
    for (const channel of [...this.channels.values()]) channel.destroy(asError ? new ChannelResetError(channel.name, reason) : undefined)
    this.channels.clear()
  }
}

/** Which side opens even channel numbers: the one with the smaller long-term key. */
export function opensEvenIds(ourRealPk: Uint8Array, peerRealPk: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(ourRealPk), Buffer.from(peerRealPk)) < 0
}
