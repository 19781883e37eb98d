/**
 * The commit messages Jami writes, one builder per kind, following CommitMessage::toJson's
 * emission rules (reference §3): `totalSize` and `duration` as decimal strings, `mode` as an
 * integer, empty optional fields left out.
 * @module
 */
import type { CommitMessage } from '../validation/commit-message.js'

export const MIME = {
  text: 'text/plain',
  editedLegacy: 'application/edited-message',
  member: 'member',
  vote: 'vote',
  updateProfile: 'application/update-profile',
  dataTransfer: 'application/data-transfer+json',
  callHistory: 'application/call-history+json',
} as const

function withOptional(base: CommitMessage, optional: Record<string, string | undefined>): CommitMessage {
  for (const [k, v] of Object.entries(optional)) if (v) base[k] = v
  return base
}

export function initialMessage(mode: number, invited?: string): CommitMessage {
  return withOptional({ mode, type: 'initial' }, { invited })
}

export function textMessage(body: string, replyTo?: string): CommitMessage {
  return withOptional({ body, type: MIME.text }, { 'reply-to': replyTo })
}

/** An edit of `target` (the original message id, even for re-edits); '' deletes it. */
export function editMessage(body: string, target: string): CommitMessage {
  return { body, edit: target, type: MIME.text }
}

export function reactionMessage(emoji: string, target: string): CommitMessage {
  return { body: emoji, 'react-to': target, type: MIME.text }
}

export type MemberAction = 'add' | 'join' | 'remove' | 'ban' | 'unban'

export function memberMessage(action: MemberAction, uri: string): CommitMessage {
  return { action, type: MIME.member, uri }
}

export function voteMessage(uri: string): CommitMessage {
  return { type: MIME.vote, uri }
}

export function updateProfileMessage(): CommitMessage {
  return { type: MIME.updateProfile }
}

export interface FileAnnouncement {
  displayName: string
  /** Lower-case hex SHA3-512 of the content. */
  sha3sum: string
  /** Decimal, non-zero 64-bit transfer id. */
  tid: string
  totalSize: number
  replyTo?: string
}

export function dataTransferMessage(file: FileAnnouncement): CommitMessage {
  return withOptional(
    { displayName: file.displayName, sha3sum: file.sha3sum, tid: file.tid, totalSize: String(file.totalSize), type: MIME.dataTransfer },
    { 'reply-to': file.replyTo },
  )
}

export function fileDeletedMessage(target: string): CommitMessage {
  return { edit: target, tid: '', type: MIME.dataTransfer }
}

export interface CallHistory {
  /** 1:1 call: the peer's URI. */
  to?: string
  /** Duration in milliseconds (absent for a group call start). */
  duration?: number
  reason?: string
  /** Group call hosting: conference id, host device and host URI. */
  confId?: string
  device?: string
  uri?: string
}

export function callHistoryMessage(call: CallHistory): CommitMessage {
  return withOptional(
    { type: MIME.callHistory },
    {
      confId: call.confId,
      device: call.device,
      duration: call.duration === undefined ? undefined : String(call.duration),
      reason: call.reason,
      to: call.to,
      uri: call.uri,
    },
  )
}
