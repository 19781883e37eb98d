/**
 * friend_connection and Messenger, the minimum (reference tox-protocol.md §6): ONLINE when
 * the crypto connection comes up, ALIVE every 8 s and a 32 s timeout, text messages, and
 * custom packets — lossless 160–191 (only once the friend is ONLINE, as c-toxcore) and lossy
 * 200–254. NICKNAME, STATUSMESSAGE, USERSTATUS and TYPING are accepted (acknowledged by
 * the transport) and reported. Share-relays (0x11): the TCP relays each side is on.
 * @module
 */
import { EventEmitter } from 'node:events'
import { packNode, unpackNodeList, type NodeInfo } from '../dht/packed-node.js'
import type { CryptoConnection } from './net-crypto/connection.js'

export const MESSENGER = {
  alive: 0x10,
  shareRelays: 0x11,
  friendRequests: 0x12,
  online: 0x18,
  offline: 0x19,
  nickname: 0x30,
  statusMessage: 0x31,
  userStatus: 0x32,
  typing: 0x33,
  message: 0x40,
  action: 0x41,
} as const

export const ALIVE_INTERVAL_MS = 8000
/** c-toxcore's MAX_SHARED_RELAYS. */
const MAX_SHARED_RELAYS = 3
export const FRIEND_TIMEOUT_MS = 32_000

export interface FriendEvents {
  /** The friend sent ONLINE: messages and custom packets now flow. */
  online: []
  /** The connection is gone (timeout, kill, close). */
  offline: [reason: string]
  message: [text: string]
  /** A custom lossless packet (first byte 160–191). */
  lossless: [data: Uint8Array]
  /** A custom lossy packet (first byte 200–254). */
  lossy: [data: Uint8Array]
  /** Other Messenger packets (nickname, status…): id and body. */
  info: [id: number, body: Uint8Array]
  /** The friend shared the TCP relays it is connected to (c-toxcore's share-relays packet). */
  relays: [relays: NodeInfo[]]
}

/** A friend connection (Messenger level): online state, text messages, lossless and lossy packets. */
export class Friend extends EventEmitter<FriendEvents> {
  online = false
  private lastAlive: number
  private lastAliveSent = -Infinity
  private timer: NodeJS.Timeout | undefined

  constructor(
    readonly connection: CryptoConnection,
    private readonly now: () => number = () => performance.now(),
  ) {
    super()
    this.lastAlive = now()
    connection.on('established', () => this.start())
    connection.on('lossless', (d) => this.onLossless(d))
    connection.on('lossy', (d) => {
      if (d[0]! >= 200) this.emit('lossy', d)
    })
    connection.on('killed', (reason) => this.stop(reason))
    if (connection.established) this.start()
  }

  get realPublicKey(): Uint8Array {
    return this.connection.peerRealPk
  }

  private start(): void {
    this.connection.sendLossless(Uint8Array.of(MESSENGER.online))
    this.lastAlive = this.now()
    this.timer ??= setInterval(() => this.tick(), 1000)
    this.timer.unref()
    this.tick()
  }

  private tick(): void {
    const now = this.now()
    if (now - this.lastAlive > FRIEND_TIMEOUT_MS) {
      this.connection.kill('friend timed out (no ALIVE for 32 s)')
      return
    }
    if (now - this.lastAliveSent >= ALIVE_INTERVAL_MS) {
      this.lastAliveSent = now
      this.connection.sendLossless(Uint8Array.of(MESSENGER.alive))
    }
  }

  private stop(reason: string): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    const was = this.online
    this.online = false
    if (was || reason) this.emit('offline', reason)
  }

  private onLossless(d: Uint8Array): void {
    const id = d[0]!
    if (id === MESSENGER.alive) {
      this.lastAlive = this.now()
      return
    }
    if (id === MESSENGER.shareRelays) {
      // friend_connection's packet, taken before ONLINE as c-toxcore does: up to 3 TCP relays.
      const relays = unpackNodeList(d.subarray(1), MAX_SHARED_RELAYS, true)?.filter((n) => n.tcp)
      if (relays?.length) this.emit('relays', relays)
      return
    }
    if (id === MESSENGER.online) {
      this.lastAlive = this.now()
      if (!this.online) {
        this.online = true
        this.emit('online')
      }
      return
    }
    // c-toxcore drops every other Messenger packet until the friend is ONLINE; so do we.
    if (!this.online) return
    if (id === MESSENGER.message || id === MESSENGER.action) this.emit('message', Buffer.from(d.subarray(1)).toString('utf8'))
    else if (id >= 160 && id <= 191) this.emit('lossless', d)
    else this.emit('info', id, d.subarray(1))
  }

  /** Tells the friend which TCP relays we are connected to (at most 3), so it can meet us there. */
  shareRelays(relays: NodeInfo[]): void {
    const tcp = relays.slice(0, MAX_SHARED_RELAYS).map((r) => packNode({ ...r, tcp: true }))
    if (tcp.length) this.connection.sendLossless(Buffer.concat([Uint8Array.of(MESSENGER.shareRelays), ...tcp]))
  }

  /** Sends a text message; false when the send window is full (it is queued). */
  sendMessage(text: string): boolean {
    const body = Buffer.from(text, 'utf8')
    if (body.length === 0 || body.length > 1372) throw new RangeError('a message is 1-1372 bytes')
    return this.connection.sendLossless(Buffer.concat([Uint8Array.of(MESSENGER.message), body]))
  }

  /** A custom lossless packet; false when the send window is full (wait for 'drain' on the connection). */
  sendLossless(data: Uint8Array): boolean {
    if (data[0]! < 160 || data[0]! > 191) throw new RangeError('custom lossless packets start with 160-191')
    if (!this.online) throw new RangeError('the friend is not online')
    return this.connection.sendLossless(data)
  }

  /** Sends a lossy packet (ids 192–254), dropped if the connection is not up. */
  sendLossy(data: Uint8Array): void {
    if (data[0]! < 200 || data[0]! > 254) throw new RangeError('custom lossy packets start with 200-254')
    this.connection.sendLossy(data)
  }

  /** Closes the connection (the peer is told with a kill packet). */
  close(): void {
    this.connection.kill('closed', true)
  }
}
