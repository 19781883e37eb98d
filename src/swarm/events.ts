/**
 * The typed events a Conversation emits, named after Jami's signals (reference §7.2).
 * @module
 */
import type { SwarmMessage } from './history-view.js'
import type { ConversationProfile } from './profile.js'
import type { RepackReport } from '../git/repack.js'

export interface MemberEvent {
  /** The account (or device, for device bans) concerned. */
  uri: string
  action: 'add' | 'join' | 'remove' | 'ban' | 'unban'
  commit: string
}

export interface ConversationErrorEvent {
  /** What failed: a rejected fetch, a merge that could not be made, a transport problem. */
  code: 'invalid-fetch' | 'merge-conflict' | 'limit-exceeded' | 'fetch-failed' | 'repack-failed'
  /** The device the data came from. */
  peer: string
  /** The rejected commit, for invalid fetches. */
  commit?: string
  /** The rule id, for invalid fetches. */
  rule?: string
  reason: string
}

export interface SyncFinishedEvent {
  peer: string
  /** New valid commits taken from the peer. */
  commits: number
  /** How they were taken in ('held': shown, and kept beside `main` to be merged later, see held-heads.ts). */
  result: 'up-to-date' | 'fast-forward' | 'merged' | 'held' | 'rejected' | 'kept-in-quarantine'
  head: string
}

export interface ConversationEvents {
  /** Commits taken in from a peer (fast-forward or merge), parents first, before the other events. */
  commitsAdded: [ids: string[]]
  /** A new displayable commit arrived (fetched, not written here). */
  messageReceived: [message: SwarmMessage]
  memberEvent: [event: MemberEvent]
  profileUpdated: [profile: ConversationProfile]
  conversationError: [error: ConversationErrorEvent]
  syncFinished: [event: SyncFinishedEvent]
  /** An automatic repack ran (the autoRepack option). */
  repacked: [report: RepackReport]
}
