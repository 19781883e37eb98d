/**
 * An Account: the identity of one device of an account, its contacts, its conversations and
 * their requests, kept in one directory (./store.ts), and — once started — alive on the Tox
 * network (./network.ts): contacts found by Tox ID through the DHT and onion, invitations
 * delivered to every device of the invitee, new commits announced and gossiped, own devices
 * in sync, offline peers served from a persistent outbox. Methods and events follow Jami's
 * conversation API (reference jami-swarm.md §7).
 *
 * ```ts
 * const alice = await Account.create('./alice', { displayName: 'alice' })
 * await alice.start({ bootstrap: [{ host: '127.0.0.1', port: 33445, publicKey: '…' }] })
 * alice.on('swarmMessageReceived', (conversationId, message) => console.log(message.body.body))
 * alice.addContact(bobToxId)
 * ```
 * @module
 */
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { AlreadyExistsError, InvalidStateError } from '../errors.js'
import { addDevice, createAccount, type DeviceIdentity } from '../identity/identity.js'
import { loadIdentity, saveIdentity } from '../identity/storage.js'
import { toxId, toxPublicKey } from '../identity/tox.js'
import { Conversation } from '../swarm/conversation.js'
import type { LoadOptions, SearchOptions, SwarmMessage } from '../swarm/history-view.js'
import type { Member } from '../swarm/members.js'
import type { ConversationProfile } from '../swarm/profile.js'
import type { ConversationMode } from '../validation/context.js'
import { accountFromArchive, archiveContent, openArchive, sealArchive } from './archive.js'
import type { AccountEvents, ConversationError } from './events.js'
import * as contacts from './commands/contacts.js'
import * as trust from './commands/trust.js'
import * as membership from './commands/membership.js'
import { AccountFiles, type TransferInfo } from './files.js'
import { AccountNetwork, type NetworkOptions } from './network.js'
import { takeRunLock } from './run-lock.js'
import type { NetworkStatus } from '../transport/tox-node.js'
import type { PeerInfo } from './swarm-node.js'
import type { AccountContext } from './context.js'
import { ConversationRegistry } from './conversations.js'
import { AccountStore, ACCOUNT_FORMAT, type Contact, type ConversationRequest, type TrustRequest } from './store.js'

/** How Account.create makes an account directory. */
export interface CreateAccountDirOptions {
  displayName?: string
  /** Encrypts the private keys on disk. */
  passphrase?: string
  /** An existing device identity to keep (instead of new keys). */
  identity?: DeviceIdentity
}

/** One device of an account, kept in a directory, and — started — alive on the Tox network (see the module). */
export class Account extends EventEmitter<AccountEvents> implements AccountContext {
  readonly store: AccountStore
  private readonly registry: ConversationRegistry
  private net: AccountNetwork | undefined
  private releaseRunLock: (() => void) | undefined
  /** @internal files sent, hosted and downloaded (./files.ts). */
  readonly files: AccountFiles
  /** Largest file sendFile announces and downloadFile fetches, in bytes (default 4 GiB). */
  get maxFileSize(): number {
    return this.files.maxFileSize
  }
  set maxFileSize(bytes: number) {
    this.files.maxFileSize = bytes
  }

  private constructor(
    readonly dir: string,
    readonly identity: DeviceIdentity,
  ) {
    super()
    this.store = new AccountStore(dir)
    this.files = new AccountFiles(this)
    this.registry = new ConversationRegistry(this, () => this.net, (id) => this.files.removeHosted(id))
    if (!this.store.meta.value.nospam) {
      this.store.meta.value = { format: ACCOUNT_FORMAT, nospam: randomBytes(4).toString('hex') }
      this.store.meta.save()
    }
    this.registry.eraseRemoved()
    this.on('swarmMessageUpdated', (id, message) => this.files.onMessageUpdated(id, message))
  }

  /** Creates an account (new keys unless `identity` is given) in an empty or new directory. */
  static async create(dir: string, options: CreateAccountDirOptions = {}): Promise<Account> {
    if (existsSync(`${dir}/identity`)) throw new AlreadyExistsError(`account in ${dir}`)
    const identity = options.identity ?? (await createAccount({ displayName: options.displayName ?? 'gitswarm' }))
    saveIdentity(`${dir}/identity`, identity, { passphrase: options.passphrase })
    return new Account(dir, identity)
  }

  /** Opens the account kept in `dir`. */
  static open(dir: string, options: { passphrase?: string } = {}): Account {
    return new Account(dir, loadIdentity(`${dir}/identity`, options))
  }

  /**
   * Links a new device to an account from its archive (exportArchive on another device):
   * a new device key and certificate, the contacts, conversations and requests of the
   * account; once started it introduces itself to the other devices and clones from them.
   */
  static async importArchive(dir: string, archive: Uint8Array, passphrase: string, options: { displayName?: string; passphrase?: string } = {}): Promise<Account> {
    const content = openArchive(archive, passphrase)
    const base = accountFromArchive(content)
    const identity = await addDevice(base as DeviceIdentity, { displayName: options.displayName ?? content.displayName })
    const account = await Account.create(dir, { identity, passphrase: options.passphrase })
    const { store } = account
    store.contacts.value = content.contacts
    store.requests.value = content.requests
    store.preferences.value = content.preferences
    store.devices.value = content.devices
    store.conversations.value = Object.fromEntries(
      Object.values(content.conversations).map((c) => [c.id, c.removed ? c : { ...c, syncing: { from: identity.uri, since: Date.now() } }]),
    )
    for (const f of [store.contacts, store.requests, store.preferences, store.devices, store.conversations]) f.save()
    return account
  }

  /** The archive of this account, sealed with `passphrase` (this device must hold the account key). */
  exportArchive(passphrase: string): Buffer {
    const { store } = this
    const self = { deviceId: this.deviceId, toxPk: Buffer.from(this.toxPublicKey).toString('hex'), toxId: this.toxId(), name: this.displayName, added: Date.now(), introduced: false }
    return sealArchive(
      archiveContent(this.identity, {
        contacts: store.contacts.value,
        conversations: store.conversations.value,
        requests: store.requests.value,
        preferences: store.preferences.value,
        devices: { ...Object.fromEntries(Object.entries(store.devices.value).map(([k, d]) => [k, { ...d, introduced: false }])), [this.deviceId]: self },
      }),
      passphrase,
    )
  }

  /** Account URI: hex SHA-1 of the account key. */
  get uri(): string {
    return this.identity.uri
  }

  /** This device's id: hex SHA-256 of its device key. */
  get deviceId(): string {
    return this.identity.deviceId
  }

  /** The name written into this device's commits. */
  get displayName(): string {
    return this.identity.displayName
  }

  /** This device's Tox key (its Ed25519 device key, converted). */
  get toxPublicKey(): Uint8Array {
    return toxPublicKey(this.identity.deviceKey.publicKey)
  }

  /** This device's Tox ID (76 hex digits, with the account's nospam): what others add. */
  toxId(): string {
    return this.net?.node.tox.toxId() ?? toxId(this.toxPublicKey, Buffer.from(this.store.meta.value.nospam, 'hex'))
  }

  /** The node of a started account: its address and DHT key make it a bootstrap node for others. */
  get node() {
    if (!this.net) throw new InvalidStateError('reach the network', 'the account is not started')
    return this.net.node
  }

  /** @internal the network side, once started. */
  get network(): AccountNetwork | undefined {
    return this.net
  }

  /**
   * The devices connected now (own and others', each verified by its hello) and how each is
   * reached: path `udp-lan`, `udp-direct` or `tcp-relay`, remote address, round-trip time.
   * Empty when the account is not started.
   */
  getPeers(): PeerInfo[] {
    return this.net?.node.peerInfos() ?? []
  }

  /** How this device stands on the Tox network (DHT, TCP relays, the onion's way out); undefined when not started. */
  getNetworkStatus(): NetworkStatus | undefined {
    return this.net?.node.tox.status()
  }

  /** Whether the account is on the network (between start and stop). */
  get started(): boolean {
    return this.net !== undefined
  }

  /** Joins the Tox network (bootstrap nodes in `options`) and starts delivering. */
  async start(options: NetworkOptions = {}): Promise<void> {
    if (this.net) throw new InvalidStateError('start', 'already started')
    const lock = takeRunLock(this.dir)
    try {
      this.registry.recoverAll()
      this.net = await AccountNetwork.start(this, this.files, options)
    } catch (err) {
      lock.release()
      throw err
    }
    this.releaseRunLock = lock.release
    for (const conv of this.registry.opened()) this.net.node.host(conv)
    this.files.attach(this.net.node)
  }

  /** Leaves the network (peers see the connections close at once) and closes the repositories. */
  async stop(): Promise<void> {
    const net = this.net
    this.net = undefined
    await this.files.detach()
    await net?.close()
    this.registry.closeAll()
    this.releaseRunLock?.()
    this.releaseRunLock = undefined
  }

  // ── contacts (Jami's addContact, trust requests) ─────────────────────────────────────

  /**
   * Adds a contact by Tox ID: a friend request carrying our account goes out through the
   * onion (resent until answered). Once the contact's device accepts and verifies, it is a
   * confirmed contact (contactAdded) and the one-to-one conversation is created and offered.
   */
  addContact(toxIdOfContact: string): void {
    contacts.addContact(this, toxIdOfContact)
  }

  /** Contacts (confirmed or not), without removed ones. */
  getContacts(): Contact[] {
    return Object.values(this.store.contacts.value).filter((c) => !c.removed)
  }

  /** One contact's record (removed ones too, with `removed` set), or undefined. */
  getContactDetails(uri: string): Contact | undefined {
    return this.store.contacts.value[uri]
  }

  /** Requests to become a contact, not yet accepted or discarded. */
  getTrustRequests(): TrustRequest[] {
    return Object.values(this.store.trustRequests.value)
  }

  /** Accepts someone's request to be a contact (Jami's acceptTrustRequest). */
  acceptTrustRequest(from: string): void {
    trust.acceptTrustRequest(this, from)
  }

  /** Ignores a trust request (later ones from that device are refused until it is asked again). */
  discardTrustRequest(from: string): void {
    trust.discardTrustRequest(this, from)
  }

  /**
   * Removes a contact: its pending requests are declined and its one-to-one conversation is
   * removed. With `ban`, its devices are refused from then on and the conversation is kept
   * (as Jami's testBanContact), silent.
   */
  removeContact(uri: string, options: { ban?: boolean } = {}): void {
    contacts.removeContact(this, uri, options)
  }

  // ── conversations ───────────────────────────────────────────────────────────────────

  /** Creates a conversation (invites only by default) with this account as admin. */
  startConversation(options: { mode?: Exclude<ConversationMode, 0>; title?: string; description?: string } = {}): string {
    const conv = this.registry.create({ mode: options.mode ?? 2 })
    if (options.title !== undefined || options.description !== undefined) this.updateConversationInfos(conv.id, { title: options.title, description: options.description })
    return conv.id
  }

  /** Non-removed conversations, by id (those still being cloned included). */
  getConversations(): string[] {
    return this.registry.ids()
  }

  /** The open repository of a conversation (for reading history, or for tools). */
  conversation(id: string): Conversation {
    return this.registry.conversation(id)
  }

  /** @internal */
  openConversation(id: string): Conversation | undefined {
    return this.registry.openConversation(id)
  }

  /** @internal */
  openConversations(): Conversation[] {
    return this.registry.openConversations()
  }

  /** @internal the one-to-one conversation with a newly confirmed contact, offered to it. */
  startOneToOne(contactUri: string): void {
    this.registry.startOneToOne(contactUri)
  }

  /** @internal a clone finished: join if invited, then ready. */
  adoptClone(conv: Conversation): void {
    this.registry.adoptClone(conv)
  }

  /** @internal */
  abandonClone(id: string, error: ConversationError): void {
    this.registry.abandonClone(id, error)
  }

  /** @internal known Tox keys (hex) of the devices of `uri`: from contacts, and from shared conversations. */
  devicesOf(uri: string): string[] {
    return this.registry.devicesOf(uri)
  }

  /** @internal Jami's invite metadatas: the profile and the mode. */
  inviteMetadatas(conv: Conversation): Record<string, string> {
    return this.registry.inviteMetadatas(conv)
  }

  /** Jami's conversationInfos: the profile and mode; for a request or a clone in progress, the request's metadata. */
  conversationInfos(id: string): Record<string, string> {
    return this.registry.infos(id)
  }

  /** @internal writes through `fn`, then emits the events and announces. */
  write(id: string, fn: (conv: Conversation) => string | string[] | undefined): string[] {
    return this.registry.write(id, fn)
  }

  /**
   * Announces a conversation's head to its connected members, as after any write here: for
   * commits written by other tools into the repository (the CLI while the node runs).
   */
  announce(id: string): void {
    this.net?.delivery.announce(this.conversation(id))
  }

  /** Sends a text message (optionally a reply); returns its id. Announced at once to connected members. */
  sendMessage(id: string, body: string, options: { replyTo?: string } = {}): string {
    return this.write(id, (c) => c.sendMessage(body, options))[0]!
  }

  /** Replaces the text of one of this account's messages (an edit commit); returns its id. */
  editMessage(id: string, messageId: string, body: string): string {
    return this.write(id, (c) => c.editMessage(messageId, body))[0]!
  }

  /** Deletes one of this account's messages or files (an empty edit); returns the commit id. */
  deleteMessage(id: string, messageId: string): string {
    return this.write(id, (c) => c.deleteMessage(messageId))[0]!
  }

  /** Reacts to a message; returns the reaction's id. */
  addReaction(id: string, messageId: string, emoji: string): string {
    return this.write(id, (c) => c.addReaction(messageId, emoji))[0]!
  }

  /** Takes back one of this account's reactions. */
  removeReaction(id: string, reactionId: string): string {
    return this.write(id, (c) => c.removeReaction(reactionId))[0]!
  }

  // ── files (Jami's sendFile, downloadFile, cancelDataTransfer, fileTransferInfo) ─────────

  /**
   * Shares a file: a copy is hosted under the account's conversation_data and announced in
   * an `application/data-transfer+json` commit (name, size, SHA3-512, tid); members fetch it
   * on demand. Resolves with the announcement's id. Delete it with deleteMessage.
   */
  sendFile(id: string, path: string, options: { displayName?: string; replyTo?: string } = {}): Promise<string> {
    return this.files.sendFile(id, path, options)
  }

  /**
   * Downloads an announced file to `destPath`, from every connected member device that holds
   * it at once; resumes after interruptions and restarts; the file appears at `destPath` only
   * once its SHA3-512 matches. Progress and the outcome come as dataTransferEvent.
   */
  downloadFile(id: string, interactionId: string, fileId: string, destPath: string): void {
    this.files.downloadFile(id, interactionId, fileId, destPath)
  }

  /** Stops a download and removes its partial file; false when there is none. */
  cancelDataTransfer(id: string, fileId: string): Promise<boolean> {
    return this.files.cancelDataTransfer(id, fileId)
  }

  /** Status, bytes so far, total and destination of a download; undefined if none was asked. */
  fileTransferInfo(id: string, fileId: string): TransferInfo | undefined {
    return this.files.fileTransferInfo(id, fileId)
  }

  /** Messages newest first (Jami's loadConversation, answered at once). */
  loadConversation(id: string, options: LoadOptions = {}): SwarmMessage[] {
    return this.conversation(id).loadMessages(options)
  }

  /** One message by id, with its edits and reactions folded in. */
  getMessage(id: string, messageId: string): SwarmMessage {
    return this.conversation(id).getMessage(messageId)
  }

  /** Messages matching a regular expression, author, type or dates (Jami's searchConversation, answered at once). */
  searchConversation(id: string, options: SearchOptions = {}): SwarmMessage[] {
    return this.conversation(id).searchMessages(options)
  }

  /** Messages newer than `since` (optionally by one author): an unread counter. */
  countInteractions(id: string, options: { since?: string; author?: string } = {}): number {
    return this.conversation(id).countMessages(options)
  }

  /** Admins only: sets title, description, avatar… (an update-profile commit). */
  updateConversationInfos(id: string, infos: ConversationProfile): string {
    const clean = Object.fromEntries(Object.entries(infos).filter(([, v]) => v !== undefined)) as ConversationProfile
    const [commit] = this.write(id, (c) => c.updateProfile(clean))
    this.emit('conversationProfileUpdated', id, this.conversation(id).profile())
    return commit!
  }

  /** Members with their roles (invited, banned and left included); while cloning, the inviter and this account. */
  getConversationMembers(id: string): Member[] {
    const info = this.store.conversations.value[id]
    if (info?.syncing) {
      const from = this.store.requests.value[id]?.from ?? info.syncing.from
      return [...(from && from !== this.uri ? [{ uri: from, role: 'admin' as const }] : []), { uri: this.uri, role: 'invited' as const }]
    }
    return this.conversation(id).members()
  }

  /**
   * Invites an account: an `add` commit (or, for a banned member, the unban vote), then the
   * invitation to every known device of the invitee, now or when it comes online. An account
   * already invited gets the invitation again.
   */
  addConversationMember(id: string, uri: string): void {
    membership.addConversationMember(this, id, uri)
  }

  /** Admins only: bans a member (the vote and, with enough votes, the ban). */
  removeConversationMember(id: string, uri: string): void {
    membership.removeConversationMember(this, id, uri)
  }

  /** Pending (not declined) requests, with Jami's fields: metadatas plus id, from, received. */
  getConversationRequests(): Array<ConversationRequest & { id: string }> {
    return Object.values(this.store.requests.value)
      .filter((r) => !r.declined)
      .map((r) => ({ ...r, id: r.conversationId }))
  }

  /** Accepts an invitation: the conversation is cloned from the inviter's devices (or any member), joined, then ready. */
  acceptConversationRequest(id: string): void {
    membership.acceptConversationRequest(this, id)
  }

  /** Declines an invitation, here and on the account's other devices (conversationRequestDeclined). */
  declineConversationRequest(id: string): void {
    membership.declineConversationRequest(this, id)
  }

  /** Replaces the local preferences of a conversation (not in git; synced to own devices). */
  setConversationPreferences(id: string, preferences: Record<string, string>): void {
    membership.setConversationPreferences(this, id, preferences)
  }

  /** This conversation's local preferences. */
  getConversationPreferences(id: string): Record<string, string> {
    return { ...(this.store.preferences.value[id]?.values ?? {}) }
  }

  /**
   * Leaves a conversation (a `remove` commit, announced) and removes it here and on the
   * account's other devices. The repository stays until the next start, so peers can fetch
   * the leave; alone in it, it is erased at once. False for an unknown conversation.
   */
  removeConversation(id: string): boolean {
    return membership.removeConversation(this, id)
  }

  /** @internal */
  removeLocally(id: string, erase = false): void {
    this.registry.removeLocally(id, erase)
  }
}
