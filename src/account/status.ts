/**
 * Message status as Jami keeps it (reference jami-swarm.md §5.6, H6): for each member of a
 * conversation two pointers, the newest commit one of its devices fetched (SENT) and the
 * newest it displayed (DISPLAYED), with their times, in `conversation_data/<id>/status`
 * (written whole, atomically). A pointer only moves forward and every older message inherits
 * it; the author of a message has displayed it.
 *
 * - SENT is learnt when a member's device fetches from us (git serve) or announces a head.
 * - DISPLAYED is sent by setMessageDisplayed to every member account as a read receipt. Unlike
 *   Jami, which sends it only over open channels, a receipt for a member that is offline waits
 *   in the outbox, and a newer receipt for the same conversation replaces it there.
 * - Own devices share the pointers over `sync://` (the newer time wins).
 * - The `sendReadReceipt` setting off: receipts are neither sent nor shown.
 * - Above GROUP_RECEIPT_LIMIT members there are no per-member read receipts (SimpleX's rule
 *   for groups: N² receipts for every message read do not scale); SENT still works.
 * @module
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { NotFoundError } from '../errors.js'
import type { Conversation } from '../swarm/conversation.js'
import type { AccountContext, NetworkPort } from './context.js'
import { take, type Frame } from './frames.js'
import type { VerifiedPeer } from './hello.js'
import { activeMembers } from './peers.js'
import { JsonFile } from './store.js'
import { ANNOUNCE, parseAnnouncement } from './wire.js'

/** Jami's MessageStates. */
export const MessageStatus = { unknown: 0, sending: 1, sent: 2, displayed: 3, failure: 4, cancelled: 5 } as const
export type MessageStatusCode = (typeof MessageStatus)[keyof typeof MessageStatus]

/** Above this many members (admins and members), no per-member read receipts are sent or taken. */
export const GROUP_RECEIPT_LIMIT = 20

/** One member's pointers in one conversation (times in ms). */
export interface MemberStatus {
  fetched?: string
  fetchedTs?: number
  read?: string
  readTs?: number
}

/** A read receipt (Jami sends IMDN XML, `message/imdn+xml`; the same facts here as JSON). */
export const DISPLAYED = 'application/x-gitswarm-displayed'
/** Own devices' pointers for one conversation, over `sync://`. */
export const STATUS_SYNC = 'application/x-gitswarm-status'

const isId = (v: unknown): v is string => take.hex(v, 40) !== undefined

export class MessageStatuses {
  private readonly files = new Map<string, JsonFile<Record<string, MemberStatus>>>()
  /** Conversations whose fetched pointers moved and are not on disk yet (see save). */
  private readonly unsaved = new Set<string>()
  private flushTimer: NodeJS.Timeout | undefined
  private net: NetworkPort | undefined
  private readonly unsubscribe: Array<() => void> = []

  constructor(private readonly account: AccountContext) {}

  /** Listens on a started network: receipts, fetches and announcements, own devices. */
  attach(net: NetworkPort): void {
    this.net = net
    net.handle(DISPLAYED, (p, f) => this.onDisplayed(p, f))
    net.handle(STATUS_SYNC, (_p, f) => this.onSync(f), { sync: true })
    const onFetched = (p: VerifiedPeer, conversationId: string, wants: string[]) => this.onFetched(p, conversationId, wants)
    const onMessage = (p: VerifiedPeer, f: Frame) => {
      if (f.t !== ANNOUNCE) return
      const a = parseAnnouncement(f)
      if (a) this.onFetched(p, a.conversationId, [a.commit])
    }
    const onOnline = (p: VerifiedPeer) => {
      if (p.accountUri === this.account.uri) for (const id of Object.keys(this.account.store.conversations.value)) this.syncTo(id, p.toxPk)
    }
    net.node.on('fetched', onFetched)
    net.node.on('message', onMessage)
    net.node.on('peerOnline', onOnline)
    this.unsubscribe.push(() => net.node.off('fetched', onFetched), () => net.node.off('message', onMessage), () => net.node.off('peerOnline', onOnline))
  }

  detach(): void {
    for (const off of this.unsubscribe.splice(0)) off()
    this.flush()
    this.net = undefined
  }

  private file(conversationId: string): JsonFile<Record<string, MemberStatus>> {
    let file = this.files.get(conversationId)
    if (!file) {
      file = new JsonFile(join(this.account.store.dataDir(conversationId), 'status'), () => ({}))
      this.files.set(conversationId, file)
    }
    return file
  }

  /**
   * A read pointer is written at once. Fetched pointers move with every announcement of a busy
   * group, so they are written together a second later (or when the account stops): one lost
   * to a crash is learnt again at the member's next fetch.
   */
  private save(conversationId: string, now: boolean): void {
    if (!now) {
      this.unsaved.add(conversationId)
      this.flushTimer ??= setTimeout(() => this.flush(), 1000).unref()
      return
    }
    this.unsaved.delete(conversationId)
    mkdirSync(this.account.store.dataDir(conversationId), { recursive: true })
    this.file(conversationId).save()
  }

  private flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    for (const id of [...this.unsaved]) {
      if (this.account.store.conversations.value[id]?.removed) this.unsaved.delete(id)
      else this.save(id, true)
    }
  }

  /** Each member's pointers in a conversation. */
  pointers(conversationId: string): Record<string, MemberStatus> {
    return structuredClone(this.file(conversationId).value)
  }

  /** The message a member displayed last (Jami's lastDisplayed), if known. */
  lastDisplayed(conversationId: string, uri: string): string | undefined {
    return this.file(conversationId).value[uri]?.read
  }

  /**
   * Marks `messageId` (and every older message) displayed by this account: kept, shared with
   * own devices and, with sendReadReceipt on and at most GROUP_RECEIPT_LIMIT members, sent to
   * every member. Returns false when the pointer did not move (already displayed).
   */
  setMessageDisplayed(conversationId: string, messageId: string): boolean {
    const conv = this.account.conversation(conversationId)
    if (!conv.history().has(messageId)) throw new NotFoundError(`message ${messageId} in conversation ${conversationId}`)
    const now = Date.now()
    if (!this.move(conv.id, conv, this.account.uri, 'read', messageId, now)) return false
    this.syncTo(conv.id)
    const members = activeMembers(conv)
    if (!this.account.store.settings.value.sendReadReceipt || members.length > GROUP_RECEIPT_LIMIT) return true
    const frame: Frame = { t: DISPLAYED, conversationId: conv.id, messageId, ts: now }
    for (const uri of members) if (uri !== this.account.uri) this.net?.sendToAccount(uri, `displayed:${conv.id}`, frame)
    return true
  }

  /**
   * Moves one pointer forward (never back: a commit that is the pointer's ancestor, or older
   * in the history's order, leaves it); emits accountMessageStatusChanged when it moved.
   */
  private move(conversationId: string, conv: Conversation | undefined, uri: string, which: 'fetched' | 'read', commit: string, ts: number): boolean {
    const file = this.file(conversationId)
    const entry = (file.value[uri] ??= {})
    const current = entry[which]
    if (current === commit || !isForward(conv, current, entry[`${which}Ts`], commit, ts)) return false
    entry[which] = commit
    entry[`${which}Ts`] = ts
    // Displayed implies fetched.
    if (which === 'read' && isForward(conv, entry.fetched, entry.fetchedTs, commit, ts)) ((entry.fetched = commit), (entry.fetchedTs = ts))
    this.save(conversationId, which === 'read')
    this.account.emit('accountMessageStatusChanged', conversationId, uri, commit, which === 'read' ? MessageStatus.displayed : MessageStatus.sent)
    return true
  }

  private onDisplayed(p: VerifiedPeer, f: Frame): void {
    const conversationId = f['conversationId']
    const messageId = f['messageId']
    const ts = take.number(f['ts']) ?? Date.now()
    if (!isId(conversationId) || !isId(messageId) || !this.account.store.settings.value.sendReadReceipt) return
    const conv = this.account.openConversation(conversationId)
    if (!conv) return
    const members = activeMembers(conv)
    if (!members.includes(p.accountUri) || members.length > GROUP_RECEIPT_LIMIT) return
    this.move(conv.id, conv, p.accountUri, 'read', messageId, Math.min(ts, Date.now()))
  }

  private onFetched(p: VerifiedPeer, conversationId: string, commits: string[]): void {
    if (p.accountUri === this.account.uri) return
    const conv = this.account.openConversation(conversationId)
    if (!conv) return
    const role = conv.roleOf(p.accountUri)
    if (role !== 'member' && role !== 'admin' && role !== 'invited') return
    const history = conv.history()
    // The newest of what it has: the first in the history's order (newest first).
    const known = commits.filter((c) => history.has(c))
    if (known.length === 0) return
    const newest = known.length === 1 ? known[0]! : history.all().find((e) => known.includes(e.id))!.id
    this.move(conv.id, conv, p.accountUri, 'fetched', newest, Date.now())
  }

  /** Our pointers for a conversation to own devices (one, or all connected). */
  private syncTo(conversationId: string, toxPk?: string): void {
    const statuses = this.file(conversationId).value
    if (Object.keys(statuses).length === 0 || !this.net) return
    const frame: Frame = { t: STATUS_SYNC, conversationId, statuses }
    const targets = toxPk ? [toxPk] : Object.values(this.account.store.devices.value).map((d) => d.toxPk)
    for (const pk of targets) this.net.node.sendSync(pk, frame)
  }

  private onSync(f: Frame): void {
    const conversationId = f['conversationId']
    if (!isId(conversationId)) return
    const conv = this.account.openConversation(conversationId)
    for (const [uri, raw] of Object.entries(take.record(f['statuses']) ?? {})) {
      const s = take.record(raw)
      if (!isId(uri) || !s) continue
      for (const which of ['fetched', 'read'] as const) {
        const commit = s[which]
        const ts = take.number(s[`${which}Ts`])
        if (isId(commit) && ts !== undefined) this.move(conversationId, conv, uri, which, commit, ts)
      }
    }
  }

  /**
   * Each message with the status of each member for it: 3 when its read pointer is the message
   * or newer (in the history's order), 2 when its fetched pointer is, 3 for the author.
   */
  withStatus<M extends { id: string; author: string }>(conv: Conversation, messages: M[]): Array<M & { status: Record<string, MessageStatusCode> }> {
    const order = new Map(conv.history().all().map((e, i) => [e.id, i]))
    const pointers = Object.entries(this.file(conv.id).value)
    return messages.map((m) => {
      const at = order.get(m.id)
      const reached = (pointer: string | undefined) => pointer !== undefined && at !== undefined && order.has(pointer) && order.get(pointer)! <= at
      const status: Record<string, MessageStatusCode> = {}
      for (const [uri, p] of pointers) {
        if (reached(p.read)) status[uri] = MessageStatus.displayed
        else if (reached(p.fetched)) status[uri] = MessageStatus.sent
      }
      if (m.author) status[m.author] = MessageStatus.displayed
      return { ...m, status }
    })
  }

}

/** Whether moving a pointer from `current` to `next` goes forward in the conversation's history. */
function isForward(conv: Conversation | undefined, current: string | undefined, currentTs: number | undefined, next: string, nextTs: number): boolean {
  if (current === undefined) return true
  if (current === next) return false
  const view = conv?.view
  if (view && view.hasCommit(current) && view.hasCommit(next)) {
    if (view.isAncestor(next, current)) return false
    if (view.isAncestor(current, next)) return true
    // Concurrent: the one placed newer in the history's order.
    const history = conv!.history()
    for (const e of history.all()) {
      if (e.id === next) return true
      if (e.id === current) return false
    }
  }
  // One of them is not here yet: the newer report wins.
  return nextTs > (currentTs ?? 0)
}
