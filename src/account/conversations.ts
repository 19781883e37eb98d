/**
 * The account's conversations as open repositories: opened on demand, watched (their commits
 * become the account's events), created, adopted after a clone, written through (events, then
 * the announcement), and removed. The Account's conversation methods call this; the network
 * and the commands see it through ConversationsPort (./context.ts).
 * @module
 */
import { existsSync, rmSync } from 'node:fs'
import { NotFoundError } from '../errors.js'
import { recoverRepository } from '../git/recovery.js'
import { findGitDir } from '../git/repository.js'
import { Conversation } from '../swarm/conversation.js'
import type { ConversationMode } from '../validation/context.js'
import type { AccountContext, AccountCore, ConversationsPort, NetworkPort } from './context.js'
import { emitCommitEvents, type ConversationError } from './events.js'
import { memberDevices } from './peers.js'
import { nowSeconds } from './store.js'
import { MAX_METADATA_VALUE } from './wire.js'

/** What the registry asks of the network side while the account is started. */
export interface RegistryNetwork {
  node: { host(conv: Conversation): void; unhost(id: string): void }
  delivery: { announce(conv: Conversation): void }
  refreshRing(): void
  syncOwnDevices(): void
  clone(id: string): void
  sendInvite(conv: Conversation, uri: string): void
}

export const isConversationId = (id: unknown): id is string => typeof id === 'string' && /^[0-9a-f]{40}$/.test(id)

export class ConversationRegistry implements ConversationsPort {
  private readonly open = new Map<string, Conversation>()
  /** Removed conversations still served until the next start. */
  private readonly leaving = new Set<Conversation>()

  constructor(
    private readonly core: AccountCore,
    private readonly net: () => RegistryNetwork | undefined,
    /** Drops the files hosted for a conversation that is erased. */
    private readonly removeHosted: (id: string) => void,
  ) {}

  /** Every repository opened and the removed ones still served, closed. */
  closeAll(): void {
    for (const conv of [...this.open.values(), ...this.leaving]) conv.close()
    this.open.clear()
    this.leaving.clear()
  }

  /** The repositories open now (for hosting them once the network is up). */
  opened(): Conversation[] {
    return [...this.open.values()]
  }

  /** Creates a conversation with this account as admin (a 1:1 names the invited); `before` runs before it is adopted. */
  create(options: { mode: ConversationMode; invited?: string }, before?: (conv: Conversation) => void): Conversation {
    // Conversation.create gives each a root of its own, even in one second.
    const conv = Conversation.create(this.core.identity, { ...options, dir: `${this.core.dir}/conversations` })
    before?.(conv)
    this.adopt(conv, 'created')
    return conv
  }

  conversation(id: string): Conversation {
    const conv = this.openConversation(id)
    if (!conv) throw new NotFoundError(`conversation ${id}`)
    return conv
  }

  openConversation(id: string): Conversation | undefined {
    const open = this.open.get(id)
    if (open) return open
    const info = this.core.store.conversations.value[id]
    if (!info || info.removed || info.syncing || !isConversationId(id)) return undefined
    const conv = Conversation.open(this.core.store.repositoryPath(id), { identity: this.core.identity })
    this.watch(conv)
    return conv
  }

  /** Non-removed conversations, by id (those still being cloned included). */
  ids(): string[] {
    return Object.values(this.core.store.conversations.value)
      .filter((c) => !c.removed)
      .map((c) => c.id)
  }

  openConversations(): Conversation[] {
    return this.ids().flatMap((id) => this.openConversation(id) ?? [])
  }

  private watch(conv: Conversation): void {
    const { core } = this
    this.open.set(conv.id, conv)
    conv.on('commitsAdded', (ids) => {
      emitCommitEvents(core, conv, ids)
      this.net()?.refreshRing()
    })
    conv.on('profileUpdated', (profile) => core.emit('conversationProfileUpdated', conv.id, profile))
    conv.on('conversationError', (e) => {
      // A fetch that threw is reported once, by ./delivery.ts: it knows whether anything was
      // known to be missing and whether the device just went away.
      if (e.code === 'fetch-failed' || e.code === 'limit-exceeded') return
      core.emit('onConversationError', conv.id, { code: e.code === 'invalid-fetch' ? 'invalid-fetch' : 'fetch', what: e.reason, peer: e.peer, rule: e.rule, commit: e.commit })
    })
    this.net()?.node.host(conv)
  }

  private adopt(conv: Conversation, how: 'created' | 'cloned'): void {
    const { store } = this.core
    const info = store.conversations.value[conv.id]
    store.conversations.value[conv.id] = { id: conv.id, created: info?.created ?? nowSeconds(), mode: conv.mode }
    store.conversations.save()
    this.watch(conv)
    this.net()?.refreshRing()
    if (how === 'created') emitCommitEvents(this.core, conv, [conv.id])
    this.core.emit('conversationReady', conv.id)
    this.net()?.syncOwnDevices()
  }

  /**
   * The one-to-one with a contact confirmed again: the conversation its record names comes
   * back (kept here, or cloned from the contact), none is made anew; without one, a new one.
   */
  restoreOneToOne(contactUri: string): void {
    const { store } = this.core
    const id = store.contacts.value[contactUri]?.conversationId
    const info = id ? store.conversations.value[id] : undefined
    if (!id || !info) return this.startOneToOne(contactUri)
    if (!info.removed) return
    delete info.removed
    info.created = nowSeconds()
    if (info.kept && existsSync(store.repositoryPath(id))) {
      delete info.kept
      store.conversations.save()
      const conv = this.openConversation(id)
      if (conv) {
        this.net()?.refreshRing()
        this.core.emit('conversationReady', id)
      }
    } else {
      delete info.kept
      info.syncing = { from: contactUri, since: Date.now() }
      store.conversations.save()
      this.net()?.clone(id)
    }
    this.net()?.syncOwnDevices()
  }

  startOneToOne(contactUri: string): void {
    const contact = this.core.store.contacts.value[contactUri]
    if (!contact) throw new NotFoundError(`contact ${contactUri}`)
    // The contact names it before it is announced ready (and before own devices hear of it).
    const conv = this.create({ mode: 0, invited: contactUri }, (c) => {
      contact.conversationId = c.id
      this.core.store.contacts.save()
    })
    this.net()?.sendInvite(conv, contactUri)
  }

  adoptClone(conv: Conversation): void {
    const { store } = this.core
    const role = conv.roleOf(this.core.uri)
    if (role !== 'invited' && role !== 'member' && role !== 'admin') {
      conv.close()
      rmSync(conv.path, { recursive: true, force: true })
      this.abandonClone(conv.id, { code: 'unauthorized', what: 'the cloned conversation does not invite this account' })
      return
    }
    delete store.requests.value[conv.id]
    store.requests.save()
    this.adopt(conv, 'cloned')
    if (role === 'invited') this.write(conv.id, (c) => c.join())
  }

  abandonClone(id: string, error: ConversationError): void {
    delete this.core.store.conversations.value[id]
    this.core.store.conversations.save()
    this.core.emit('onConversationError', id, error)
  }

  devicesOf(uri: string): string[] {
    const { store } = this.core
    const out = new Set(store.contacts.value[uri]?.devices ?? [])
    if (uri === this.core.uri) for (const d of Object.values(store.devices.value)) if (!d.revoked) out.add(d.toxPk)
    for (const conv of this.open.values()) {
      for (const d of memberDevices(conv)) if (d.uri === uri) out.add(d.toxPk)
    }
    return [...out]
  }

  inviteMetadatas(conv: Conversation): Record<string, string> {
    const profile = conv.profile()
    // The mode as the root says it, even one we do not support: the invitee's clone decides.
    const out: Record<string, string> = { mode: String(conv.rootMode()) }
    for (const [k, v] of Object.entries(profile)) if (typeof v === 'string' && v.length < MAX_METADATA_VALUE) out[k] = v
    return out
  }

  /** Jami's conversationInfos: the profile and mode; for a request or a clone in progress, the request's metadata. */
  infos(id: string): Record<string, string> {
    const { store } = this.core
    const info = store.conversations.value[id]
    const request = store.requests.value[id]
    if (info?.syncing || (!info && request)) return { ...(request?.metadatas ?? {}), ...(info?.syncing ? { syncing: 'true', created: String(info.created) } : {}) }
    return this.inviteMetadatas(this.conversation(id))
  }

  write(id: string, fn: (conv: Conversation) => string | string[] | undefined): string[] {
    const conv = this.conversation(id)
    const before = conv.head
    const result = fn(conv)
    const ids = result === undefined ? [] : Array.isArray(result) ? result : [result]
    if (conv.head !== before) {
      emitCommitEvents(this.core, conv, ids)
      this.net()?.delivery.announce(conv)
    }
    return ids
  }

  removeLocally(id: string, erase = false): void {
    const conv = this.open.get(id)
    this.open.delete(id)
    if (erase || !conv) {
      this.net()?.node.unhost(id)
      conv?.close()
      rmSync(this.core.store.repositoryPath(id), { recursive: true, force: true })
      this.removeHosted(id)
    } else this.leaving.add(conv) // still served, so peers can fetch the leave; erased at the next start
    this.core.emit('conversationRemoved', id)
  }

  /** Opens every usable conversation, first finishing or undoing what a crashed node left half done (no other node writes them now). */
  recoverAll(): void {
    for (const info of Object.values(this.core.store.conversations.value)) {
      if (info.removed || info.syncing || !isConversationId(info.id)) continue
      const path = this.core.store.repositoryPath(info.id)
      if (existsSync(path)) recoverRepository(findGitDir(path).gitdir)
      this.openConversation(info.id)
    }
  }

  /** Repositories of conversations removed before this start are erased. */
  eraseRemoved(): void {
    const { store } = this.core
    for (const info of Object.values(store.conversations.value)) {
      if (!info.removed || info.kept) continue
      if (existsSync(store.repositoryPath(info.id))) rmSync(store.repositoryPath(info.id), { recursive: true, force: true })
      this.removeHosted(info.id)
    }
  }
}

/** The context the account's modules are given: `core` and the registry's operations, the network while started. */
export function accountContext(core: AccountCore, registry: () => ConversationRegistry, network: () => NetworkPort | undefined): AccountContext {
  const reg = registry
  return {
    dir: core.dir,
    identity: core.identity,
    uri: core.uri,
    deviceId: core.deviceId,
    displayName: core.displayName,
    store: core.store,
    emit: (event, ...args) => core.emit(event, ...args),
    get network() {
      return network()
    },
    conversation: (id) => reg().conversation(id),
    openConversation: (id) => reg().openConversation(id),
    openConversations: () => reg().openConversations(),
    write: (id, fn) => reg().write(id, fn),
    devicesOf: (uri) => reg().devicesOf(uri),
    inviteMetadatas: (conv) => reg().inviteMetadatas(conv),
    removeLocally: (id, erase) => reg().removeLocally(id, erase),
    adoptClone: (conv) => reg().adoptClone(conv),
    abandonClone: (id, error) => reg().abandonClone(id, error),
    startOneToOne: (uri) => reg().startOneToOne(uri),
    restoreOneToOne: (uri) => reg().restoreOneToOne(uri),
  }
}
