/**
 * A client of c-toxcore's TCP relay (TCP_server: tox-bootstrapd with enable_tcp_relay, or
 * any Tox with a TCP port), for when UDP does not get through (reference tox-protocol.md §8).
 * Handshake: `[our DHT PK][nonce][box(DHT keys, [temp PK][base nonce])]` (128 bytes), answered
 * by the relay's temp key and base nonce (96 bytes); then frames `[len u16 BE][box(session
 * key, nonce, payload)]`, each side's nonce starting at the base it announced. Through the
 * relay: routing requests to a peer's DHT key, connect/disconnect notifications, data to a
 * connection id, out-of-band packets, pings, and onion requests (the relay is the first hop).
 * @module
 */
import { EventEmitter } from 'node:events'
import { connect as tcpConnect, type Socket } from 'node:net'
import { boxKeyPair, open, randomNonce, seal, trySharedKey, type BoxKeyPair } from '../crypto/box.js'
import { FramedSession } from './tcp-frames.js'
import { ConnectionFailedError } from '../errors.js'
import { keyHex } from '../dht/routing-table.js'

export const TCP = {
  routingRequest: 0x00,
  routingResponse: 0x01,
  connectNotification: 0x02,
  disconnectNotification: 0x03,
  ping: 0x04,
  pong: 0x05,
  oobSend: 0x06,
  oobRecv: 0x07,
  onionRequest: 0x08,
  onionResponse: 0x09,
} as const

const HANDSHAKE_RESPONSE = 96
const PING_INTERVAL_MS = 30_000
const PING_TIMEOUT_MS = 10_000
const FIRST_CONNECTION_ID = 16

export interface TcpRelayEvents {
  /** The relay connected us with `peerPk` (both sides asked for each other). */
  connected: [peerPk: Uint8Array]
  disconnected: [peerPk: Uint8Array]
  /** A packet from `peerPk` through its connection. */
  data: [peerPk: Uint8Array, packet: Uint8Array]
  /** An out-of-band packet from `senderPk`. */
  oob: [senderPk: Uint8Array, packet: Uint8Array]
  /** An onion response (the relay was the first hop of our path). */
  onion: [packet: Uint8Array]
  closed: [reason: string]
}

/** A TCP relay: where it listens and its public key. */
export interface RelayAddress {
  host: string
  port: number
  /** The relay's DHT public key. */
  publicKey: Uint8Array
}

/** A client of a c-toxcore TCP relay: routes packets to peers through it when UDP is not possible. */
export class TcpRelayClient extends EventEmitter<TcpRelayEvents> {
  private frames: FramedSession | undefined
  private readonly byId = new Map<number, string>()
  private readonly idOf = new Map<string, number>()
  private readonly online = new Set<string>()
  private readonly keys = new Map<string, Uint8Array>()
  private pingTimer: NodeJS.Timeout | undefined
  private pendingPing: { id: bigint; at: number } | undefined
  closed = false

  private constructor(
    readonly relay: RelayAddress,
    private readonly socket: Socket,
  ) {
    super()
  }

  /** Connects and completes the handshake with our DHT keys; rejects with ConnectionFailedError. */
  static connect(relay: RelayAddress, dhtKeys: BoxKeyPair, timeoutMs = 10_000): Promise<TcpRelayClient> {
    return new Promise((resolve, reject) => {
      const shared = trySharedKey(relay.publicKey, dhtKeys.secretKey)
      if (!shared) return reject(new ConnectionFailedError(keyHex(relay.publicKey), 'not a usable relay key'))
      const socket = tcpConnect({ host: relay.host, port: relay.port })
      const client = new TcpRelayClient(relay, socket)
      const temp = boxKeyPair()
      const ourBase = randomNonce()
      const fail = (reason: string) => {
        clearTimeout(timer)
        socket.destroy()
        reject(new ConnectionFailedError(`${relay.host}:${relay.port}`, reason))
      }
      const timer = setTimeout(() => fail(`no handshake within ${timeoutMs} ms`), timeoutMs)
      socket.once('error', (e) => fail(e.message))
      socket.once('connect', () => {
        const nonce = randomNonce()
        socket.write(Buffer.concat([dhtKeys.publicKey, nonce, seal(shared, nonce, Buffer.concat([temp.publicKey, ourBase]))]))
      })
      let handshake = Buffer.alloc(0)
      const onHandshake = (chunk: Buffer) => {
        handshake = Buffer.concat([handshake, chunk])
        if (handshake.length < HANDSHAKE_RESPONSE) return
        socket.off('data', onHandshake)
        const plain = open(shared, handshake.subarray(0, 24), handshake.subarray(24, HANDSHAKE_RESPONSE))
        const session = plain && plain.length === 56 && trySharedKey(plain.subarray(0, 32), temp.secretKey)
        if (!plain || !session) return fail('bad handshake response')
        clearTimeout(timer)
        socket.removeAllListeners('error')
        client.frames = new FramedSession(socket, session, ourBase, new Uint8Array(plain.subarray(32, 56)))
        client.start(handshake.subarray(HANDSHAKE_RESPONSE))
        resolve(client)
      }
      socket.on('data', onHandshake)
    })
  }

  private start(rest: Buffer): void {
    this.socket.setNoDelay(true)
    this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk))
    this.socket.on('error', () => this.close('socket error'))
    this.socket.on('close', () => this.close('relay closed the connection'))
    this.ping() // the relay confirms us on our first valid frame
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS)
    this.pingTimer.unref()
    if (rest.length) this.onBytes(rest)
  }

  private ping(): void {
    if (this.pendingPing && performance.now() - this.pendingPing.at > PING_TIMEOUT_MS) return this.close('relay did not answer a ping')
    const id = BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 52)) + 1n)
    const body = Buffer.alloc(9)
    body[0] = TCP.ping
    body.writeBigUInt64BE(id, 1)
    this.pendingPing = { id, at: performance.now() }
    this.write(body)
  }

  private write(payload: Uint8Array): boolean {
    if (this.closed || !this.frames) return false
    return this.frames.write(payload)
  }

  private onBytes(chunk: Buffer): void {
    this.frames!.read(chunk, (p) => this.onFrame(p), (reason) => this.close(reason))
  }

  private onFrame(p: Uint8Array): void {
    const id = p[0]!
    if (id >= FIRST_CONNECTION_ID) {
      const key = this.byId.get(id)
      if (key) this.emit('data', this.keys.get(key)!, p.subarray(1))
      return
    }
    switch (id) {
      case TCP.routingResponse: {
        if (p.length !== 34) return
        const key = keyHex(p.subarray(2, 34))
        if (p[1]! < FIRST_CONNECTION_ID) return // refused
        this.keys.set(key, new Uint8Array(p.subarray(2, 34)))
        this.byId.set(p[1]!, key)
        this.idOf.set(key, p[1]!)
        return
      }
      case TCP.connectNotification: {
        const key = this.byId.get(p[1]!)
        if (!key || p.length !== 2) return
        this.online.add(key)
        this.emit('connected', this.keys.get(key)!)
        return
      }
      case TCP.disconnectNotification: {
        const key = this.byId.get(p[1]!)
        if (!key || p.length !== 2) return
        this.online.delete(key)
        this.emit('disconnected', this.keys.get(key)!)
        return
      }
      case TCP.ping:
        if (p.length === 9) this.write(Buffer.concat([Uint8Array.of(TCP.pong), p.subarray(1)]))
        return
      case TCP.pong:
        if (p.length === 9 && this.pendingPing && Buffer.from(p).readBigUInt64BE(1) === this.pendingPing.id) this.pendingPing = undefined
        return
      case TCP.oobRecv:
        if (p.length > 33) this.emit('oob', new Uint8Array(p.subarray(1, 33)), p.subarray(33))
        return
      case TCP.onionResponse:
        if (p.length > 1) this.emit('onion', p.subarray(1))
        return
    }
  }

  /** Asks the relay to connect us with the holder of DHT key `peerPk` (it must ask for us too). */
  route(peerPk: Uint8Array): void {
    if (!this.idOf.has(keyHex(peerPk))) this.write(Buffer.concat([Uint8Array.of(TCP.routingRequest), peerPk]))
  }

  /** Whether the relay has connected us with `peerPk`. */
  isConnected(peerPk: Uint8Array): boolean {
    return this.online.has(keyHex(peerPk))
  }

  /** Sends a packet to a connected peer; false when not connected. */
  send(peerPk: Uint8Array, packet: Uint8Array): boolean {
    const key = keyHex(peerPk)
    const id = this.idOf.get(key)
    if (id === undefined || !this.online.has(key)) return false
    this.write(Buffer.concat([Uint8Array.of(id), packet]))
    return true
  }

  /** An onion request whose first hop is the relay: `[nonce][IP_Port B][PK][box…]`. */
  sendOnion(body: Uint8Array): void {
    this.write(Buffer.concat([Uint8Array.of(TCP.onionRequest), body]))
  }

  /** Closes the relay connection. */
  close(reason = 'closed'): void {
    if (this.closed) return
    this.closed = true
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.socket.destroy()
    for (const key of this.online) this.emit('disconnected', this.keys.get(key)!)
    this.online.clear()
    this.emit('closed', reason)
  }
}
