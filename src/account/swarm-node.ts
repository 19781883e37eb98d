/**
 * A device on the network: its Tox node (keyed by the device's own Ed25519 key, converted),
 * the conversations it hosts, and the channels to its peers. On every connection each side
 * opens `msg:<its device id>` and sends a hello (./hello.ts); once the other side's hello
 * verifies, the peer is known by account and device, and frames flow (announcements,
 * invitations). Two devices of one account also open `sync://<device id>` for their shared
 * state. A peer may open `git://<our device>/<conversation>` only when its account is a
 * member of that conversation, or invited to it (so it can clone before joining), and its
 * device is not banned. Every fetch still goes through quarantine and validation
 * (../swarm/sync.ts): the channels only carry bytes.
 * @module
 */
import { EventEmitter } from 'node:events'
import { rmSync } from 'node:fs'
import { ChannelRefusedError, InvalidArgumentError, InvalidStateError, NotFoundError, ProtocolError, UnauthorizedError } from '../errors.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { toxSecretKey } from '../identity/tox.js'
import { ChannelMux, opensEvenIds, parseChannelName, type Channel, type ChannelDecision, type ChannelName } from '../transport/channels.js'
import type { Friend } from '../transport/messenger.js'
import { pathOf, type PathKind } from '../transport/link.js'
import { ToxNode, type ToxNodeOptions } from '../transport/tox-node.js'
import type { Address } from '../transport/udp.js'
import { Conversation, type OpenOptions } from '../swarm/conversation.js'
import type { SyncResult } from '../swarm/sync.js'
import { keyHex } from '../dht/routing-table.js'
import { encodeFrame, readFrames, type Frame } from './frames.js'
import { helloFrame, verifyHello, type VerifiedPeer } from './hello.js'
import { tracer } from '../util/trace.js'
import { mayFetch, peerOf, type Peer } from './peers.js'

const traceServe = tracer('serve')

/** A connected, verified device and how it is reached now (Account.getPeers). */
export interface PeerInfo {
  accountUri: string
  deviceId: string
  /** Its Tox key, hex. */
  toxPk: string
  /** UDP on a local network, UDP across networks (direct or hole-punched), or a TCP relay. */
  path: PathKind
  /** `host:port` of the peer's UDP endpoint, or `relay` for a relayed path. */
  address: string
  /** Smoothed round-trip time of the connection, in milliseconds. */
  rttMs: number
}

export interface SwarmNodeEvents {
  /** A verified peer's connection moved to another address (and maybe another kind of path). */
  peerPathChanged: [peer: PeerInfo]
  /** A connected device's hello verified: it is who its certificates say. */
  peerOnline: [peer: VerifiedPeer]
  /** A verified device's connection went away. */
  peerOffline: [peer: VerifiedPeer]
  /** A verified device fetched these commits of a conversation from us (the wants of a git serve). */
  fetched: [peer: VerifiedPeer, conversationId: string, wants: string[]]
  /** A frame on a verified device's `msg:` channel. */
  message: [peer: VerifiedPeer, frame: Frame]
  /** A frame on `sync://` from another device of our own account. */
  syncMessage: [peer: VerifiedPeer, frame: Frame]
  /** Something a peer sent was refused (bad hello, garbage, oversized frame). */
  peerError: [error: ProtocolError]
  /** A verified device opened `data-transfer://` and authorizeFile let it: serve it, then end it. */
  fileRequest: [peer: VerifiedPeer, request: FileRequest, channel: Channel]
}

/** A parsed `data-transfer://<conversation>/<requester device>/<file>[?start=&end=]`. */
export type FileRequest = Extract<ChannelName, { kind: 'data-transfer' }>

const hex = keyHex

interface Link {
  mux: ChannelMux
  friend: Friend
  verified?: VerifiedPeer
  out?: Channel
  syncOut?: Channel
  /** Channel decisions waiting for the peer's hello. */
  helloWaiters: Array<() => void>
  /** peerOnline was emitted (once: the hello verified and our own channels are open). */
  announced?: boolean
  /** The hello verified and our sync:// open to an own device was answered (or there is none to open). */
  syncSettled?: boolean
  /** Refused (refusePeer, asked once, at its hello): the last word to send it; its frames are dropped until the connection closes. */
  refused?: Frame
}

/**
 * How long a channel the peer opened waits for its hello before it is refused: the hello is
 * the first frame on its `msg:` channel, so on a working connection it is a round trip away.
 */
export const HELLO_WAIT_MS = 5000
/** How long we wait for a peer to answer a channel we open (its hello wait, and some). */
const OPEN_TIMEOUT_MS = 10_000

export interface SwarmNodeOptions extends ToxNodeOptions {
  /** Tox keys (hex) of the other devices of our account, sent in our hello. */
  ownDevices?: () => string[]
  /** Extra say on a peer's git channel (the account's contact bans, say). */
  authorizeGit?: (peer: Peer, conversation: Conversation) => boolean
  /** Whether a verified device may open this `data-transfer://` channel (default: nobody). */
  authorizeFile?: (peer: VerifiedPeer, request: FileRequest) => ChannelDecision
  /**
   * A verified device refused outright (a revoked one): undefined lets it in; a frame is sent
   * to it as the last word, then the connection closes; its channels are refused meanwhile.
   */
  refusePeer?: (peer: VerifiedPeer) => Frame | undefined
}

/** A device on the network: its Tox node, the conversations it hosts, verified links to its peers. */
export class SwarmNode extends EventEmitter<SwarmNodeEvents> {
  private readonly conversations = new Map<string, Conversation>()
  private readonly links = new Map<string, Link>()

  private constructor(
    readonly identity: DeviceIdentity,
    readonly tox: ToxNode,
    private readonly options: SwarmNodeOptions,
  ) {
    super()
    tox.on('friend', (friend) => this.attach(friend))
  }

  /** Starts the device's Tox node (UDP on 127.0.0.1 by default; see ToxNodeOptions). */
  static async start(identity: DeviceIdentity, options: SwarmNodeOptions = {}): Promise<SwarmNode> {
    const tox = await ToxNode.start({ host: '127.0.0.1', ...options, secretKey: toxSecretKey(identity.deviceKey.privateKey) })
    return new SwarmNode(identity, tox, options)
  }

  /** Our peer description, for others to add. */
  get asPeer(): Peer {
    return { accountUri: this.identity.uri, deviceId: this.identity.deviceId, toxPublicKey: this.tox.publicKey }
  }

  /** Serves `conversation` to the peers allowed to fetch it. */
  host(conversation: Conversation): void {
    this.conversations.set(conversation.id, conversation)
  }

  /** Stops serving a conversation. */
  unhost(conversationId: string): void {
    this.conversations.delete(conversationId)
  }

  /** Knows `peer`: accepts its connection (Noise only: it is a gitswarm device). */
  addPeer(peer: Peer): void {
    this.tox.addFriend(peer.toxPublicKey, { requireNoise: true })
  }

  /** Connects to a peer whose address and DHT key are known (on a LAN, or given by the app). */
  async connect(peer: Peer, at: { address: Address; dhtPublicKey: Uint8Array }): Promise<void> {
    this.addPeer(peer)
    await this.tox.connect(peer.toxPublicKey, at.dhtPublicKey, at.address)
  }

  /** The verified peer on the connection with this Tox key (hex), if it is up. */
  verifiedPeer(toxPk: string): VerifiedPeer | undefined {
    return this.links.get(toxPk)?.verified
  }

  /** Links whose peer is online for the layers above (see maybeOnline). */
  private onlineLinks(): Link[] {
    return [...this.links.values()].filter((l) => l.announced && l.friend.online)
  }

  /** Every verified device connected now, with the path it is reached by. */
  peerInfos(): PeerInfo[] {
    return this.onlineLinks().map((l) => describePeer(l.verified!, l.friend))
  }

  /** Every verified peer connected now. */
  onlinePeers(): VerifiedPeer[] {
    return this.onlineLinks().map((l) => l.verified!)
  }

  /** Sends a frame on our `msg:` channel to that device; false when it is not connected and verified. */
  send(toxPk: string, frame: Frame): boolean {
    return this.write(this.links.get(toxPk), 'out', frame)
  }

  /** Sends a frame on `sync://` to another device of our account; false when not connected. */
  sendSync(toxPk: string, frame: Frame): boolean {
    return this.write(this.links.get(toxPk), 'syncOut', frame)
  }

  private write(link: Link | undefined, which: 'out' | 'syncOut', frame: Frame): boolean {
    const channel = link?.[which]
    if (!link?.verified || !channel || channel.destroyed || !channel.writable) return false
    channel.write(encodeFrame(frame))
    return true
  }

  /**
   * Decides on a channel the peer opened. Every channel but `msg:` (which carries the hello)
   * is decided knowing who the peer is: one opened before its hello was read waits for it
   * (bounded by HELLO_WAIT_MS) — on a real network the peer's channel request often overtakes
   * its hello, and refusing it would only make the peer ask again.
   */
  private authorize(key: string, parsed: ChannelName): ChannelDecision | Promise<ChannelDecision> {
    if (parsed.kind === 'msg') return true
    const link = this.links.get(key)
    if (!link) return { refuse: 'closed', message: 'no connection' }
    if (link.verified) return this.decide(link, link.verified, parsed)
    return new Promise<ChannelDecision>((resolve) => {
      const timer = setTimeout(() => {
        link.helloWaiters.splice(link.helloWaiters.indexOf(waiter), 1)
        // Not an answer about the channel: 'busy' asks the peer to try again later.
        resolve({ refuse: 'busy', message: `no hello within ${HELLO_WAIT_MS} ms` })
      }, HELLO_WAIT_MS)
      const waiter = () => (clearTimeout(timer), resolve(link.verified ? this.decide(link, link.verified, parsed) : { refuse: 'closed', message: 'the connection closed before its hello' }))
      link.helloWaiters.push(waiter)
    })
  }

  private decide(link: Link, verified: VerifiedPeer, parsed: ChannelName): ChannelDecision {
    if (link.refused) return { refuse: 'unauthorised', message: 'this device is revoked' }
    if (parsed.kind === 'sync') return verified.accountUri === this.identity.uri ? true : { refuse: 'unauthorised', message: 'sync is for devices of one account' }
    if (parsed.kind === 'data-transfer') {
      if (parsed.device !== verified.deviceId) return { refuse: 'unauthorised', message: 'the requester is another device' }
      return this.options.authorizeFile?.(verified, parsed) ?? { refuse: 'unknown', message: 'no files served here' }
    }
    if (parsed.kind !== 'git') return { refuse: 'unknown', message: 'not served here' }
    const conv = this.conversations.get(parsed.conversation)
    if (parsed.device !== this.identity.deviceId || !conv) return { refuse: 'unknown', message: 'no such conversation here' }
    const peer = peerOf(verified)
    if (!mayFetch(conv, peer) || (this.options.authorizeGit && !this.options.authorizeGit(peer, conv))) {
      return { refuse: 'unauthorised', message: 'not a member of this conversation' }
    }
    return true
  }

  private attach(friend: Friend): void {
    const key = hex(friend.realPublicKey)
    const mux = new ChannelMux(friend, {
      evenIds: opensEvenIds(this.tox.publicKey, friend.realPublicKey),
      authorize: (_name, parsed) => this.authorize(key, parsed),
    })
    const link: Link = { mux, friend, helloWaiters: [] }
    mux.on('channel', (channel) => this.onChannel(link, key, channel))
    this.links.set(key, link)
    const hello = () =>
      void mux.open(`msg:${this.identity.deviceId}`).then(
        (out) => {
          link.out = out
          out.write(encodeFrame(helloFrame(this.identity, this.options.ownDevices?.() ?? [])))
          this.maybeOnline(link)
        },
        () => {},
      )
    if (friend.online) hello()
    else friend.once('online', hello)
    friend.connection.on('readdressed', () => {
      if (link.verified && this.links.get(key) === link) this.emit('peerPathChanged', describePeer(link.verified, friend))
    })
    friend.once('offline', () => {
      if (this.links.get(key) === link) this.links.delete(key)
      for (const wake of link.helloWaiters.splice(0)) wake()
      if (link.announced) this.emit('peerOffline', link.verified!)
    })
  }

  private onChannel(link: Link, key: string, channel: Channel): void {
    if (channel.name.startsWith('git://')) {
      const conv = this.conversations.get(channel.name.split('/').pop()!)
      // Served until the client hangs up; then our side ends too, and the channel is released.
      if (conv)
        void conv.serve(channel, { onFetched: (wants) => link.verified && this.emit('fetched', link.verified, conv.id, wants) }).then(
          () => channel.end(),
          (err: Error) => (traceServe?.(`serving ${conv.id.slice(0, 8)} to ${key.slice(0, 8)} failed: ${err.message}`), channel.destroy()),
        )
      else channel.destroy()
      return
    }
    // Every channel but msg: was accepted after the peer's hello (authorize waits for it).
    if (channel.name.startsWith('data-transfer://')) return void this.emit('fileRequest', link.verified!, parseChannelName(channel.name) as FileRequest, channel)
    const sync = channel.name.startsWith('sync://')
    readFrames(channel, key, {
      frame: (frame) => {
        if (link.refused) return
        if (sync) return void this.emit('syncMessage', link.verified!, frame)
        if (link.verified) return void this.emit('message', link.verified, frame)
        try {
          link.verified = verifyHello(frame, link.friend.realPublicKey)
        } catch (err) {
          this.emit('peerError', err as ProtocolError)
          link.friend.close()
          return
        }
        link.refused = this.options.refusePeer?.(link.verified)
        for (const wake of link.helloWaiters.splice(0)) wake()
        const settled = () => ((link.syncSettled = true), this.maybeOnline(link))
        if (link.verified.accountUri === this.identity.uri) {
          void link.mux.open(`sync://${this.identity.deviceId}`).then((out) => ((link.syncOut = out), settled()), settled)
        } else settled()
      },
      error: (err, fatal) => {
        this.emit('peerError', err)
        if (fatal) channel.destroy()
      },
    })
  }

  /**
   * A peer is online for the layers above once its hello verified and our own `msg:` (and,
   * for our own devices, `sync://`) channel is open: whatever they send it then goes out.
   */
  private maybeOnline(link: Link): void {
    if (link.announced || !link.verified || !link.out || !link.syncSettled || !link.friend.online) return
    const farewell = link.refused
    if (farewell) {
      // Never online for the layers above: it gets its last word, once.
      const out = link.out
      link.out = undefined
      this.emit('peerError', new ProtocolError(link.verified.toxPk, `device ${link.verified.deviceId} is revoked: refused`))
      out.write(encodeFrame(farewell))
      // Time for the farewell to leave before the connection goes.
      setTimeout(() => link.friend.close(), 1000).unref()
      return
    }
    link.announced = true
    this.emit('peerOnline', link.verified)
  }

  private channel(peer: Peer, conversationId: string): Promise<Channel> {
    return this.openChannel(peer, `git://${peer.deviceId}/${conversationId}`)
  }

  private async openChannel(peer: Peer, name: string, waitMs = 5000): Promise<Channel> {
    const mux = this.links.get(hex(peer.toxPublicKey))?.mux
    if (!mux) throw new ChannelRefusedError(name, 'closed', 'not connected to that device')
    // The connection may be up while the peer's ONLINE is still on its way.
    if (!mux.friend.online) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs)
        mux.friend.once('online', () => (clearTimeout(timer), resolve()))
      })
      if (!mux.friend.online) throw new ChannelRefusedError(name, 'closed', 'that device is not online')
    }
    return mux.open(name, { timeoutMs: OPEN_TIMEOUT_MS })
  }

  /**
   * Opens `data-transfer://<conversation>/<our device>/<file>?start=&end=` to a connected
   * device: the bytes `[start, end)` of that file, if it holds it and lets us have them.
   */
  openFile(peer: Peer, conversationId: string, fileId: string, start: number, end: number): Promise<Channel> {
    return this.openChannel(peer, `data-transfer://${conversationId}/${this.identity.deviceId}/${fileId}?start=${start}&end=${end}`)
  }

  /**
   * Fetches a hosted conversation from a connected peer: validated, then fast-forwarded,
   * held or merged. Never from a banned account's device (as Jami): a device that missed its ban
   * can still write commits valid on its old history, and they must not come back in.
   */
  async pull(conversationId: string, peer: Peer): Promise<SyncResult> {
    const conv = this.conversations.get(conversationId)
    if (!conv) throw new NotFoundError(`conversation ${conversationId}`)
    if (conv.members().find((m) => m.uri === peer.accountUri)?.role === 'banned') throw new UnauthorizedError(`fetch from device ${peer.deviceId}`, 'its account is banned from this conversation')
    const channel = await this.channel(peer, conversationId)
    try {
      // Diverged histories of plain messages are held and merged later by one device (./merging.ts).
      return await conv.syncFrom(channel, peer.deviceId, { hold: true })
    } finally {
      channel.end()
    }
  }

  /** Clones a conversation from a connected peer into `path` (validated before it appears), and hosts it. */
  async clone(conversationId: string, peer: Peer, path: string, options: Omit<OpenOptions, 'identity'> = {}): Promise<Conversation> {
    if (!/^[0-9a-f]{40}$/.test(conversationId)) throw new InvalidArgumentError('a conversation id is 40 hex digits', { conversationId })
    const channel = await this.channel(peer, conversationId)
    try {
      const conv = await Conversation.clone(channel, { ...options, identity: this.identity, peer: peer.deviceId, path })
      if (conv.id !== conversationId) {
        conv.close()
        rmSync(path, { recursive: true, force: true })
        throw new InvalidStateError(`clone ${conversationId}`, `the peer served another conversation (${conv.id})`)
      }
      this.host(conv)
      return conv
    } finally {
      channel.end()
    }
  }

  /** Closes every connection (peers see us go at once) and the node. */
  async close(): Promise<void> {
    for (const link of this.links.values()) link.friend.close()
    await this.tox.close()
  }
}

function describePeer(v: VerifiedPeer, friend: Friend): PeerInfo {
  const address = friend.connection.address
  const path = pathOf(address)
  return { accountUri: v.accountUri, deviceId: v.deviceId, toxPk: v.toxPk, path, address: path === 'tcp-relay' ? 'relay' : `${address.host}:${address.port}`, rttMs: Math.round(friend.connection.rttMs * 10) / 10 }
}

export { devicePeer, mayFetch, peerOf, type Peer } from './peers.js'
