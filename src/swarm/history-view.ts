/**
 * What a chat shows (reference §4.15 H3–H5): messages newest first, merges hidden, edits
 * folded into their target (`editions`, `latestEditionId`), reactions attached, deletions
 * clearing reactions, `linearizedParent` linking each message to the previous shown one;
 * paging from a message, counting, and search by text, author, type and date.
 * @module
 */
import { InvalidArgumentError, NotFoundError } from '../errors.js'
import { parseCommitMessage } from '../validation/commit-message.js'
import type { Conversation } from './conversation.js'
import type { IndexEntry } from './history-index.js'
import { MIME } from './messages.js'

/** A reaction to a message. */
export interface Reaction {
  id: string
  author: string
  emoji: string
}

/** An earlier version of an edited message. */
export interface Edition {
  id: string
  body: Record<string, string>
}

/** A message as apps show it (Jami's SwarmMessage): the commit's fields, with edits and reactions folded in. */
export interface SwarmMessage {
  id: string
  type: string
  /** Author account URI. */
  author: string
  deviceId: string
  /** Commit time, Unix seconds. */
  timestamp: number
  parents: string[]
  /** The previous displayed message (next older), '' for the oldest. */
  linearizedParent: string
  /** Message fields except `type`, as strings (`mode` included for the initial commit). */
  body: Record<string, string>
  reactions: Reaction[]
  /** Earlier versions, newest first, ending with the original. */
  editions: Edition[]
  latestEditionId?: string
  /** `<commit>_<tid>[.<ext>]` for file announcements. */
  fileId?: string
  /** Per member account: 2 sent (fetched), 3 displayed (Jami's MessageStates); set by Account.loadConversation. */
  status?: Record<string, number>
}

/** A commit's message fields except `type`, as strings (what SwarmMessage.body holds). */
export function bodyOf(conv: Conversation, id: string): Record<string, string> {
  const parsed = parseCommitMessage(conv.view.commit(id).fields.message)
  const out: Record<string, string> = {}
  if (!parsed.ok) return out
  for (const [k, v] of Object.entries(parsed.value)) if (k !== 'type') out[k] = typeof v === 'string' ? v : String(v)
  return out
}

function fileIdOf(id: string, body: Record<string, string>): string | undefined {
  if (!body['tid']) return ''
  // Only extensions that are safe in a file name and a channel name (Jami keeps any).
  const ext = /\.([0-9A-Za-z_-]{1,32})$/.exec(body['displayName'] ?? '')?.[1]
  return `${id}_${body['tid']}${ext ? '.' + ext : ''}`
}

/** Folds edits and reactions (already seen, being newer) into the message at `entry`. */
class Folder {
  private readonly edits = new Map<string, IndexEntry[]>()
  private readonly reactions = new Map<string, IndexEntry[]>()

  constructor(private readonly conv: Conversation) {}

  /** Returns the message for a displayable entry, or undefined for folded/hidden ones. */
  visit(entry: IndexEntry): SwarmMessage | undefined {
    if (entry.kind === 'merge') return undefined
    if (entry.kind === 'edit') {
      push(this.edits, entry.target, entry)
      return undefined
    }
    if (entry.kind === 'reaction') {
      push(this.reactions, entry.target, entry)
      return undefined
    }
    const original = bodyOf(this.conv, entry.id)
    const msg: SwarmMessage = {
      id: entry.id,
      type: entry.type,
      author: entry.uri,
      deviceId: entry.deviceId,
      timestamp: entry.time,
      parents: [...entry.parents],
      linearizedParent: '',
      body: original,
      reactions: [],
      editions: [],
    }
    const edits = (this.edits.get(entry.id) ?? []).filter((e) => e.uri === entry.uri)
    if (edits.length > 0) {
      const versions = edits.map((e) => ({ id: e.id, body: bodyOf(this.conv, e.id) }))
      const latest = versions[0]!
      msg.latestEditionId = latest.id
      msg.editions = [...versions.slice(1), { id: entry.id, body: original }]
      msg.body = entry.type === MIME.dataTransfer ? { ...original, tid: latest.body['tid'] ?? '' } : { ...original, body: latest.body['body'] ?? '' }
    }
    const deleted = edits.length > 0 && (msg.body['body'] === '' || (entry.type === MIME.dataTransfer && !msg.body['tid']))
    if (!deleted) msg.reactions = this.liveReactions(entry.id)
    if (entry.type === MIME.dataTransfer) msg.fileId = fileIdOf(entry.id, msg.body)
    return msg
  }

  /** Reactions to `id` that were not removed by their own author. */
  private liveReactions(id: string): Reaction[] {
    const out: Reaction[] = []
    for (const r of this.reactions.get(id) ?? []) {
      const removal = (this.edits.get(r.id) ?? []).find((e) => e.uri === r.uri)
      if (removal && (bodyOf(this.conv, removal.id)['body'] ?? '') === '') continue
      out.push({ id: r.id, author: r.uri, emoji: bodyOf(this.conv, r.id)['body'] ?? '' })
    }
    return out.reverse()
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** Which messages loadMessages returns. */
export interface LoadOptions {
  /** Newest message to start at (inclusive); default the newest. */
  from?: string
  /** How many messages; 0 = all (default 50). */
  n?: number
  /** Stop after this message (inclusive), like Jami's loadSwarmUntil. */
  until?: string
}

/**
 * Messages newest first (H5): up to `n` from `from`, continuing past `n` until every
 * `reply-to` target seen is loaded too. Only the index tail is read for the newest messages.
 */
export function loadMessages(conv: Conversation, options: LoadOptions = {}): SwarmMessage[] {
  const n = options.n ?? 50
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('n must be a non-negative integer')
  const index = conv.history()
  // Edits and reactions are newer than their targets, so a generous tail usually suffices.
  const tail = options.from === undefined && options.until === undefined && n > 0 ? index.newest(n * 4 + 64) : undefined
  const result = walk(conv, tail ?? index.all(), options, n)
  if (tail && !result.complete && tail.length < index.size) return walk(conv, index.all(), options, n).messages
  return result.messages
}

function walk(conv: Conversation, entries: IndexEntry[], options: LoadOptions, n: number): { messages: SwarmMessage[]; complete: boolean } {
  const folder = new Folder(conv)
  const out: SwarmMessage[] = []
  const wantedReplies = new Set<string>()
  let started = options.from === undefined
  let complete = false
  if (options.from !== undefined && !entries.some((e) => e.id === options.from)) {
    throw new NotFoundError(`message ${options.from} in conversation ${conv.id}`)
  }
  let i = 0
  for (; i < entries.length; i++) {
    const entry = entries[i]!
    if (!started && entry.id === options.from) started = true
    const msg = folder.visit(entry)
    if (!msg || !started) continue
    if (out.length > 0) out[out.length - 1]!.linearizedParent = msg.id
    // Past n, keep going only while a loaded message replies to one not loaded yet.
    if (n > 0 && out.length >= n && wantedReplies.size === 0) {
      complete = true
      break
    }
    out.push(msg)
    wantedReplies.delete(msg.id)
    const replyTo = msg.body['reply-to']
    if (replyTo && !out.some((m) => m.id === replyTo)) wantedReplies.add(replyTo)
    if (options.until !== undefined && msg.id === options.until) {
      complete = true
      break
    }
  }
  if (i >= entries.length) complete = entries.length > 0 && entries[entries.length - 1]!.parents.length === 0
  return { messages: out, complete }
}

/** One message as displayed (edits and reactions folded in). */
export function getMessage(conv: Conversation, id: string): SwarmMessage {
  const msg = loadMessages(conv, { from: id, n: 1 })[0]
  if (!msg || msg.id !== id) throw new NotFoundError(`message ${id} in conversation ${conv.id}`)
  return msg
}

/** What searchMessages looks for. */
export interface SearchOptions {
  /** Regular expression (source) over message text and file names. */
  regex?: string
  caseSensitive?: boolean
  /** Author account URI. */
  author?: string
  /** Message type, e.g. text/plain. */
  type?: string
  /** Unix seconds, inclusive bounds. */
  after?: number
  before?: number
  /** At most this many results (default all). */
  max?: number
}

export function searchMessages(conv: Conversation, options: SearchOptions = {}): SwarmMessage[] {
  let re: RegExp | undefined
  if (options.regex !== undefined) {
    try {
      re = new RegExp(options.regex, options.caseSensitive ? 'u' : 'iu')
    } catch (err) {
      throw new InvalidArgumentError(`bad regular expression: ${(err as Error).message}`)
    }
  }
  const out: SwarmMessage[] = []
  for (const msg of loadMessages(conv, { n: 0 })) {
    if (options.author && msg.author !== options.author) continue
    if (options.type && msg.type !== options.type) continue
    if (options.after !== undefined && msg.timestamp < options.after) continue
    if (options.before !== undefined && msg.timestamp > options.before) continue
    if (re && !re.test(msg.body['body'] ?? '') && !re.test(msg.body['displayName'] ?? '')) continue
    out.push(msg)
    if (options.max !== undefined && out.length >= options.max) break
  }
  return out
}

/** Displayed messages newer than `since` (exclusive), or all; optionally by one author. */
export function countMessages(conv: Conversation, options: { since?: string; author?: string; untilAuthor?: string } = {}): number {
  let count = 0
  for (const entry of conv.history().all()) {
    if (entry.id === options.since) break
    if (entry.kind !== 'message') continue
    // Jami's authorUri: what came after this author last wrote (an unread count).
    if (options.untilAuthor && entry.uri === options.untilAuthor) break
    if (options.author && entry.uri !== options.author) continue
    count++
  }
  return count
}
