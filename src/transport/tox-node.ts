/**
 * A Tox node as gitswarm runs it: one UDP socket, the DHT responder, net_crypto and the
 * Messenger layer for each friend. A device's long-term Tox key is its Ed25519 device key
 * converted to X25519, so its Tox ID follows from the device certificate in the repository.
 * Friends are found through the DHT and the onion (./friends.ts), or given by address; TCP
 * relays carry everything when UDP does not get through.
 * @module
 */
import { EventEmitter } from 'node:events'
import { boxKeyPair, SharedKeyCache, type BoxKeyPair } from '../crypto/box.js'
import type { DhtPkAnnouncement } from '../dht/dht-request.js'
import { OnionClient } from '../dht/onion-client.js'
import { OnionServer } from '../dht/onion-server.js'
import { DhtNode } from '../dht/dht-node.js'
import { isLanAddress, LanDiscovery, TOX_PORT_DEFAULT, TOX_PORT_RANGE_END } from '../dht/lan-discovery.js'
import { ConnectionFailedError, InvalidArgumentError } from '../errors.js'
import { parseToxId, toxId } from '../identity/tox.js'
import { randomBytes } from 'node:crypto'
import { FriendFinder, MAX_FRIEND_REQUEST_MESSAGE } from './friends.js'
import { Friend } from './messenger.js'
import { NetCrypto } from './net-crypto/net-crypto.js'
import { isRelayAddress, NodeLink, relayAddress } from './link.js'
import { RelayPool } from './relay-pool.js'
import { TcpRelayServer } from './tcp-relay-server.js'
import type { TcpRelayClient, RelayAddress } from './tcp-relay.js'
import { UdpEndpoint, type Address } from './udp.js'

/** How a ToxNode starts. */
export interface ToxNodeOptions {
  /** Long-term X25519 secret key (a device's toxSecretKey); random when absent. */
  secretKey?: Uint8Array
  host?: string
  port?: number
  /** Upgrade handshakes with other gitswarm nodes to Noise IK (default true). */
  noise?: boolean
  /** The 4 nospam bytes of our Tox ID (random by default): friend requests must carry them. */
  nospam?: Uint8Array
  /** Send UDP at all (default true); without it, everything goes through `tcpRelays`. */
  udp?: boolean
  /** TCP relays to connect to at start (tox-bootstrapd with enable_tcp_relay, say). */
  tcpRelays?: RelayAddress[]
  /**
   * Find Tox nodes on the local networks (default false): LAN discovery packets broadcast on
   * every interface (../dht/lan-discovery.ts), and others' answered. Without a `port`, the
   * node then binds the first free port of 33445–33545, where LAN peers look. Broadcasts are
   * received only by a socket bound to all interfaces (`host: '0.0.0.0'` or `'::'`).
   */
  lanDiscovery?: boolean
  /**
   * Serve c-toxcore's TCP relay protocol on this TCP port (0: any free one) as well, keyed
   * with the node's DHT key — with the DHT node every ToxNode is, a community's own bootstrap
   * node and relay (./tcp-relay-server.ts). Bound on `host`.
   */
  relayPort?: number
}

/** How a node stands on the network (ToxNode.status). */
export interface NetworkStatus {
  /** The UDP socket's address. */
  address: Address
  /** Whether the node sends UDP at all (ToxNodeOptions.udp). */
  udp: boolean
  /** Connected: some DHT node answered within the bad-node timeout; nodes: how many the close list holds. */
  dht: { connected: boolean; nodes: number }
  /** TCP relays kept, and whether each is connected now. */
  tcpRelays: Array<{ host: string; port: number; publicKey: string; connected: boolean }>
  /** Where onion paths start: over UDP, or at a TCP relay (UDP off or getting no answers). */
  onion: 'udp' | 'tcp-relay'
}

export interface ToxNodeEvents {
  /** A friend's connection appeared (either side initiated). */
  friend: [friend: Friend]
  /** A friend told us its DHT key for this session (a DHT-PK announcement, by the onion or the DHT). */
  dhtPk: [announcement: DhtPkAnnouncement]
  /** Someone sent us a friend request: accept with acceptFriendRequest (or ignore it). */
  friendRequest: [publicKey: Uint8Array, message: string]
  /** A friend came online (connection up, ONLINE exchanged) / went offline. */
  friendOnline: [publicKey: Uint8Array]
  friendOffline: [publicKey: Uint8Array, reason: string]
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/**
 * A Tox node on one UDP socket: DHT and onion node, friend connections over net_crypto
 * (Noise IK between gitswarm nodes, the legacy handshake with c-toxcore), friend requests.
 */
export class ToxNode extends EventEmitter<ToxNodeEvents> {
  readonly realKeys: BoxKeyPair
  readonly dht: DhtNode
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
    this.link = new NodeLink(udp, options.udp ?? true)
    this.dht = new DhtNode(this.link)
    if (options.lanDiscovery) {
      udp.enableBroadcast()
      this.lan = new LanDiscovery({
        link: this.link,
        publicKey: this.dht.publicKey,
        family: udp.address.host.includes(':') ? 'IPv6' : 'IPv4',
        connected: () => this.dht.isConnected(),
        bootstrap: (node) => this.dht.getNodes(node),
      })
    }
    this.relays = new RelayPool({
      dhtKeys: this.dht.keys,
      up: (client) => {
        this.link.addRelay(client)
        client.on('connected', (dhtPk) => this.finder.reachableAt(dhtPk, relayAddress(dhtPk)))
        this.chooseOnionRoute()
      },
    })
    this.dhtTimer = setInterval(() => {
      this.chooseOnionRoute()
      this.dht.tick()
      this.lan?.tick()
      this.onion.tick()
      this.finder.tick()
    }, 250)
    this.dhtTimer.unref()
    const realShared = new SharedKeyCache(this.realKeys.secretKey)
    this.netCrypto = new NetCrypto({
      realShared,
      link: this.link,
      realKeys: this.realKeys,
      dhtKeys: this.dht.keys,
      sharedDht: (pk) => this.dht.sharedWith(pk),
      accept: (pk) => this.friendKeys.has(hex(pk)),
      requireNoise: (pk) => this.noiseOnly.has(hex(pk)),
      noise: options.noise,
      relayPath: (dhtPk) => (this.link.relays.some((r) => r.isConnected(dhtPk)) ? relayAddress(dhtPk) : undefined),
    })
    this.netCrypto.on('connection', (conn) => {
      const friend = new Friend(conn)
      this.friends.set(hex(conn.peerRealPk), friend)
      conn.once('killed', () => {
        if (this.friends.get(hex(conn.peerRealPk)) === friend) this.friends.delete(hex(conn.peerRealPk))
      })
      this.emit('friend', friend)
    })
    this.nospam = new Uint8Array(options.nospam ?? randomBytes(4))
    if (this.nospam.length !== 4) throw new InvalidArgumentError('nospam is 4 bytes')
    this.onion = new OnionClient(this.dht, this.link, this.realKeys, { realShared, isOnline: (pk) => this.friends.get(hex(pk))?.connection.established ?? false })
    this.onionServer = new OnionServer(this.dht, this.link, { self: { realPk: this.realKeys.publicKey, dataPk: () => this.onion.dataKeys.publicKey, deliver: (r) => this.onion.deliverLocal(r) } })
    this.onion.local = this.onionServer
    this.finder = new FriendFinder({
      dht: this.dht,
      onion: this.onion,
      netCrypto: this.netCrypto,
      realPk: this.realKeys.publicKey,
      nospam: this.nospam,
      selfNode: () => (!this.link.udpEnabled || /^(0\.0\.0\.0|::)$/.test(this.address.host) ? undefined : { ...this.address, publicKey: this.dhtPublicKey }),
      relayNodes: () => this.relays.connected.map((r) => ({ host: r.relay.host, port: r.relay.port, publicKey: r.relay.publicKey, tcp: true })),
      viaRelay: (relay, dhtPk) => {
        this.useRelay(relay).catch(() => {})
        this.relays.route(dhtPk)
      },
      routeEverywhere: (dhtPk) => this.relays.route(dhtPk),
      isFriend: (pk) => this.friendKeys.has(hex(pk)),
      isConnected: (pk) => this.friends.get(hex(pk))?.connection.established ?? false,
      isDirect: (pk) => {
        const conn = this.friends.get(hex(pk))?.connection
        return !!conn?.established && !isRelayAddress(conn.address)
      },
    })
    this.finder.on('request', (pk, message) => this.emit('friendRequest', pk, message))
    this.finder.on('dhtPk', (a) => this.emit('dhtPk', a))
    this.on('friend', (f) => {
      f.on('online', () => {
        // As c-toxcore's friend_connection: our relays, so the friend can meet us there.
        f.shareRelays(this.relays.connected.map((r) => ({ host: r.relay.host, port: r.relay.port, publicKey: r.relay.publicKey })))
        this.emit('friendOnline', f.realPublicKey)
      })
      f.on('relays', (relays) => {
        for (const r of relays) {
          // A relay on the friend's LAN is at the friend's address for us (as c-toxcore).
          const host = isLanAddress(r.host) && !isRelayAddress(f.connection.address) && !isLanAddress(f.connection.address.host) ? f.connection.address.host : r.host
          this.useRelay({ host, port: r.port, publicKey: r.publicKey }).catch(() => {})
        }
        this.relays.route(f.connection.peerDhtPk)
      })
      f.on('offline', (reason) => {
        this.finder.lost(f.realPublicKey)
        this.emit('friendOffline', f.realPublicKey, reason)
      })
    })
  }

  readonly nospam: Uint8Array
  readonly link: NodeLink
  private readonly relays: RelayPool
  /** The TCP relay this node serves (ToxNodeOptions.relayPort), if it does. */
  relayServer: TcpRelayServer | undefined
  /** LAN discovery, when the node was started with `lanDiscovery`. */
  readonly lan: LanDiscovery | undefined
  readonly onion: OnionClient
  readonly onionServer: OnionServer
  private readonly finder: FriendFinder
  private readonly dhtTimer: NodeJS.Timeout

  /**
   * Binds the socket (127.0.0.1 and a free port by default) and starts the node. TCP relays
   * are connected in the background (./relay-pool.ts): start never waits on one.
   */
  static async start(options: ToxNodeOptions = {}): Promise<ToxNode> {
    const host = options.host ?? '127.0.0.1'
    const udp = options.lanDiscovery && options.port === undefined ? await UdpEndpoint.bindInRange(host, TOX_PORT_DEFAULT, TOX_PORT_RANGE_END) : await UdpEndpoint.bind({ host, port: options.port })
    const node = new ToxNode(udp, options)
    if (options.relayPort !== undefined) {
      try {
        node.relayServer = await TcpRelayServer.listen({ keys: node.dht.keys, host, port: options.relayPort, sendOnion: (nonce, next, rest, client) => node.onionServer.sendFirstHop(nonce, next, rest, client) })
      } catch (err) {
        await node.close()
        throw err
      }
      const server = node.relayServer
      node.link.addSink((packet, to) => server.deliverOnion(to, packet))
    }
    for (const r of options.tcpRelays ?? []) node.useRelay(r).catch(() => {})
    return node
  }

  /**
   * Keeps a TCP relay: connected now and again whenever its connection drops, for as long as
   * the node runs. Resolves with its first connection (rejects if that attempt fails; the
   * pool keeps trying).
   */
  useRelay(relay: RelayAddress): Promise<TcpRelayClient> {
    return this.relays.keep(relay)
  }

  /** How the node stands on the network now: DHT, relays, the onion's way out. */
  status(): NetworkStatus {
    const up = new Set(this.relays.connected.map((c) => hex(c.relay.publicKey)))
    return {
      address: { ...this.address },
      udp: this.link.udpEnabled,
      dht: { connected: this.dht.isConnected(), nodes: this.dht.table.size },
      tcpRelays: this.relays.addresses.map((r) => ({ host: r.host, port: r.port, publicKey: hex(r.publicKey), connected: up.has(hex(r.publicKey)) })),
      onion: this.onion.tcp ? 'tcp-relay' : 'udp',
    }
  }

  /** The TCP relays kept (connected or being connected again). */
  get tcpRelays(): RelayAddress[] {
    return this.relays.addresses
  }

  /**
   * Onion paths start at a TCP relay while UDP brings no answers (no UDP at all, or a network
   * that drops it: the DHT is not connected), as c-toxcore does; on UDP again once it does.
   */
  private chooseOnionRoute(): void {
    const relay = !this.link.udpEnabled || !this.dht.isConnected() ? this.relays.connected[0] : undefined
    if (this.onionRelay?.relay === relay) return
    this.onionRelay = relay && { relay, route: { sendOnion: (b: Uint8Array) => relay.sendOnion(b), node: { host: relay.relay.host, port: relay.relay.port, publicKey: relay.relay.publicKey } } }
    this.onion.tcp = this.onionRelay?.route
  }

  private onionRelay: { relay: TcpRelayClient; route: NonNullable<OnionClient['tcp']> } | undefined

  /**
   * Tells a friend our DHT key through a DHT request to its DHT key at `address`, naming
   * ourselves as the node to ask: a c-toxcore friend then queries us, and its first answer
   * from our DHT key makes it open the connection (it initiates).
   */
  announceTo(realPk: Uint8Array, dhtPk: Uint8Array, address: Address): void {
    this.finder.announceDhtPk(realPk, dhtPk, address)
  }

  /** Sends a friend request to a Tox ID (76 hex digits) and looks for the friend on the network. */
  addFriendByToxId(id: string, message: string): Uint8Array {
    const { publicKey, nospam } = parseToxId(id)
    const bytes = Buffer.byteLength(message, 'utf8')
    if (bytes === 0 || bytes > MAX_FRIEND_REQUEST_MESSAGE) throw new InvalidArgumentError(`a friend request message is 1-${MAX_FRIEND_REQUEST_MESSAGE} bytes`)
    if (Buffer.from(publicKey).equals(this.realKeys.publicKey)) throw new InvalidArgumentError('that is our own Tox ID')
    this.addFriend(publicKey)
    this.finder.request(publicKey, nospam, message)
    return publicKey
  }

  /** Accepts a friend request: the sender becomes a friend and is looked for. */
  acceptFriendRequest(publicKey: Uint8Array): void {
    this.addFriend(publicKey)
  }

  /** Refuses a friend request: later requests from that key are ignored. */
  refuseFriendRequest(publicKey: Uint8Array): void {
    this.finder.refuse(publicKey)
  }

  /** Stops accepting and looking for a friend (its connection, if any, is killed). */
  removeFriend(publicKey: Uint8Array): void {
    this.friendKeys.delete(hex(publicKey))
    this.noiseOnly.delete(hex(publicKey))
    this.finder.forget(publicKey)
    this.friends.get(hex(publicKey))?.close()
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

  /** Our Tox ID: long-term key, nospam and checksum, as 76 upper-case hex digits. */
  toxId(): string {
    return toxId(this.realKeys.publicKey, this.nospam)
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
    this.finder.find(realPk)
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

  /** The friend connection with that long-term key, if there is one. */
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

  /** Joins the DHT through a known node (`tox_bootstrap`): its address and DHT key. */
  bootstrap(address: Address, dhtPk: Uint8Array): void {
    if (dhtPk.length !== 32) throw new InvalidArgumentError('a DHT public key is 32 bytes')
    this.dht.bootstrap({ ...address, publicKey: dhtPk })
    this.onion.addPathNode({ ...address, publicKey: dhtPk })
  }

  /** Kills every connection and closes the socket. */
  async close(): Promise<void> {
    clearInterval(this.dhtTimer)
    this.netCrypto.close()
    this.relays.close()
    await this.relayServer?.close()
    await this.udp.close()
  }
}
