/**
 * The typed events an Account emits, named after Jami's ConversationSignal and contact
 * signals (reference jami-swarm.md §7.2, §7.3), and the mapping from new commits to them.
 * @module
 */
import type { EventEmitter } from 'node:events'
import type { ProtocolError } from '../errors.js'
import type { PeerInfo } from './swarm-node.js'
import type { Conversation } from '../swarm/conversation.js'
import { bodyOf, type SwarmMessage } from '../swarm/history-view.js'
import type { ConversationProfile } from '../swarm/profile.js'
import { field, parseCommitMessage } from '../validation/commit-message.js'

/** What a membership commit does. */
export type MemberAction = 'add' | 'join' | 'remove' | 'ban' | 'unban'

/** Jami's OnConversationError codes, by name. */
export type ConversationErrorCode = 'fetch' | 'invalid-mode' | 'invalid-fetch' | 'unauthorized' | 'commit' | 'unrecoverable'

/** An error about a conversation (Jami's OnConversationError). */
export interface ConversationError {
  code: ConversationErrorCode
  /** What happened, for people. */
  what: string
  /** The device the bad data came from, if any. */
  peer?: string
  /** The rule that rejected a commit, for invalid fetches. */
  rule?: string
  commit?: string
}

/** One step of a file transfer (Jami's DataTransferEvent, with the codes by name). */
export interface DataTransferEvent {
  /** created, ongoing (bytes so far), waiting (no holder online), finished, cancelled, error. */
  code: 'created' | 'ongoing' | 'waiting' | 'finished' | 'cancelled' | 'error'
  bytes: number
  total: number
  /** The destination (downloads) or the hosted copy (files sent). */
  path: string
  /** For `ongoing` and `finished` downloads: bytes of the file so far (all of it, when finished) that each holder's device served in this run. */
  sources?: Record<string, number>
  /** For `error`: the typed error (ERR_DISK_FULL, ERR_INTEGRITY…) as JSON. */
  error?: { name: string; code: string; message: string; data: Record<string, unknown> }
}

/** The events of an Account, with their arguments. */
export interface AccountEvents {
  /** A conversation was created here or cloned, and can be used (Jami's ConversationReady). */
  conversationReady: [conversationId: string]
  /** An invitation to a conversation arrived (ConversationRequestReceived). */
  conversationRequestReceived: [conversationId: string, metadatas: Record<string, string>]
  /** A request was declined here or on another device of the account. */
  conversationRequestDeclined: [conversationId: string]
  /** A conversation was removed here or on another device of the account. */
  conversationRemoved: [conversationId: string]
  /** A new message to display: received, or written here (as Jami, own messages too). */
  swarmMessageReceived: [conversationId: string, message: SwarmMessage]
  /** A message was edited or deleted: its new state. */
  swarmMessageUpdated: [conversationId: string, message: SwarmMessage]
  reactionAdded: [conversationId: string, messageId: string, reaction: { id: string; author: string; emoji: string }]
  reactionRemoved: [conversationId: string, messageId: string, reactionId: string]
  /** A membership commit: add, join, remove (leave), ban, unban. */
  conversationMemberEvent: [conversationId: string, memberUri: string, action: MemberAction]
  conversationProfileUpdated: [conversationId: string, profile: ConversationProfile]
  conversationPreferencesUpdated: [conversationId: string, preferences: Record<string, string>]
  /** No fetch is in flight any more. */
  conversationSyncFinished: []
  /** A fetch or clone was refused, or an operation failed (Jami's OnConversationError). */
  onConversationError: [conversationId: string, error: ConversationError]
  /** A contact was added (confirmed: both sides agreed). */
  contactAdded: [uri: string, confirmed: boolean]
  contactRemoved: [uri: string, banned: boolean]
  /** Someone asked to become a contact (a Tox friend request carrying its account). */
  trustRequestReceived: [from: string, details: { toxPk: string; name: string; received: number }]
  /** A device of this account was linked and verified. */
  deviceAdded: [deviceId: string, name: string]
  /** A file sent or downloaded moved on (Jami's DataTransferEvent). */
  dataTransferEvent: [conversationId: string, interactionId: string, fileId: string, event: DataTransferEvent]
  /** A holder served bytes that do not match the announcement: it is dropped from that download. */
  fileHolderRejected: [conversationId: string, fileId: string, deviceId: string, reason: string]
  /** A peer sent something refused: garbage, an oversized frame, a bad hello, a flood. */
  peerError: [error: ProtocolError]
  /** A connected device is now reached another way (a new address; `path` says which kind). */
  peerPathChanged: [peer: PeerInfo]
  /**
   * A member's status for a message moved up (Jami's AccountMessageStatusChanged): 2 sent (one
   * of its devices fetched it), 3 displayed. Older messages inherit it.
   */
  accountMessageStatusChanged: [conversationId: string, peerUri: string, messageId: string, status: number]
  /** A member started or stopped typing (Jami's ComposingStatusChanged); true expires after 12 s unless renewed. */
  composingStatusChanged: [conversationId: string, peerUri: string, composing: boolean]
  /** An account's presence changed (0 disconnected, 1 available on the network, 2 connected), over all its devices. */
  presenceChanged: [uri: string, status: number]
  /** A contact's profile (or, from an own device, this account's) arrived or changed: read it with getProfile(uri). */
  profileReceived: [uri: string]
  /** The account's device list changed (a device linked or revoked): every device id with its name. */
  knownDevicesChanged: [devices: Record<string, string>]
  /** A revocation made here was published (status 0), or failed: the code of the error. */
  deviceRevocationEnded: [deviceId: string, status: number]
  /** This device was revoked by the account: it stops syncing (the account stops). */
  deviceRevoked: [deviceId: string]
}

/** Anything that emits the account's events (the Account, or a context standing for it). */
export interface AccountEmitter {
  emit<K extends keyof AccountEvents>(event: K, ...args: AccountEvents[K]): boolean
}

/** Emits the events for commits just taken into `conv` (written here or fetched), in order. */
export function emitCommitEvents(target: AccountEmitter, conv: Conversation, ids: readonly string[]): void {
  const convId = conv.id
  const emit = target.emit.bind(target)
  for (const id of ids) {
    const commit = conv.view.commit(id)
    if (commit.fields.parents.length > 1) continue
    const parsed = parseCommitMessage(commit.fields.message)
    const msg = parsed.ok ? parsed.value : {}
    const type = field(msg, 'type')
    if (type === 'member') emit('conversationMemberEvent', convId, field(msg, 'uri'), field(msg, 'action') as MemberAction)
    const edited = field(msg, 'edit')
    const reactTo = field(msg, 'react-to')
    if (edited) {
      const target = safeMessage(conv, edited)
      const original = parseCommitMessage(conv.view.commit(edited).fields.message)
      const targetReactsTo = original.ok ? field(original.value, 'react-to') : ''
      if (targetReactsTo && field(msg, 'body') === '') emit('reactionRemoved', convId, targetReactsTo, edited)
      else if (target) emit('swarmMessageUpdated', convId, target)
      continue
    }
    if (reactTo) {
      emit('reactionAdded', convId, reactTo, { id, author: conv.history().get(id)?.uri ?? '', emoji: field(msg, 'body') })
      continue
    }
    // As Jami: the message as its own commit has it; later edits and reactions follow as events.
    const message = safeMessage(conv, id)
    if (message) emit('swarmMessageReceived', convId, { ...message, body: bodyOf(conv, id), editions: [], reactions: [], latestEditionId: undefined })
  }
}

function safeMessage(conv: Conversation, id: string): SwarmMessage | undefined {
  try {
    return conv.getMessage(id)
  } catch {
    return undefined
  }
}

/**
 * The arguments of the first `event` on `target` for which `match` holds (any, without it);
 * rejects after `timeoutMs`. For scripts, demos and tests that wait on an account.
 */
export function nextEvent<K extends keyof AccountEvents>(target: EventEmitter<AccountEvents> & { displayName?: string }, event: K, match: (...args: AccountEvents[K]) => boolean = () => true, timeoutMs = 20_000): Promise<AccountEvents[K]> {
  return new Promise((resolve, reject) => {
    const handler = (...args: AccountEvents[K]) => {
      if (!match(...args)) return
      clearTimeout(timer)
      target.off(event, handler as never)
      resolve(args)
    }
    const timer = setTimeout(() => {
      target.off(event, handler as never)
      reject(new Error(`no ${String(event)} on ${target.displayName ?? 'the account'} within ${timeoutMs} ms`))
    }, timeoutMs)
    target.on(event, handler as never)
  })
}
