/**
 * A device on the network: its Tox node (keyed by the device's own Ed25519 key, converted),
 * the conversations it hosts, and git channels to its peers — the layer an application uses
 * to sync conversations between devices. A peer is known by its account and device; it may
 * open `git://<our device>/<conversation>` only when its account is a member of that
 * conversation, or invited to it (so it can clone before joining). Every fetch still goes
 * through quarantine and validation (./sync.ts): the channel only carries bytes.
 * @module
 */
import { ChannelRefusedError, InvalidArgumentError, NotFoundError, UnauthorizedError } from '../errors.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { toxPublicKey, toxSecretKey } from '../identity/tox.js'
import { ChannelMux, opensEvenIds, type Channel } from '../transport/channels.js'
import type { Friend } from '../transport/messenger.js'
import { ToxNode, type ToxNodeOptions } from '../transport/tox-node.js'
import type { Address } from '../transport/udp.js'
import { Conversation, type OpenOptions } from './conversation.js'
import type { SyncResult } from './sync.js'

/** Another device we sync with. */
export interface Peer {
  accountUri: string
  deviceId: string
  /** Its Tox key: its device key, converted (toxPublicKey). */
  toxPublicKey: Uint8Array
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

export class SwarmNode {
  private readonly conversations = new Map<string, Conversation>()
  private readonly peers = new Map<string, Peer>()
  private readonly muxes = new Map<string, ChannelMux>()

  private constructor(
    readonly identity: DeviceIdentity,
    readonly tox: ToxNode,
  ) {
    tox.on('friend', (friend) => this.attach(friend))
  }

  /** Starts the device's Tox node (UDP on 127.0.0.1 by default; see ToxNodeOptions). */
  static async start(identity: DeviceIdentity, options: ToxNodeOptions = {}): Promise<SwarmNode> {
    const tox = await ToxNode.start({ host: '127.0.0.1', ...options, secretKey: toxSecretKey(identity.deviceKey.privateKey) })
    return new SwarmNode(identity, tox)
  }

  /** Our peer description, for others to add. */
  get asPeer(): Peer {
    return { accountUri: this.identity.uri, deviceId: this.identity.deviceId, toxPublicKey: this.tox.publicKey }
  }

  /** Serves `conversation` to the peers allowed to fetch it. */
  host(conversation: Conversation): void {
    this.conversations.set(conversation.id, conversation)
  }

  /** Knows `peer`: accepts its connection (Noise only: it is a gitswarm device). */
  addPeer(peer: Peer): void {
    this.peers.set(hex(peer.toxPublicKey), peer)
    this.tox.addFriend(peer.toxPublicKey, { requireNoise: true })
  }

  /** Connects to a peer whose address and DHT key are known (on a LAN, or given by the app). */
  async connect(peer: Peer, at: { address: Address; dhtPublicKey: Uint8Array }): Promise<void> {
    this.addPeer(peer)
    await this.tox.connect(peer.toxPublicKey, at.dhtPublicKey, at.address)
  }

  private attach(friend: Friend): void {
    const key = hex(friend.realPublicKey)
    const mux = new ChannelMux(friend, {
      evenIds: opensEvenIds(this.tox.publicKey, friend.realPublicKey),
      authorize: (_name, parsed) => {
        const peer = this.peers.get(key)
        if (parsed.kind !== 'git') return { refuse: 'unknown', message: 'only git channels are served' }
        const conv = this.conversations.get(parsed.conversation)
        if (parsed.device !== this.identity.deviceId || !conv) return { refuse: 'unknown', message: 'no such conversation here' }
        const role = peer && conv.members().find((m) => m.uri === peer.accountUri)?.role
        if (!role || role === 'banned' || role === 'left') return { refuse: 'unauthorised', message: 'not a member of this conversation' }
        return true
      },
    })
    mux.on('channel', (channel) => {
      const conv = this.conversations.get(channel.name.split('/').pop()!)
      if (conv) void conv.serve(channel).catch(() => channel.destroy())
    })
    this.muxes.set(key, mux)
    friend.once('offline', () => {
      if (this.muxes.get(key) === mux) this.muxes.delete(key)
    })
  }

  private async channel(peer: Peer, conversationId: string, waitMs = 5000): Promise<Channel> {
    const name = `git://${peer.deviceId}/${conversationId}`
    const mux = this.muxes.get(hex(peer.toxPublicKey))
    if (!mux) throw new ChannelRefusedError(name, 'closed', 'not connected to that device')
    // The connection may be up while the peer's ONLINE is still on its way.
    if (!mux.friend.online) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs)
        mux.friend.once('online', () => (clearTimeout(timer), resolve()))
      })
      if (!mux.friend.online) throw new ChannelRefusedError(name, 'closed', 'that device is not online')
    }
    return mux.open(name)
  }

  /**
   * Fetches a hosted conversation from a connected peer: validated, then fast-forwarded or
   * merged. Never from a banned account's device (as Jami): a device that missed its ban
   * can still write commits valid on its old history, and they must not come back in.
   */
  async pull(conversationId: string, peer: Peer): Promise<SyncResult> {
    const conv = this.conversations.get(conversationId)
    if (!conv) throw new NotFoundError(`conversation ${conversationId}`)
    if (conv.members().find((m) => m.uri === peer.accountUri)?.role === 'banned') throw new UnauthorizedError(`fetch from device ${peer.deviceId}`, 'its account is banned from this conversation')
    const channel = await this.channel(peer, conversationId)
    try {
      return await conv.syncFrom(channel, peer.deviceId)
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
      this.host(conv)
      return conv
    } finally {
      channel.end()
    }
  }

  close(): Promise<void> {
    return this.tox.close()
  }
}

/** A device's Tox public key from its identity (what peers put in `Peer.toxPublicKey`). */
export function devicePeer(identity: DeviceIdentity): Peer {
  return { accountUri: identity.uri, deviceId: identity.deviceId, toxPublicKey: toxPublicKey(identity.deviceKey.publicKey) }
}
