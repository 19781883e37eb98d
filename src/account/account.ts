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
import { existsSync } from 'node:fs'
import { AlreadyExistsError } from '../errors.js'
import { addDevice, createAccount, type DeviceIdentity } from '../identity/identity.js'
import { loadIdentity, saveIdentity } from '../identity/storage.js'
import type { Conversation } from '../swarm/conversation.js'
import type { LoadOptions, SearchOptions, SwarmMessage } from '../swarm/history-view.js'
import type { Member } from '../swarm/members.js'
import type { ConversationProfile } from '../swarm/profile.js'
import type { ConversationMode } from '../validation/context.js'
import { AccountBase } from './account-base.js'
import { accountFromArchive, openArchive, restoreArchiveState } from './archive.js'
import * as contacts from './commands/contacts.js'
import * as membership from './commands/membership.js'
import * as trust from './commands/trust.js'
import type { TransferInfo } from './files.js'
import type { AccountProfile } from './profile.js'
import { knownDevices } from './revocation.js'
import type { Contact, ConversationRequest, TrustRequest } from './store.js'

/** How Account.create makes an account directory. */
export interface CreateAccountDirOptions {
  displayName?: string
  /** Encrypts the private keys on disk. */
  passphrase?: string
  /** An existing device identity to keep (instead of new keys). */
  identity?: DeviceIdentity
}

/** One device of an account, kept in a directory, and — started — alive on the Tox network (see the module). */
export class Account extends AccountBase {
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
    restoreArchiveState(account.store, content, identity.uri)
    return account
  }

  // ── contacts (Jami's addContact, trust requests) ─────────────────────────────────────

  /**
   * Adds a contact by Tox ID: a friend request carrying our account goes out through the
   * onion (resent until answered). Once the contact's device accepts and verifies, it is a
   * confirmed contact (contactAdded) and the one-to-one conversation is created and offered.
   */
  addContact(toxIdOfContact: string): void {
    contacts.addContact(this.ctx, toxIdOfContact)
  }

  /** Contacts (confirmed or not), without removed ones. */
  getContacts(): Contact[] {
    return Object.values(this.store.contacts.value).filter((c) => !c.removed)
  }

  /** One contact's record (removed ones too, with `removed` set) with its presence (0, 1, 2), or undefined. */
  getContactDetails(uri: string): (Contact & { presence: number }) | undefined {
    const contact = this.store.contacts.value[uri]
    return contact && { ...contact, presence: this.presence.of(uri) }
  }

  /** Requests to become a contact, not yet accepted or discarded. */
  getTrustRequests(): TrustRequest[] {
    return Object.values(this.store.trustRequests.value)
  }

  /** Accepts someone's request to be a contact (Jami's acceptTrustRequest). */
  acceptTrustRequest(from: string): void {
    trust.acceptTrustRequest(this.ctx, from)
  }

  /** Ignores a trust request (later ones from that device are refused until it is asked again). */
  discardTrustRequest(from: string): void {
    trust.discardTrustRequest(this.ctx, from)
  }

  /**
   * Removes a contact: its pending requests are declined and its one-to-one conversation is
   * removed. With `ban`, its devices are refused from then on and the conversation is kept
   * (as Jami's testBanContact), silent.
   */
  removeContact(uri: string, options: { ban?: boolean } = {}): void {
    contacts.removeContact(this.ctx, uri, options)
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

  /** Jami's conversationInfos: the profile and mode; for a request or a clone in progress, the request's metadata. */
  conversationInfos(id: string): Record<string, string> {
    return this.registry.infos(id)
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
    return this.registry.write(id, (c) => c.sendMessage(body, options))[0]!
  }

  /** Replaces the text of one of this account's messages (an edit commit); returns its id. */
  editMessage(id: string, messageId: string, body: string): string {
    return this.registry.write(id, (c) => c.editMessage(messageId, body))[0]!
  }

  /** Deletes one of this account's messages or files (an empty edit); returns the commit id. */
  deleteMessage(id: string, messageId: string): string {
    return this.registry.write(id, (c) => c.deleteMessage(messageId))[0]!
  }

  /** Reacts to a message; returns the reaction's id. */
  addReaction(id: string, messageId: string, emoji: string): string {
    return this.registry.write(id, (c) => c.addReaction(messageId, emoji))[0]!
  }

  /** Takes back one of this account's reactions. */
  removeReaction(id: string, reactionId: string): string {
    return this.registry.write(id, (c) => c.removeReaction(reactionId))[0]!
  }

  // ── what chat apps show: status, typing, presence, profiles, devices (Jami's names) ──

  /**
   * Marks a message, and every older one, displayed by this account: shared with own devices
   * and sent to the members as a read receipt (unless sendReadReceipt is off or the group has
   * more than 20 members). False when it was displayed already.
   */
  setMessageDisplayed(id: string, messageId: string): boolean {
    return this.statuses.setMessageDisplayed(id, messageId)
  }

  /** Each member's status for one message: 2 sent (fetched), 3 displayed; members with neither are absent. */
  getMessageStatus(id: string, messageId: string): Record<string, number> {
    const conv = this.conversation(id)
    const message = conv.getMessage(messageId)
    return this.statuses.withStatus(conv, [message])[0]!.status
  }

  /** Tells the members' connected devices that this account is typing (or stopped); true lasts 12 s unless renewed. */
  setIsComposing(id: string, composing: boolean): void {
    this.typers.setIsComposing(id, composing)
  }

  /** Members typing in a conversation now. */
  getComposing(id: string): string[] {
    return this.typers.composing(id)
  }

  /** An account's presence over its devices: 0 disconnected, 1 available, 2 connected. */
  getPresence(uri: string): number {
    return this.presence.of(uri)
  }

  /**
   * Sets this account's display name and/or avatar (PNG, JPEG, GIF or WebP, at most 32 KiB;
   * null removes it), shared with contacts and own devices. LimitExceededError past the bounds.
   */
  updateProfile(changes: { displayName?: string; avatar?: Uint8Array | string | null }): AccountProfile {
    return this.profiles.update(changes)
  }

  /** This account's profile, or a contact's as received; undefined when none is known. */
  getProfile(uri?: string): AccountProfile | undefined {
    return this.profiles.get(uri)
  }

  /**
   * Revokes another device of the account (this device must hold the account key): a CRL
   * signed by the account goes into every conversation and to the own devices; members refuse
   * the device's later commits and the devices its connections. deviceRevocationEnded after.
   */
  revokeDevice(deviceId: string): Promise<void> {
    return this.revocations.revoke(deviceId)
  }

  /** The account's devices that are not revoked, this one included: id → name. */
  getKnownDevices(): Record<string, string> {
    return knownDevices(this.ctx)
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

  /** Messages newest first (Jami's loadConversation, answered at once), each with its `status` per member. */
  loadConversation(id: string, options: LoadOptions = {}): SwarmMessage[] {
    const conv = this.conversation(id)
    const messages = conv.loadMessages(options)
    return this.statuses.withStatus(conv, messages)
  }

  /** One message by id, with its edits and reactions folded in. */
  getMessage(id: string, messageId: string): SwarmMessage {
    return this.conversation(id).getMessage(messageId)
  }

  /** Messages matching a regular expression, author, type or dates (Jami's searchConversation, answered at once). */
  searchConversation(id: string, options: SearchOptions = {}): SwarmMessage[] {
    return this.conversation(id).searchMessages(options)
  }

  /** Messages newer than `since` (optionally by one author, or only those after `untilAuthor` last wrote, as Jami's authorUri): an unread counter. */
  countInteractions(id: string, options: { since?: string; author?: string; untilAuthor?: string } = {}): number {
    return this.conversation(id).countMessages(options)
  }

  /** Admins only: sets title, description, avatar… (an update-profile commit). */
  updateConversationInfos(id: string, infos: ConversationProfile): string {
    const clean = Object.fromEntries(Object.entries(infos).filter(([, v]) => v !== undefined)) as ConversationProfile
    const [commit] = this.registry.write(id, (c) => c.updateProfile(clean))
    this.emit('conversationProfileUpdated', id, this.conversation(id).profile())
    return commit!
  }

  /** Members with their roles (invited, banned and left included) and the message each displayed last; while cloning, the inviter and this account. */
  getConversationMembers(id: string): Array<Member & { lastDisplayed?: string }> {
    const info = this.store.conversations.value[id]
    if (info?.syncing) {
      const from = this.store.requests.value[id]?.from ?? info.syncing.from
      return [...(from && from !== this.uri ? [{ uri: from, role: 'admin' as const }] : []), { uri: this.uri, role: 'invited' as const }]
    }
    return this.conversation(id)
      .members()
      .map((m) => {
        const lastDisplayed = this.statuses.lastDisplayed(id, m.uri)
        return lastDisplayed ? { ...m, lastDisplayed } : m
      })
  }

  /**
   * Invites an account: an `add` commit (or, for a banned member, the unban vote), then the
   * invitation to every known device of the invitee, now or when it comes online. An account
   * already invited gets the invitation again.
   */
  addConversationMember(id: string, uri: string): void {
    membership.addConversationMember(this.ctx, id, uri)
  }

  /** Admins only: bans a member (the vote and, with enough votes, the ban). */
  removeConversationMember(id: string, uri: string): void {
    membership.removeConversationMember(this.ctx, id, uri)
  }

  /** Pending (not declined) requests, with Jami's fields: metadatas plus id, from, received. */
  getConversationRequests(): Array<ConversationRequest & { id: string }> {
    return Object.values(this.store.requests.value)
      .filter((r) => !r.declined)
      .map((r) => ({ ...r, id: r.conversationId }))
  }

  /** Accepts an invitation: the conversation is cloned from the inviter's devices (or any member), joined, then ready. */
  acceptConversationRequest(id: string): void {
    membership.acceptConversationRequest(this.ctx, id)
  }

  /** Declines an invitation, here and on the account's other devices (conversationRequestDeclined). */
  declineConversationRequest(id: string): void {
    membership.declineConversationRequest(this.ctx, id)
  }

  /** Replaces the local preferences of a conversation (not in git; synced to own devices). */
  setConversationPreferences(id: string, preferences: Record<string, string>): void {
    membership.setConversationPreferences(this.ctx, id, preferences)
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
    return membership.removeConversation(this.ctx, id)
  }

}
