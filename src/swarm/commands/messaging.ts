/**
 * Messages: text, replies, edits, deletions, reactions, file announcements and call
 * history — with the local checks Jami makes before producing them (reference §4.17):
 * only your own messages are edited, referenced messages must exist.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { InvalidArgumentError, InvalidStateError, NotFoundError, UnauthorizedError } from '../../errors.js'
import { isOid } from '../../git/object-codec.js'
import { field, parseCommitMessage } from '../../validation/commit-message.js'
import type { Conversation } from '../conversation.js'
import {
  callHistoryMessage,
  dataTransferMessage,
  editMessage as editBody,
  fileDeletedMessage,
  MIME,
  reactionMessage,
  textMessage,
  type CallHistory,
  type FileAnnouncement,
} from '../messages.js'

interface Target {
  id: string
  uri: string
  type: string
  message: Record<string, unknown>
}

/** A commit of this conversation's history, with its author and parsed message. */
function target(conv: Conversation, id: string, what: string): Target {
  if (!isOid(id)) throw new InvalidArgumentError(`${what} must be a commit id`, { id })
  const entry = conv.history().get(id)
  if (!entry) throw new NotFoundError(`message ${id} in conversation ${conv.id}`, { id })
  const parsed = parseCommitMessage(conv.view.commit(id).fields.message)
  return { id, uri: entry.uri, type: entry.type, message: parsed.ok ? parsed.value : {} }
}

function ownTarget(conv: Conversation, id: string, action: string): Target {
  const t = target(conv, id, 'the edited message')
  const me = conv.requireIdentity().uri
  if (t.uri !== me) throw new UnauthorizedError(action, `message ${id} was written by ${t.uri}`)
  return t
}

function nonEmpty(value: string, what: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`)
}

export function sendMessage(conv: Conversation, body: string, options: { replyTo?: string } = {}): string {
  nonEmpty(body, 'a message body')
  let replyTo = options.replyTo
  if (replyTo !== undefined) {
    const t = target(conv, replyTo, 'reply-to')
    // Replies point at the original, never at an edit (reference §3).
    replyTo = field(t.message, 'edit') || t.id
  }
  return conv.commit(textMessage(body, replyTo))
}

/** Replaces the body of one of your text messages (the original id, even for re-edits). */
export function editMessage(conv: Conversation, id: string, body: string): string {
  nonEmpty(body, 'the new body (use deleteMessage to delete)')
  const t = ownTarget(conv, id, 'edit this message')
  const original = field(t.message, 'edit') || t.id
  const o = original === t.id ? t : ownTarget(conv, original, 'edit this message')
  if (o.type !== MIME.text && o.type !== MIME.editedLegacy) throw new InvalidStateError('edit', `message ${original} is a ${o.type}`)
  if (field(o.message, 'react-to')) throw new InvalidStateError('edit', `${original} is a reaction; use removeReaction`)
  return conv.commit(editBody(body, original))
}

/** Deletes one of your messages (an edit with an empty body); files use deleteFile. */
export function deleteMessage(conv: Conversation, id: string): string {
  const t = ownTarget(conv, id, 'delete this message')
  if (t.type === MIME.dataTransfer) return deleteFile(conv, id)
  const original = field(t.message, 'edit') || t.id
  return conv.commit(editBody('', original))
}

export function addReaction(conv: Conversation, id: string, emoji: string): string {
  nonEmpty(emoji, 'a reaction')
  const t = target(conv, id, 'the message reacted to')
  return conv.commit(reactionMessage(emoji, field(t.message, 'edit') || t.id))
}

/** Removes one of your reactions (an empty edit of the reaction commit). */
export function removeReaction(conv: Conversation, reactionId: string): string {
  const t = ownTarget(conv, reactionId, 'remove this reaction')
  if (!field(t.message, 'react-to')) throw new InvalidStateError('remove a reaction', `${reactionId} is not a reaction`)
  return conv.commit(editBody('', reactionId))
}

/** A random non-zero 64-bit transfer id in decimal, as Jami's `tid`. */
export function newTransferId(): string {
  let v = 0n
  while (v === 0n) v = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn
  return v.toString()
}

/** Announces a file (the bytes never enter git); returns the commit id. */
export function announceFile(conv: Conversation, file: Omit<FileAnnouncement, 'tid'> & { tid?: string }): string {
  nonEmpty(file.displayName, 'displayName')
  if (!/^[0-9a-f]{128}$/.test(file.sha3sum)) throw new InvalidArgumentError('sha3sum must be 128 lower-case hex digits (SHA3-512)')
  if (!Number.isSafeInteger(file.totalSize) || file.totalSize < 0) throw new InvalidArgumentError('totalSize must be a non-negative integer')
  const tid = file.tid ?? newTransferId()
  if (!/^[1-9][0-9]{0,19}$/.test(tid)) throw new InvalidArgumentError('tid must be a non-zero decimal integer')
  let replyTo = file.replyTo
  if (replyTo !== undefined) replyTo = target(conv, replyTo, 'reply-to').id
  return conv.commit(dataTransferMessage({ ...file, tid, replyTo }))
}

export function deleteFile(conv: Conversation, id: string): string {
  const t = ownTarget(conv, id, 'delete this file')
  if (t.type !== MIME.dataTransfer || field(t.message, 'tid') === '') throw new InvalidStateError('delete a file', `${id} is not a file announcement`)
  return conv.commit(fileDeletedMessage(id))
}

export function recordCall(conv: Conversation, call: CallHistory): string {
  if (call.duration !== undefined && (!Number.isSafeInteger(call.duration) || call.duration < 0)) {
    throw new InvalidArgumentError('duration must be a non-negative number of milliseconds')
  }
  return conv.commit(callHistoryMessage(call))
}
