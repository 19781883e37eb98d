/**
 * A Tox node as gitswarm runs it: one UDP socket, the DHT responder, net_crypto and the
 * Messenger layer for each friend. A device's long-term Tox key is its Ed25519 device key
 * converted to X25519, so its Tox ID follows from the device certificate in the repository.
 * Peers' addresses and DHT keys are given here (finding them is the DHT's job).
 * @module
 */
import { EventEmitter } from 'node:events'
import { boxKeyPair, type BoxKeyPair } from '../crypto/box.js'
import { decodeDhtPk, encodeDhtPk, REQUEST_DHT_PK, type DhtPkAnnouncement } from '../dht/dht-request.js'
import { DhtResponder } from '../dht/responder.js'
import { ConnectionFailedError, InvalidArgumentError } from '../errors.js'
import { toxId } from '../identity/tox.js'
import { Friend } from './messenger.js'
import { NetCrypto } from './net-crypto/net-crypto.js'
import { UdpEndpoint, type Address } from './udp.js'

export interface ToxNodeOptions {
  /** Long-term X25519 secret key (a device's toxSecretKey); random when absent. */
  secretKey?: Uint8Array
  host?: string
  port?: number
  /** Upgrade handshakes with other gitswarm nodes to Noise IK (default true). */
  noise?: boolean
}

export interface ToxNodeEvents {
  /** A friend's connection appeared (either side initiated). */
  friend: [friend: Friend]
  /** A friend told us its DHT key for this session (a DHT-PK announcement), sent from `from`. */
  dhtPk: [announcement: DhtPkAnnouncement, from: Address]
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

export class ToxNode extends EventEmitter<ToxNodeEvents> {
  readonly realKeys: BoxKeyPair
  readonly dht: DhtResponder
  readonly netCrypto: NetCrypto
  private readonly friendKeys = new Set<string>()
  private readonly noiseOnly = new Set<string>()
  private readonly friends = new Map<string, Friend>()

  private constructor(
    readonly udp: UdpEndpoint,
    options: ToxNodeOptions,
  ) {
    super()
    this.realKeys = boxKeyPair(options.secretKey)
    this.dht = new DhtResponder(udp)
    this.netCrypto = new NetCrypto({
      link: udp,
      realKeys: this.realKeys,
      dhtKeys: this.dht.keys,
      sharedDht: (pk) => this.dht.sharedWith(pk),
      accept: (pk) => this.friendKeys.has(hex(pk)),
      requireNoise: (pk) => this.noiseOnly.has(hex(pk)),
      noise: options.noise,
    })
    this.netCrypto.on('connection', (conn) => {
      const friend = new Friend(conn)
      this.friends.set(hex(conn.peerRealPk), friend)
      conn.once('killed', () => {
        if (this.friends.get(hex(conn.peerRealPk)) === friend) this.friends.delete(hex(conn.peerRealPk))
      })
      this.emit('friend', friend)
    })
    this.dht.onRequest(REQUEST_DHT_PK, (data, senderDhtPk, from) => {
      const announcement = decodeDhtPk(data, (pk) => this.netCrypto.sharedWithReal(pk))
      // The DHT key inside must be the one that sent the request (as c-toxcore checks).
      if (!announcement || !Buffer.from(announcement.senderDhtPk).equals(senderDhtPk)) return
      const key = hex(announcement.senderRealPk)
      if (!this.friendKeys.has(key) || announcement.noReplay <= (this.lastNoReplay.get(key) ?? -1n)) return
      this.lastNoReplay.set(key, announcement.noReplay)
      this.emit('dhtPk', announcement, from)
    })
  }

  private readonly lastNoReplay = new Map<string, bigint>()
  private noReplay = 0n

  /**
   * Tells a friend our DHT key through a DHT request to its DHT key at `address`, naming
   * ourselves as the node to ask: a c-toxcore friend then queries us, and its first answer
   * from our DHT key makes it open the connection (it initiates).
   */
  announceTo(realPk: Uint8Array, dhtPk: Uint8Array, address: Address): void {
    this.noReplay = BigInt(Math.max(Number(this.noReplay) + 1, Math.floor(performance.timeOrigin + performance.now())))
    const realShared = this.netCrypto.sharedWithReal(realPk)
    if (!realShared) throw new InvalidArgumentError('not a usable public key (low order)')
    const body = encodeDhtPk(
      { senderRealPk: this.realKeys.publicKey, noReplay: this.noReplay, senderDhtPk: this.dhtPublicKey, nodes: [{ ...this.address, publicKey: this.dhtPublicKey }] },
      realShared,
    )
    this.dht.sendRequest({ ...address, publicKey: dhtPk }, REQUEST_DHT_PK, body)
  }

  static async start(options: ToxNodeOptions = {}): Promise<ToxNode> {
    return new ToxNode(await UdpEndpoint.bind({ host: options.host, port: options.port }), options)
  }

  get publicKey(): Uint8Array {
    return this.realKeys.publicKey
  }

  get dhtPublicKey(): Uint8Array {
    return this.dht.keys.publicKey
  }

  get address(): Address {
    return this.udp.address
  }

  toxId(nospam = 0): string {
    return toxId(this.realKeys.publicKey, nospam)
  }

  /**
   * Accept connections from `realPk` (like tox_friend_add_norequest). `requireNoise` for a
   * friend known to be a gitswarm device: only the KCI-resistant Noise handshake is accepted.
   */
  addFriend(realPk: Uint8Array, options: { requireNoise?: boolean } = {}): void {
    if (realPk.length !== 32) throw new InvalidArgumentError('a Tox public key is 32 bytes')
    this.friendKeys.add(hex(realPk))
    if (options.requireNoise) this.noiseOnly.add(hex(realPk))
    else this.noiseOnly.delete(hex(realPk))
  }

  /**
   * Connects to a friend whose DHT key and address are known; resolves once it is ONLINE,
   * rejects with ConnectionFailedError when the handshake fails or `timeoutMs` passes.
   */
  async connect(realPk: Uint8Array, dhtPk: Uint8Array, address: Address, timeoutMs = 10_000): Promise<Friend> {
    if (!this.friendKeys.has(hex(realPk))) this.addFriend(realPk)
    const conn = this.netCrypto.connect(realPk, dhtPk, address)
    let onKilled: ((reason: string) => void) | undefined
    const failed = new Promise<never>((_, reject) => {
      onKilled = (reason) => reject(new ConnectionFailedError(hex(realPk), reason))
      conn.once('killed', onKilled)
    })
    try {
      return await Promise.race([this.waitOnline(realPk, timeoutMs), failed])
    } finally {
      conn.off('killed', onKilled!)
      failed.catch(() => {})
    }
  }

  friend(realPk: Uint8Array): Friend | undefined {
    return this.friends.get(hex(realPk))
  }

  /** Resolves when the friend is ONLINE (whoever initiates), rejects after `timeoutMs`. */
  waitOnline(realPk: Uint8Array, timeoutMs = 10_000): Promise<Friend> {
    return new Promise((resolve, reject) => {
      const check = (f: Friend | undefined): boolean => {
        if (!f?.online) return false
        cleanup()
        resolve(f)
        return true
      }
      const onFriend = (f: Friend) => {
        if (hex(f.realPublicKey) === hex(realPk)) f.once('online', () => check(f))
      }
      const timer = setTimeout(() => (cleanup(), reject(new ConnectionFailedError(hex(realPk), `not online after ${timeoutMs} ms`))), timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.off('friend', onFriend)
      }
      this.on('friend', onFriend)
      const existing = this.friend(realPk)
      if (!check(existing) && existing) existing.once('online', () => check(existing))
    })
  }

  async close(): Promise<void> {
    this.netCrypto.close()
    await this.udp.close()
  }
}
