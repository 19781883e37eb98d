/**
 * Typing notifications as Jami's typers (reference jami-swarm.md §5.6): setIsComposing tells
 * the connected devices of every member (only worth sending now: nothing is queued); the state
 * is dropped after COMPOSING_TIMEOUT_MS unless renewed — on the sender, which then tells
 * members it stopped, and on each receiver, in case that word is lost. A member removed or
 * banned stops typing. The `sendComposing` setting off: nothing is sent.
 * @module
 */
import { NotFoundError } from '../errors.js'
import type { AccountContext, NetworkPort } from './context.js'
import { take, type Frame } from './frames.js'
import type { VerifiedPeer } from './hello.js'
import { activeMembers } from './peers.js'

/** How long a typing state lasts without renewal (Jami's 12 s). */
export const COMPOSING_TIMEOUT_MS = 12_000

/** Jami sends `application/im-iscomposing+xml`; the same facts here as JSON. */
export const COMPOSING = 'application/x-gitswarm-composing'

export class Typers {
  /** Who types where, seen here: `<conversation> <uri>` → its expiry timer. */
  private readonly remote = new Map<string, NodeJS.Timeout>()
  /** Our own typing, per conversation → the timer that ends it. */
  private readonly own = new Map<string, NodeJS.Timeout>()
  private net: NetworkPort | undefined

  constructor(
    private readonly account: AccountContext,
    private readonly timeoutMs = COMPOSING_TIMEOUT_MS,
  ) {}

  /** A membership commit: a member removed or banned stops typing. */
  memberChanged(conversationId: string, uri: string, action: string): void {
    if (action === 'remove' || action === 'ban') this.clear(conversationId, uri)
  }

  attach(net: NetworkPort): void {
    this.net = net
    net.handle(COMPOSING, (p, f) => this.onComposing(p, f))
  }

  /** Drops every state and timer (the account stops). */
  detach(): void {
    for (const key of [...this.remote.keys()]) this.clear(...(key.split(' ') as [string, string]))
    for (const t of this.own.values()) clearTimeout(t)
    this.own.clear()
    this.net = undefined
  }

  /** Tells the members' connected devices that this account is (or stopped) typing in a conversation. */
  setIsComposing(conversationId: string, composing: boolean): void {
    const conv = this.account.conversation(conversationId)
    clearTimeout(this.own.get(conv.id))
    this.own.delete(conv.id)
    if (composing) {
      const timer = setTimeout(() => this.setIsComposing(conv.id, false), this.timeoutMs)
      timer.unref()
      this.own.set(conv.id, timer)
    }
    if (!this.account.store.settings.value.sendComposing || !this.net) return
    const frame: Frame = { t: COMPOSING, conversationId: conv.id, composing }
    for (const uri of activeMembers(conv)) if (uri !== this.account.uri) this.net.sendToConnected(uri, frame)
  }

  /** Members typing in a conversation now. */
  composing(conversationId: string): string[] {
    if (!this.account.store.conversations.value[conversationId]) throw new NotFoundError(`conversation ${conversationId}`)
    return [...this.remote.keys()].filter((k) => k.startsWith(`${conversationId} `)).map((k) => k.slice(41))
  }

  private onComposing(p: VerifiedPeer, f: Frame): void {
    const conversationId = take.hex(f['conversationId'], 40)
    if (!conversationId || typeof f['composing'] !== 'boolean') return
    const conv = this.account.openConversation(conversationId)
    if (!conv || !activeMembers(conv).includes(p.accountUri)) return
    if (!f['composing']) return this.clear(conversationId, p.accountUri)
    const key = `${conversationId} ${p.accountUri}`
    const wasTyping = this.remote.has(key)
    clearTimeout(this.remote.get(key))
    const timer = setTimeout(() => this.clear(conversationId, p.accountUri), this.timeoutMs)
    timer.unref()
    this.remote.set(key, timer)
    if (!wasTyping) this.account.emit('composingStatusChanged', conversationId, p.accountUri, true)
  }

  private clear(conversationId: string, uri: string): void {
    const key = `${conversationId} ${uri}`
    const timer = this.remote.get(key)
    if (!timer) return
    clearTimeout(timer)
    this.remote.delete(key)
    this.account.emit('composingStatusChanged', conversationId, uri, false)
  }
}
