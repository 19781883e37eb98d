/**
 * A TCP relay server speaking c-toxcore's TCP_server protocol (reference tox-protocol.md §8),
 * so a community can run its own relay without c-toxcore, and c-toxcore clients and gitswarm
 * nodes alike can use it. Its key is the node's DHT key (as tox-bootstrapd's). A client
 * proves its DHT key in the handshake; two clients that each asked to be routed to the other
 * are connected (a connect notification to both), and what one sends on its connection id
 * goes to the other on its own. Out-of-band packets go to any connected client; onion
 * requests leave as the first hop of the client's path (0x81 to the second node, by UDP) and
 * their responses come back to the client — the return path names it by a pseudo-address in
 * the discard prefix 100::/64 (RFC 6666), which the node's link hands to this server.
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net'
import { boxKeyPair, open, randomNonce, seal, trySharedKey, type BoxKeyPair } from '../crypto/box.js'
import { unpackIpPort } from '../dht/onion-packets.js'
import { keyHex } from '../dht/routing-table.js'
import { ConnectionFailedError } from '../errors.js'
import { FramedSession } from './tcp-frames.js'
import { TCP } from './tcp-relay.js'
import type { Address } from './udp.js'

const HANDSHAKE_REQUEST = 128
const FIRST_CONNECTION_ID = 16
const MAX_CONNECTIONS = 240
const MAX_OOB = 1024
/** A client that sent nothing for this long is gone (clients ping every 30 s). */
const IDLE_MS = 75_000
const HANDSHAKE_MS = 10_000
/** Onion return pseudo-addresses: 100::/64 is the discard-only prefix, never routed. */
const clientAddress = (id: number): Address => ({ host: `100:0:0:0:0:0:${(id >>> 16).toString(16)}:${(id & 0xffff).toString(16)}`, port: 0 })
const CLIENT_ADDRESS = /^100:0:0:0:0:0:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/

interface Client {
  id: number
  socket: Socket
  dhtPk: Uint8Array
  frames: FramedSession
  /** Connection id → the peer's DHT key (hex), and whether both asked (connected). */
  slots: Map<number, { key: string; connected: boolean }>
  lastHeard: number
}

export interface TcpRelayServerOptions {
  /** The relay's key pair: the node's DHT keys. */
  keys: BoxKeyPair
  host?: string
  port?: number
  /** Sends an onion layer-1 packet (0x81 …) by UDP, its return path naming `client` (see above). */
  sendOnion: (nonce: Uint8Array, next: Address, rest: Uint8Array, client: Address) => void
}

/** c-toxcore's TCP relay, served from a gitswarm node. */
export class TcpRelayServer {
  private readonly byKey = new Map<string, Client>()
  private readonly byId = new Map<number, Client>()
  private nextId = 1
  private timer: NodeJS.Timeout | undefined
  /** Clients connected, frames relayed. */
  readonly stats = { clients: 0, relayed: 0 }

  private constructor(
    private readonly server: Server,
    private readonly options: TcpRelayServerOptions,
  ) {}

  /** Listens on `options.port` (0: any free one) of `options.host` (127.0.0.1 by default). */
  static listen(options: TcpRelayServerOptions): Promise<TcpRelayServer> {
    return new Promise((resolve, reject) => {
      const server = createServer()
      const relay = new TcpRelayServer(server, options)
      server.on('connection', (socket) => relay.accept(socket))
      server.once('error', (err) => reject(new ConnectionFailedError(`${options.host ?? '127.0.0.1'}:${options.port ?? 0}`, `cannot listen: ${err.message}`)))
      server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () => {
        server.removeAllListeners('error')
        relay.timer = setInterval(() => relay.sweep(), 5000)
        relay.timer.unref()
        resolve(relay)
      })
    })
  }

  get address(): Address {
    const a = this.server.address()
    return typeof a === 'object' && a ? { host: a.address, port: a.port } : { host: '', port: 0 }
  }

  /** Whether `to` is one of our clients' onion pseudo-addresses: if so, `data` (an onion response) goes to it. */
  deliverOnion(to: Address, data: Uint8Array): boolean {
    const m = CLIENT_ADDRESS.exec(to.host)
    if (!m) return false
    const client = this.byId.get(Number.parseInt(m[1]!, 16) * 0x10000 + Number.parseInt(m[2]!, 16))
    client?.frames.write(Buffer.concat([Uint8Array.of(TCP.onionResponse), data]))
    return true
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    for (const c of [...this.byKey.values()]) c.socket.destroy()
    await new Promise<void>((r) => this.server.close(() => r()))
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true)
    let hello = Buffer.alloc(0)
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_MS)
    socket.on('error', () => socket.destroy())
    const onHello = (chunk: Buffer) => {
      hello = Buffer.concat([hello, chunk])
      if (hello.length < HANDSHAKE_REQUEST) return
      socket.off('data', onHello)
      clearTimeout(timer)
      const client = this.handshake(socket, hello.subarray(0, HANDSHAKE_REQUEST))
      if (!client) return void socket.destroy()
      socket.on('data', (c: Buffer) => client.frames.read(c, (p) => this.onFrame(client, p), () => socket.destroy()))
      socket.on('close', () => this.drop(client))
      if (hello.length > HANDSHAKE_REQUEST) socket.emit('data', hello.subarray(HANDSHAKE_REQUEST))
    }
    socket.on('data', onHello)
  }

  /** Opens the client's handshake, answers it; the client, or undefined if it does not open. */
  private handshake(socket: Socket, hello: Buffer): Client | undefined {
    const clientPk = new Uint8Array(hello.subarray(0, 32))
    const shared = trySharedKey(clientPk, this.options.keys.secretKey)
    const plain = shared && open(shared, hello.subarray(32, 56), hello.subarray(56))
    if (!shared || !plain || plain.length !== 56) return undefined
    const temp = boxKeyPair()
    const session = trySharedKey(plain.subarray(0, 32), temp.secretKey)
    if (!session) return undefined
    const ourBase = randomNonce()
    const nonce = randomNonce()
    socket.write(Buffer.concat([nonce, seal(shared, nonce, Buffer.concat([temp.publicKey, ourBase]))]))
    // A second connection with the same key replaces the first (a client that reconnected).
    this.byKey.get(keyHex(clientPk))?.socket.destroy()
    const client: Client = { id: this.nextId++, socket, dhtPk: clientPk, frames: new FramedSession(socket, session, ourBase, new Uint8Array(plain.subarray(32, 56))), slots: new Map(), lastHeard: performance.now() }
    this.byKey.set(keyHex(clientPk), client)
    this.byId.set(client.id, client)
    this.stats.clients++
    // Those who asked for this key before it came: connected now.
    for (const other of this.byKey.values()) {
      for (const [id, slot] of other.slots) if (slot.key === keyHex(clientPk)) this.pair(other, id, client)
    }
    return client
  }

  private onFrame(c: Client, p: Uint8Array): void {
    c.lastHeard = performance.now()
    const kind = p[0]!
    if (kind >= FIRST_CONNECTION_ID) {
      const slot = c.slots.get(kind)
      const peer = slot?.connected ? this.byKey.get(slot.key) : undefined
      const back = peer && this.slotFor(peer, keyHex(c.dhtPk))
      if (peer && back !== undefined) {
        this.stats.relayed++
        peer.frames.write(Buffer.concat([Uint8Array.of(back), p.subarray(1)]))
      }
      return
    }
    switch (kind) {
      case TCP.routingRequest:
        if (p.length === 33) this.route(c, new Uint8Array(p.subarray(1)))
        return
      case TCP.disconnectNotification: {
        const slot = p.length === 2 ? c.slots.get(p[1]!) : undefined
        if (!slot) return
        c.slots.delete(p[1]!)
        const peer = this.byKey.get(slot.key)
        const back = peer && this.slotFor(peer, keyHex(c.dhtPk))
        if (peer && back !== undefined && peer.slots.get(back)!.connected) {
          peer.slots.get(back)!.connected = false
          peer.frames.write(Uint8Array.of(TCP.disconnectNotification, back))
        }
        return
      }
      case TCP.ping:
        if (p.length === 9) c.frames.write(Buffer.concat([Uint8Array.of(TCP.pong), p.subarray(1)]))
        return
      case TCP.oobSend: {
        const to = p.length > 33 && p.length <= 33 + MAX_OOB ? this.byKey.get(keyHex(p.subarray(1, 33))) : undefined
        to?.frames.write(Buffer.concat([Uint8Array.of(TCP.oobRecv), c.dhtPk, p.subarray(33)]))
        return
      }
      case TCP.onionRequest: {
        // [nonce 24][IP_Port of the second node 19][the rest, for it]
        if (p.length <= 1 + 24 + 19 + 32) return
        const next = unpackIpPort(p.subarray(25, 44))
        if (next) this.options.sendOnion(p.subarray(1, 25), next, p.subarray(44), clientAddress(c.id))
        return
      }
    }
  }

  /** A routing request: a connection id for that key (the same one if asked before), connected if the other asked too. */
  private route(c: Client, peerPk: Uint8Array): void {
    const key = keyHex(peerPk)
    let id = this.slotFor(c, key)
    if (id === undefined) {
      id = [...Array(MAX_CONNECTIONS).keys()].map((i) => i + FIRST_CONNECTION_ID).find((i) => !c.slots.has(i))
      if (id === undefined) return void c.frames.write(Buffer.concat([Uint8Array.of(TCP.routingResponse, 0), peerPk]))
      c.slots.set(id, { key, connected: false })
    }
    c.frames.write(Buffer.concat([Uint8Array.of(TCP.routingResponse, id), peerPk]))
    const peer = this.byKey.get(key)
    if (peer) this.pair(c, id, peer)
  }

  /** `c` asked for `peer` on slot `id`: if `peer` asked for `c` too, both are told they are connected. */
  private pair(c: Client, id: number, peer: Client): void {
    const back = this.slotFor(peer, keyHex(c.dhtPk))
    const slot = c.slots.get(id)!
    if (back === undefined || slot.connected) return
    slot.connected = true
    peer.slots.get(back)!.connected = true
    c.frames.write(Uint8Array.of(TCP.connectNotification, id))
    peer.frames.write(Uint8Array.of(TCP.connectNotification, back))
  }

  private slotFor(c: Client, key: string): number | undefined {
    for (const [id, slot] of c.slots) if (slot.key === key) return id
    return undefined
  }

  /** A client went: those connected with it are told; their requests stand for when it comes back. */
  private drop(c: Client): void {
    if (this.byKey.get(keyHex(c.dhtPk)) === c) this.byKey.delete(keyHex(c.dhtPk))
    this.byId.delete(c.id)
    for (const other of this.byKey.values()) {
      const back = this.slotFor(other, keyHex(c.dhtPk))
      const slot = back === undefined ? undefined : other.slots.get(back)
      if (slot?.connected) {
        slot.connected = false
        other.frames.write(Uint8Array.of(TCP.disconnectNotification, back!))
      }
    }
  }

  private sweep(): void {
    const now = performance.now()
    for (const c of this.byKey.values()) if (now - c.lastHeard > IDLE_MS) c.socket.destroy()
  }
}

