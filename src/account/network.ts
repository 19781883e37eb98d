/**
 * The account on the Tox network: its SwarmNode, who it befriends, and what it does with
 * each frame — contacts and their requests (Tox friend requests carrying the account URI),
 * invitations and the cloning of accepted ones, announcements (./delivery.ts), the outbox,
 * and the `sync://` state shared with its own devices (./own-sync.ts). A flood of requests
 * from one peer is cut at a bounded rate and queue size (./request-limits.ts).
 * @module
 */
import { ProtocolError } from '../errors.js'
import { keyHex } from '../dht/routing-table.js'
import { toxId } from '../identity/tox.js'
import type { Conversation } from '../swarm/conversation.js'
import type { AccountContext } from './context.js'
import { Cloner } from './cloning.js'
import { Delivery } from './delivery.js'
import { take, type Frame } from './frames.js'
import type { VerifiedPeer } from './hello.js'
import type { AccountFiles } from './files.js'
import type { NetworkOptions } from './network-options.js'
import { registerInbound, type FrameHandler } from './inbound.js'
import { syncSnapshot } from './own-sync.js'
import { conversationNeighbours } from './peers.js'
import { SwarmNode } from './swarm-node.js'
import { RequestLimiter } from './request-limits.js'
import { knownDevices } from './revocation.js'
import { nowSeconds, type Contact } from './store.js'
import { ACK, DEVICES, friendRequestMessage, inviteFrame, parseFriendRequest } from './wire.js'
import { tracer } from '../util/trace.js'

const trace = tracer('friends')

export type { BootstrapNode, NetworkOptions } from './network-options.js'

/** What the account lends the network beyond its context. */
export interface NetworkHooks {
  /** A verified device refused outright (a revoked one), with the frame to tell it why (SwarmNodeOptions.refusePeer). */
  refusePeer?: (peer: VerifiedPeer) => Frame | undefined
  /** The name our friend requests carry (the profile's, when set: Jami's trust request carries the vCard, a Tox request has room for the name). */
  requestName?: () => string
}
export { MAX_PENDING_REQUESTS, REQUESTS_PER_MINUTE } from './request-limits.js'

const hex = keyHex
export class AccountNetwork {
  readonly delivery: Delivery
  private readonly befriended = new Set<string>()
  /** Friends because they are ring neighbours in some conversation. */
  private readonly ring = new Set<string>()
  private readonly expectOwn = new Set<string>()
  private readonly claimed = new Map<string, string>()
  private readonly limiter: RequestLimiter
  private readonly cloner: Cloner
  private readonly handlers = new Map<string, FrameHandler>()
  private readonly syncHandlers = new Map<string, FrameHandler>()

  private constructor(
    private readonly account: AccountContext,
    files: AccountFiles,
    readonly node: SwarmNode,
    private readonly hooks: NetworkHooks,
  ) {
    this.delivery = new Delivery({
      node,
      store: account.store,
      deviceId: account.deviceId,
      toxPk: hex(node.tox.publicKey),
      accountUri: account.uri,
      ownDevices: () => this.ownDeviceKeys(),
      error: (id, e) => account.emit('onConversationError', id, e),
      idle: () => account.emit('conversationSyncFinished'),
    })
    this.cloner = new Cloner(account, node)
    const { store } = account
    this.limiter = new RequestLimiter(() => Object.keys(store.requests.value).length + Object.keys(store.trustRequests.value).length, (e) => account.emit('peerError', e))
    node.on('peerOnline', (p) => this.guard(() => this.onPeerOnline(p)))
    node.on('message', (p, f) => this.guard(() => this.onMessage(p, f)))
    node.on('syncMessage', (p, f) => this.guard(() => this.onSyncMessage(p, f)))
    node.on('peerError', (e) => account.emit('peerError', e))
    node.on('peerPathChanged', (p) => account.emit('peerPathChanged', p))
    node.on('fileRequest', (_p, request, channel) => files.serve(request, channel))
    node.on('peerOnline', (p) => this.guard(() => files.onPeer(p)))
    node.tox.on('friendRequest', (pk, message) => this.guard(() => this.onFriendRequest(pk, message)))
  }

  static async start(account: AccountContext, files: AccountFiles, options: NetworkOptions, hooks: NetworkHooks = {}): Promise<AccountNetwork> {
    const node = await SwarmNode.start(account.identity, {
      host: options.host ?? '127.0.0.1',
      port: options.port,
      tcpRelays: options.tcpRelays,
      lanDiscovery: options.lanDiscovery,
      relayPort: options.relayPort,
      nospam: Buffer.from(account.store.meta.value.nospam, 'hex'),
      ownDevices: () => ownDeviceKeys(account),
      authorizeGit: (peer) => !account.store.contacts.value[peer.accountUri]?.banned,
      authorizeFile: (peer, request) => files.authorize(peer, request),
      refusePeer: hooks.refusePeer,
    })
    const net = new AccountNetwork(account, files, node, hooks)
    registerInbound(net, account)
    for (const b of options.bootstrap ?? []) {
      const key = typeof b.publicKey === 'string' ? Buffer.from(b.publicKey, 'hex') : b.publicKey
      node.tox.bootstrap({ host: b.host, port: b.port }, key)
      // A bootstrap node that is a relay too: one relay (further ports are the same relay).
      if (b.tcpPorts?.[0]) node.tox.useRelay({ host: b.host, port: b.tcpPorts[0], publicKey: key }).catch(() => {})
    }
    net.befriendAll()
    // Heads held when the account last stopped are merged as after any fetch (a device alone merges them).
    for (const conv of account.openConversations()) if (conv.heldHeads().length > 0) net.delivery.merging.schedule(conv)
    return net
  }

  async close(): Promise<void> {
    this.cloner.close()
    this.delivery.close()
    await this.node.close()
  }

  /** Handlers never throw into the transport: a failure becomes an event. */
  private guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      const e = err instanceof ProtocolError ? err : new ProtocolError('local', err instanceof Error ? err.message : String(err))
      this.account.emit('peerError', e)
    }
  }

  private ownDeviceKeys(): string[] {
    return ownDeviceKeys(this.account)
  }

  befriend(toxPk: string): void {
    if (this.befriended.has(toxPk) || toxPk === hex(this.node.tox.publicKey)) return
    this.befriended.add(toxPk)
    this.node.tox.addFriend(Buffer.from(toxPk, 'hex'), { requireNoise: true })
  }

  unfriend(toxPk: string): void {
    this.befriended.delete(toxPk)
    this.node.tox.removeFriend(Buffer.from(toxPk, 'hex'))
  }

  /** Own devices, contacts' devices, and each conversation's ring neighbours. */
  befriendAll(): void {
    const { store } = this.account
    for (const d of Object.values(store.devices.value)) if (!d.revoked) this.befriend(d.toxPk)
    for (const c of Object.values(store.contacts.value)) {
      if (c.removed || c.banned) continue
      if (c.pending) this.requestContact(c.pending.toxPk, c.pending.nospam)
      else c.devices.forEach((pk) => this.befriend(pk))
    }
    this.refreshRing()
    // A device made from an archive asks its contacts too: no old device may be left to introduce it.
    if (store.meta.value.introduce) {
      for (const c of Object.values(store.contacts.value)) {
        if (!c.confirmed || c.removed || !c.toxId) continue
        this.claimed.set(this.friendRequest(c.toxId, 'contact'), c.uri)
      }
    }
    // A device imported from an archive introduces itself to the devices it knows.
    for (const d of Object.values(store.devices.value)) {
      if (!d.toxId || d.introduced || d.revoked) continue
      this.expectOwn.add(d.toxPk)
      this.friendRequest(d.toxId, 'device')
    }
  }

  /**
   * Links with the conversations' ring neighbours, and lets go of member devices that are no
   * longer one (the ring moves as members join): the links stay within MAX_NEIGHBOURS per
   * conversation. Own devices, contacts and devices in a handshake of ours are kept.
   */
  refreshRing(): void {
    const wanted = new Set<string>()
    const banned = (uri: string) => !!this.account.store.contacts.value[uri]?.banned
    for (const conv of this.account.openConversations()) for (const d of conversationNeighbours(conv, this.account.deviceId)) if (!banned(d.uri)) wanted.add(d.toxPk)
    const keep = new Set([...this.ownDeviceKeys(), ...this.expectOwn, ...this.claimed.keys()])
    for (const c of Object.values(this.account.store.contacts.value)) if (!c.removed) c.devices.forEach((pk) => keep.add(pk))
    for (const pk of this.ring) {
      if (wanted.has(pk)) continue
      this.ring.delete(pk)
      if (!keep.has(pk)) this.unfriend(pk)
    }
    for (const pk of wanted) {
      this.ring.add(pk)
      this.befriend(pk)
    }
  }

  /** Sends a friend request to a Tox ID; returns the Tox key (hex) it is for. */
  private friendRequest(toxId: string, kind: 'contact' | 'device'): string {
    const message = friendRequestMessage({ kind, uri: this.account.uri, name: this.hooks.requestName?.() ?? this.account.displayName })
    const pk = this.node.tox.addFriendByToxId(toxId, message)
    trace?.(`${this.account.displayName}: asks ${hex(pk).slice(0, 8)} (${kind})`)
    this.befriended.add(hex(pk))
    this.node.tox.addFriend(pk, { requireNoise: true })
    return hex(pk)
  }

  /** Sends (or sends again) the friend request of a contact added by Tox ID. */
  requestContact(toxPk: string, nospam: string): void {
    this.friendRequest(toxId(Buffer.from(toxPk, 'hex'), Buffer.from(nospam, 'hex')), 'contact')
  }

  /**
   * Delivers a frame to every known device of `uri` (or, none known, to the first device of
   * that account that connects): it waits in the outbox until the device acknowledges it —
   * a frame written just before the peer vanished is not lost.
   */
  sendToAccount(uri: string, key: string, frame: Frame): void {
    const devices = this.account.devicesOf(uri)
    const now = Date.now()
    const recipients = devices.length > 0 ? devices : [`account:${uri}`]
    this.account.store.enqueue(recipients.map((to) => ({ to, key, frame })), now)
    for (const to of devices) this.node.send(to, { ...frame, ack: key })
  }

  sendToConnected(uri: string, frame: Frame): void {
    for (const p of this.node.onlinePeers()) if (p.accountUri === uri) this.node.send(p.toxPk, frame)
  }

  sendInvite(conv: Conversation, uri: string, received = nowSeconds()): void {
    this.sendToAccount(uri, `invite:${conv.id}`, inviteFrame({ conversationId: conv.id, metadatas: this.account.inviteMetadatas(conv), received }))
  }

  /** Clones an accepted conversation from a connected device that may have it (./cloning.ts). */
  clone(id: string): void {
    this.cloner.clone(id)
  }

  /** Our whole shared state to every connected own device (except `except`). */
  syncOwnDevices(except?: string): void {
    const frame = syncSnapshot(this.account.store)
    for (const pk of this.ownDeviceKeys()) if (pk !== except) this.node.sendSync(pk, frame)
  }

  /** Whether a request from `toxPk` is over the rate (./request-limits.ts), else counted. */
  limited(toxPk: string, what: string): boolean {
    return this.limiter.limited(toxPk, what)
  }


  private onFriendRequest(pk: Uint8Array, message: string): void {
    const key = hex(pk)
    const body = parseFriendRequest(message)
    if (!body) {
      this.account.emit('peerError', new ProtocolError(key, 'a friend request that is not from a gitswarm account'))
      return
    }
    if (this.limited(key, 'friend requests')) return
    const { store } = this.account
    trace?.(`${this.account.displayName}: friend request from ${key.slice(0, 8)}, ${body.kind} of ${body.uri.slice(0, 8)}`)
    if (body.kind === 'device') {
      if (body.uri !== this.account.uri) return
      this.expectOwn.add(key)
      this.node.tox.acceptFriendRequest(pk)
      this.befriend(key)
      return
    }
    const contact = store.contacts.value[body.uri]
    if (contact?.banned) return this.node.tox.refuseFriendRequest(pk)
    // We asked that device too: both want it, nothing to ask the user.
    const asked = store.contacts.value[`pending:${key}`]
    if (asked?.pending) {
      asked.pending.mutual = true
      store.contacts.save()
      this.claimed.set(key, body.uri)
      this.node.tox.acceptFriendRequest(pk)
      this.befriend(key)
      return
    }
    if (contact?.confirmed && !contact.removed) {
      this.claimed.set(key, body.uri)
      this.node.tox.acceptFriendRequest(pk)
      this.befriend(key)
      return
    }
    const received = nowSeconds()
    store.trustRequests.value[body.uri] = { uri: body.uri, toxPk: key, name: body.name, received }
    store.trustRequests.save()
    this.account.emit('trustRequestReceived', body.uri, { toxPk: key, name: body.name, received })
  }

  /** Accepts a trust request: the sender becomes a confirmed contact once its device verifies. */
  acceptTrust(toxPk: string, uri: string): void {
    this.claimed.set(toxPk, uri)
    this.node.tox.acceptFriendRequest(Buffer.from(toxPk, 'hex'))
    this.befriend(toxPk)
  }

  private onPeerOnline(p: VerifiedPeer): void {
    const { store } = this.account
    trace?.(`${this.account.displayName}: ${p.toxPk.slice(0, 8)} of ${p.accountUri.slice(0, 8)} online`)
    // A banned account's device (a ring neighbour in a shared conversation, say) gets nothing,
    // unless we are asking that device to be a contact again.
    if (store.contacts.value[p.accountUri]?.banned && !store.contacts.value[`pending:${p.toxPk}`]) return this.unfriend(p.toxPk)
    const claimed = this.claimed.get(p.toxPk)
    if ((this.expectOwn.has(p.toxPk) && p.accountUri !== this.account.uri) || (claimed && claimed !== p.accountUri)) {
      this.account.emit('peerError', new ProtocolError(p.toxPk, `its device belongs to ${p.accountUri}, not the account it claimed`))
      this.unfriend(p.toxPk)
      return
    }
    if (p.accountUri === this.account.uri) this.onOwnDevice(p)
    else this.onContactDevice(p)
    for (const e of store.outboxFor([p.toxPk, `account:${p.accountUri}`])) this.node.send(p.toxPk, { ...e.frame, ack: e.key })
    this.delivery.catchUp(this.account.openConversations(), p)
    for (const info of Object.values(store.conversations.value)) if (info.syncing && !info.removed) this.clone(info.id)
  }

  private onOwnDevice(p: VerifiedPeer): void {
    const { store } = this.account
    const known = store.devices.value[p.deviceId]
    if (known?.revoked) return
    if (!known || !known.introduced || known.toxPk !== p.toxPk || !known.cert) {
      store.devices.value[p.deviceId] = { ...(known ?? { added: Date.now() }), deviceId: p.deviceId, toxPk: p.toxPk, name: p.name, introduced: true, cert: p.deviceCertPem }
      store.devices.save()
      if (!known) {
        this.account.emit('deviceAdded', p.deviceId, p.name)
        this.account.emit('knownDevicesChanged', knownDevices(this.account))
        this.tellDevices()
      }
    }
    p.devices.forEach((pk) => this.befriend(pk))
    this.node.sendSync(p.toxPk, syncSnapshot(store))
  }

  /** Our device list changed: contacts and own devices learn the new keys. */
  private tellDevices(): void {
    const frame: Frame = { t: DEVICES, devices: [hex(this.node.tox.publicKey), ...this.ownDeviceKeys()] }
    for (const peer of this.node.onlinePeers()) this.node.send(peer.toxPk, frame)
  }

  private onContactDevice(p: VerifiedPeer): void {
    const { store } = this.account
    if (store.meta.value.introduce) {
      delete store.meta.value.introduce
      store.meta.save()
    }
    const contacts = store.contacts.value
    const pendingKey = `pending:${p.toxPk}`
    const pending = contacts[pendingKey]
    let contact: Contact | undefined = contacts[p.accountUri]
    if (pending) {
      delete contacts[pendingKey]
      const { pending: _asked, removed: _removed, banned: _banned, ...rest } = { ...(contact ?? {}), ...pending }
      contact = { ...rest, uri: p.accountUri, confirmed: true, devices: [...new Set([...(contact?.devices ?? []), p.toxPk])], name: p.name }
      contacts[p.accountUri] = contact
      store.contacts.save()
      this.account.emit('contactAdded', p.accountUri, true)
      this.syncOwnDevices()
    } else if (this.claimed.get(p.toxPk) === p.accountUri && contact && !contact.devices.includes(p.toxPk)) {
      contact.devices.push(p.toxPk)
      store.contacts.save()
    }
    if (!contact || contact.removed || contact.banned) return
    p.devices.forEach((pk) => this.befriend(pk))
    if (p.devices.some((pk) => !contact!.devices.includes(pk))) {
      contact.devices = [...new Set([...contact.devices, ...p.devices])]
      store.contacts.save()
    }
    // Both asked at once: only the smaller account URI makes the one-to-one, the other takes it.
    const makesIt = !pending?.pending?.mutual || this.account.uri < p.accountUri
    // Added again: the one-to-one it had comes back (never a second one).
    if (pending && contact.conversationId) this.account.restoreOneToOne(contact.uri)
    else if (pending && makesIt) this.account.startOneToOne(contact.uri)
  }

  /**
   * Who handles frames of type `t` on `msg:` (or, with `sync`, on `sync://` from own devices):
   * the feature modules register here. A frame of a type nobody handles is dropped (a newer
   * peer's), its `ack` still sent.
   */
  handle(t: string, handler: FrameHandler, options: { sync?: boolean } = {}): void {
    ;(options.sync ? this.syncHandlers : this.handlers).set(t, handler)
  }

  private onMessage(p: VerifiedPeer, frame: Frame): void {
    const { store } = this.account
    if (store.contacts.value[p.accountUri]?.banned) return
    if (frame.t === ACK) {
      const key = take.string(frame['key'], 256)
      if (key) store.acknowledge([p.toxPk, `account:${p.accountUri}`], key)
      return
    }
    try {
      this.handlers.get(frame.t)?.(p, frame)
    } finally {
      const ack = take.string(frame['ack'], 256)
      if (ack) this.node.send(p.toxPk, { t: ACK, key: ack })
    }
  }

  private onSyncMessage(p: VerifiedPeer, frame: Frame): void {
    this.syncHandlers.get(frame.t)?.(p, frame)
  }

}

/** Tox keys (hex) of the account's other devices. */
function ownDeviceKeys(account: AccountContext): string[] {
  return Object.values(account.store.devices.value)
    .filter((d) => !d.revoked)
    .map((d) => d.toxPk)
}
