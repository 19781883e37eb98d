/**
 * One net_crypto connection (reference tox-protocol.md §5): COOKIE_REQUESTING →
 * HANDSHAKE_SENT → NOT_CONFIRMED → ESTABLISHED, session keys and nonces (16-bit rollover),
 * reliable ordered lossless packets (cumulative acks in every packet, packet requests both
 * ways, resends), lossy packets, kill — and a congestion window instead of c-toxcore's
 * rate estimator: it starts at 64 packets, grows with every acknowledgement and halves
 * when the peer reports losses.
 * @module
 */
import { EventEmitter } from 'node:events'
import { boxKeyPair, incrementNonce, open, seal, type BoxKeyPair } from '../../crypto/box.js'
import type { Address } from '../udp.js'
import { CRYPTO_DATA, dataPlain, MAX_CRYPTO_PACKET, MAX_DATA, parseDataPlain } from './packets.js'
import { parseRequest, ReceiveWindow, SendWindow, seqDiff, WINDOW } from './windows.js'

/** Received packets after which acknowledging waits only 10 ms (a stream, not a message). */
/** Packets resent at once when the resend timeout fires. */
const TAIL_RESENDS = 32
/** The longest the resend timeout grows by backing off. */
const MAX_BACKOFF_MS = 4000
const ACK_EVERY_PACKETS = 8

export type ConnectionState = 'cookie-requesting' | 'handshake-sent' | 'not-confirmed' | 'established' | 'killed'

export const PACKET_REQUEST = 1
export const PACKET_KILL = 2
const NONCE_THRESHOLD = 21845
// 2,048 × 1.4 KB ≈ 2.8 MB: within the 4 MB receive buffer we ask for; larger windows only overflow it.
const MAX_WINDOW = 2048
const MIN_WINDOW = 64

export interface ConnectionEvents {
  established: []
  lossless: [data: Uint8Array]
  lossy: [data: Uint8Array]
  /** The send window has room again after a refusal. */
  drain: []
  killed: [reason: string]
  /** The peer now sends from (and is sent to at) another address: a new path. */
  readdressed: [address: Address]
}

/** Keys for the data phase: one per direction (equal for the legacy handshake). */
export interface SessionKeys {
  send: Uint8Array
  receive: Uint8Array
}

export class CryptoConnection extends EventEmitter<ConnectionEvents> {
  state: ConnectionState
  /** Our ephemeral session key pair for this connection. */
  readonly session: BoxKeyPair = boxKeyPair()
  keys: SessionKeys | undefined
  /** The nonce our data packets use next (the base nonce we announced, + 1 per packet). */
  sentNonce: Uint8Array | undefined
  /** The peer's announced base nonce, moved forward as its packets arrive. */
  recvNonce: Uint8Array | undefined
  /** Whether the session came from the Noise IK handshake. */
  noise = false
  readonly sendWindow = new SendWindow()
  readonly recvWindow = new ReceiveWindow()
  /** Lossless packets waiting for room in the window. */
  private readonly queue: Uint8Array[] = []
  private window = MIN_WINDOW
  private threshold = MAX_WINDOW
  private lastLossAt = -Infinity
  /** Smoothed round-trip time (acknowledgement delay), ms. */
  rttMs = 100
  /** Replay filter over nonce offsets: a decrypted nonce is accepted once. */
  private replay = new Set<number>()
  private recvOffset = 0
  private maxOffset = -1
  lastReceivedAt: number
  lastRequestAt = 0
  /** Lossless packets received since our last packet request (which acknowledges them). */
  private unacknowledged = 0
  /** Packets resent on request. */
  resent = 0
  /** Handshake-phase packet to resend until confirmed, and how often it was sent. */
  pending: { packet: Uint8Array; tries: number; sentAt: number } | undefined
  /** Cookie the peer issued us (to put in our handshake). */
  peerCookie: Uint8Array | undefined
  echoId: Uint8Array | undefined
  /** Whether we offered (initiator) / accepted (responder) a Noise upgrade. */
  noiseOffered = false

  constructor(
    readonly peerRealPk: Uint8Array,
    public peerDhtPk: Uint8Array,
    public address: Address,
    private readonly transmit: (packet: Uint8Array, to: Address) => void,
    private readonly now: () => number,
    initial: ConnectionState,
  ) {
    super()
    this.state = initial
    this.lastReceivedAt = now()
  }

  get established(): boolean {
    return this.state === 'established'
  }

  /** Enters NOT_CONFIRMED with the peer's session data. */
  setSession(keys: SessionKeys, ourBaseNonce: Uint8Array, peerBaseNonce: Uint8Array): void {
    this.keys = keys
    this.sentNonce = new Uint8Array(ourBaseNonce)
    this.recvNonce = new Uint8Array(peerBaseNonce)
    if (this.state !== 'established') this.state = 'not-confirmed'
  }

  // ── sending ──────────────────────────────────────────────────────────────────────────

  private sendData(bufferStart: number, packetNumber: number, data: Uint8Array, to: Address = this.address): void {
    const nonce = this.sentNonce!
    const body = seal(this.keys!.send, nonce, dataPlain(bufferStart, packetNumber, data))
    const packet = Buffer.allocUnsafe(3 + body.length)
    packet[0] = CRYPTO_DATA
    packet[1] = nonce[22]!
    packet[2] = nonce[23]!
    packet.set(body, 3)
    incrementNonce(nonce)
    if (packet.length <= MAX_CRYPTO_PACKET) this.transmit(packet, to)
  }

  private canSend(): boolean {
    return (this.state === 'established' || this.state === 'not-confirmed') && this.keys !== undefined
  }

  /**
   * Queues a lossless packet (first byte 16–191). Returns false when the window is full:
   * the packet is still queued, and 'drain' fires when there is room (backpressure).
   */
  sendLossless(data: Uint8Array): boolean {
    if (data.length === 0 || data.length > MAX_DATA) throw new RangeError(`a packet is 1-${MAX_DATA} bytes`)
    this.queue.push(data)
    this.flush()
    return this.queue.length === 0
  }

  /** Sends what the congestion window allows from the queue. */
  flush(): void {
    if (!this.canSend()) return
    const hadQueue = this.queue.length > 0
    const now = this.now()
    // The window counts packets not yet acknowledged (selective acks included), so a gap
    // waiting for its resend does not stall the rest; the span stays within the peer's buffer.
    while (this.queue.length > 0 && this.sendWindow.packets.size < this.window && this.sendWindow.inFlight < WINDOW - 1) {
      const data = this.queue.shift()!
      const n = this.sendWindow.push(data, now)
      this.sendData(this.recvWindow.start, n, data)
    }
    // Whoever empties the queue (an ack, a packet request, the tick) tells the waiting writers.
    if (hadQueue && this.queue.length === 0) this.emit('drain')
  }

  get queued(): number {
    return this.queue.length
  }

  /** Lossy (ids 192–254) and control packets carry the next lossless number. */
  sendLossy(data: Uint8Array): void {
    if (!this.canSend()) return
    if (data.length === 0 || data.length > MAX_DATA) throw new RangeError(`a packet is 1-${MAX_DATA} bytes`)
    this.sendData(this.recvWindow.start, this.sendWindow.end, data)
  }

  /** A packet request: acknowledges everything received and names what is missing. */
  sendRequest(): void {
    if (!this.canSend()) return
    this.lastRequestAt = this.now()
    this.unacknowledged = 0
    this.sendData(this.recvWindow.start, this.sendWindow.end, this.recvWindow.request())
  }

  /**
   * A packet request sent to `to` instead of our address: a probe of another path. The peer
   * takes a data packet that opens from a new address as the connection moving there
   * (NetCrypto's roaming), and answers there.
   */
  probe(to: Address): void {
    if (!this.established) return
    this.sendData(this.recvWindow.start, this.sendWindow.end, this.recvWindow.request(), to)
  }

  /** A direct UDP address to move to from a relay (see ./direct-path.ts), and since when. */
  direct: { address: Address; since: number; probedAt: number } | undefined

  /** Whether the application closed this connection (rather than a timeout or the peer). */
  closedByUser = false

  /** Sends a kill packet and closes; `byUser` when the application asked for it. */
  kill(reason = 'closed', byUser = false): void {
    if (this.state === 'killed') return
    this.closedByUser = byUser
    if (this.canSend()) this.sendData(this.recvWindow.start, this.sendWindow.end, Uint8Array.of(PACKET_KILL))
    this.close(reason)
  }

  close(reason: string): void {
    if (this.state === 'killed') return
    this.state = 'killed'
    this.queue.length = 0
    this.emit('killed', reason)
  }

  // ── receiving ────────────────────────────────────────────────────────────────────────

  /** Handles a 0x1b packet from this connection's address. */
  receiveData(packet: Uint8Array): boolean {
    if (!this.keys || !this.recvNonce || packet.length < 3 + 16 + 9 || packet.length > MAX_CRYPTO_PACKET) return false
    const lo = (packet[1]! << 8) | packet[2]!
    const base = this.recvNonce
    const diff = (lo - ((base[22]! << 8) | base[23]!)) & 0xffff
    const nonce = incrementNonce(new Uint8Array(base), diff)
    const plain = open(this.keys.receive, nonce, packet.subarray(3))
    if (!plain) return false
    const offset = this.recvOffset + diff
    if (!this.fresh(offset)) return false
    if (diff > 2 * NONCE_THRESHOLD) {
      incrementNonce(this.recvNonce, NONCE_THRESHOLD)
      this.recvOffset += NONCE_THRESHOLD
    }
    const parsed = parseDataPlain(plain)
    if (!parsed) return false
    this.lastReceivedAt = this.now()
    if (this.state === 'not-confirmed') {
      this.state = 'established'
      this.pending = undefined
      this.emit('established')
    }
    if (this.state !== 'established') return false
    this.onAck(parsed.bufferStart)
    const id = parsed.data[0]!
    if (id === PACKET_REQUEST) this.onRequest(parsed.data)
    else if (id === PACKET_KILL) this.close('killed by peer')
    else if (id >= 16 && id <= 191) {
      this.unacknowledged++
      for (const d of this.recvWindow.accept(parsed.packetNumber, new Uint8Array(parsed.data))) this.emit('lossless', d)
    } else if (id >= 192 && id <= 254) this.emit('lossy', new Uint8Array(parsed.data))
    return true
  }

  /** The replay filter: each nonce offset once, within a window of 65,536. */
  private fresh(offset: number): boolean {
    if (offset <= this.maxOffset - 65536 || this.replay.has(offset)) return false
    this.replay.add(offset)
    if (offset > this.maxOffset) this.maxOffset = offset
    if (this.replay.size > 70_000) {
      const floor = this.maxOffset - 65536
      for (const o of this.replay) if (o <= floor) this.replay.delete(o)
    }
    return true
  }

  private onAck(bufferStart: number): void {
    const newest = this.sendWindow.packets.get((bufferStart - 1) >>> 0)
    const sentAt = newest?.sentAt
    const { freed, clean } = this.sendWindow.acknowledge(bufferStart)
    // A clean sample (nothing resent) shows the path delivers in time again (Karn: resent packets say nothing of it).
    if (clean) this.backoffMs = 0
    // A round-trip sample only from an acknowledgement no gap held back (Karn's rule, extended).
    if (sentAt !== undefined && clean) this.rttMs = this.rttMs * 0.875 + (this.now() - sentAt) * 0.125
    if (freed > 0) {
      // Grow: one packet per acknowledged packet below the threshold, then additively.
      this.window = Math.min(MAX_WINDOW, this.window < this.threshold ? this.window + freed : this.window + Math.max(1, Math.floor((freed * 16) / this.window)))
      this.flush()
    }
  }

  private onRequest(request: Uint8Array): void {
    const now = this.now()
    const { missing, received } = parseRequest(request, this.sendWindow.start, this.sendWindow.end)
    for (const n of received) this.sendWindow.packets.delete(n)
    if (received.length > 0) this.flush()
    let resentNow = 0
    for (const n of missing) {
      const p = this.sendWindow.packets.get(n)
      // Not yet due: it may still be on its way (reordering, a full socket buffer).
      if (!p || now - p.sentAt < 2 * this.rttMs + 10) continue
      p.sentAt = now
      p.sends++
      resentNow++
      this.sendData(this.recvWindow.start, n, p.data)
    }
    this.resent += resentNow
    if (resentNow > 0 && now - this.lastLossAt > this.rttMs) {
      this.lastLossAt = now
      this.threshold = Math.max(MIN_WINDOW, Math.floor(this.window / 2))
      this.window = this.threshold
    }
  }

  /**
   * Packet requests only name gaps below the highest packet the peer saw, so when the last
   * packets of a burst are lost nobody asks for them: resend the oldest ones after a timeout.
   * Each timeout that fires doubles the next (TCP's backoff, up to MAX_BACKOFF_MS) until an
   * acknowledgement moves the window: a peer slow to acknowledge — a busy process whose socket
   * queue holds our packets and its acks — is not sent copies it will only queue behind the
   * originals, which made it slower still (a 24-member burst in one process sent three
   * resends for every packet).
   */
  private resendTail(now: number): void {
    const timeout = Math.max(200, 4 * this.rttMs, this.backoffMs)
    let budget = TAIL_RESENDS
    let scan = 4096
    let fired = false
    for (let n = this.sendWindow.start; n !== this.sendWindow.end && budget > 0 && scan-- > 0; n = (n + 1) >>> 0) {
      const p = this.sendWindow.packets.get(n)
      if (!p) continue
      if (now - p.sentAt < timeout) break
      p.sentAt = now
      p.sends++
      this.resent++
      budget--
      fired = true
      this.sendData(this.recvWindow.start, n, p.data)
    }
    if (fired) this.backoffMs = Math.min(MAX_BACKOFF_MS, timeout * 2)
  }

  /** The resend timeout after timeouts fired without progress (0: none fired). */
  private backoffMs = 0

  /** Housekeeping every tick: packet requests (acks for a quiet receiver) and resends. */
  tick(): void {
    if (!this.canSend()) return
    const now = this.now()
    // Acknowledge often while a stream arrives (the sender's window moves with our acks); a few
    // packets (a message, a small fetch) every 50 ms — far below the resend timeout, and a node
    // talking with dozens of peers at once does not send a hundred acks a second to each;
    // else once a second.
    const gap = seqDiff(this.recvWindow.end, this.recvWindow.start) > 0
    const every = this.unacknowledged >= ACK_EVERY_PACKETS || gap ? 10 : this.unacknowledged > 0 ? 50 : 1000
    if (now - this.lastRequestAt >= every) this.sendRequest()
    this.resendTail(now)
    this.flush()
  }
}
