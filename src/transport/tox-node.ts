/**
 * A Tox node as gitswarm runs it: one UDP socket, the DHT responder, net_crypto and the
 * Messenger layer for each friend. A device's long-term Tox key is its Ed25519 device key
 * converted to X25519, so its Tox ID follows from the device certificate in the repository.
 * Peers' addresses and DHT keys are given here (finding them is the DHT's job).
 * @module
 */
import { EventEmitter } from 'node:events'
import { boxKeyPair, type BoxKeyPair } from '../crypto/box.js'
import { DhtResponder } from '../dht/responder.js'
import { InvalidArgumentError } from '../errors.js'
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
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

export class ToxNode extends EventEmitter<ToxNodeEvents> {
  readonly realKeys: BoxKeyPair
  readonly dht: DhtResponder
  readonly netCrypto: NetCrypto
  private readonly friendKeys = new Set<string>()
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

  /** Accept connections from `realPk` (like tox_friend_add_norequest). */
  addFriend(realPk: Uint8Array): void {
    if (realPk.length !== 32) throw new InvalidArgumentError('a Tox public key is 32 bytes')
    this.friendKeys.add(hex(realPk))
  }

  /** Connects to a friend whose DHT key and address are known; resolves once it is ONLINE. */
  async connect(realPk: Uint8Array, dhtPk: Uint8Array, address: Address, timeoutMs = 10_000): Promise<Friend> {
    this.addFriend(realPk)
    this.netCrypto.connect(realPk, dhtPk, address)
    return this.waitOnline(realPk, timeoutMs)
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
      const timer = setTimeout(() => (cleanup(), reject(new Error(`friend ${hex(realPk).slice(0, 12)}… not online after ${timeoutMs} ms`))), timeoutMs)
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
