/**
 * Synchronising a conversation with a peer device (reference §4.13–4.15, §5):
 * fetch its `main` over any duplex stream into quarantine (`refs/remotes/<device>/main`),
 * check tree limits, validate the new commits oldest → newest (the first bad one rejects the
 * batch and is reported with the peer, the commit and the rule), then fast-forward, or write
 * a signed merge commit. Serving is upload-pack over the same kind of stream.
 * @module
 */
import type { Duplex } from 'node:stream'
import { tracer } from '../util/trace.js'
import { CorruptObjectError, InvalidArgumentError, LimitExceededError, NotFoundError } from '../errors.js'
import type { GraphNode } from '../git/commit-queue.js'
import { fetchPack, type FetchLimits } from '../git/fetch-pack.js'
import { checkTreeLimits, type TreeLimits } from '../git/tree-limits.js'
import { serveUploadPack, type ServedFetch } from '../git/upload-pack.js'
import { isDeviceId } from '../identity/ids.js'
import { validateBatch, type SignatureVerifier } from '../validation/batch.js'
import { field, parseCommitMessage } from '../validation/commit-message.js'
import type { Rejection } from '../validation/verdict.js'
import type { Conversation } from './conversation.js'
import type { SyncFinishedEvent } from './events.js'
import { HELD_PREFIX } from './held-heads.js'
import { takeIn } from './take-in.js'
import { dateOrder } from './order.js'
import { brokenOnPurpose, faultPoint } from '../util/fault-points.js'

export interface SyncOptions {
  /** Limits on what the peer may send (pack bytes, objects, sizes, tree depth, paths). */
  fetchLimits?: Partial<FetchLimits & TreeLimits>
  /** Signature verifier for large batches (default: inline). */
  verifier?: SignatureVerifier
  timeoutMs?: number
  /**
   * Open with Jami's request line (`git-upload-pack /<conversation>\0host=<peer>\0`), as a
   * Jami GitServer expects on a `git://` channel; plain git upload-pack does not want it.
   */
  jamiRequest?: boolean
  /**
   * Hold a history that diverged from ours and changes nothing but messages instead of
   * merging it at once (./held-heads.ts): it is shown and served at once, and merged later
   * by `Conversation.mergeHeld()`. The Account does this, so a group writing at once does not
   * set off a storm of merges. Default false: merge at once, as Jami does.
   */
  hold?: boolean
}

export interface SyncResult extends SyncFinishedEvent {
  rejection?: Rejection
  /** Heads newly held (with the `hold` option): shown, served, not merged yet. */
  held?: string[]
}

export function remoteRef(deviceId: string): string {
  return `refs/remotes/${deviceId}/main`
}

/** Commits reachable from `tips` that are not in the validated history, parents first. */
function newCommits(conv: Conversation, tips: string[]): string[] {
  const index = conv.history()
  const nodes = new Map<string, GraphNode>()
  const stack = [...tips]
  while (stack.length > 0) {
    const id = stack.pop()!
    if (nodes.has(id) || index.has(id)) continue
    const c = conv.view.commit(id)
    nodes.set(id, { id, parents: c.fields.parents, time: c.fields.committer.timestamp })
    stack.push(...c.fields.parents)
  }
  return dateOrder(nodes, tips).reverse()
}

/** newCommits, with a missing object (a pack without some parent) reported as the peer's corrupt pack. */
function completeNewCommits(conv: Conversation, tips: string[]): string[] {
  try {
    return newCommits(conv, tips)
  } catch (err) {
    if (err instanceof NotFoundError) throw new CorruptObjectError('pack', `incomplete: ${err.message} is missing`)
    throw err
  }
}

const traceServe = tracer('serve')

/** Serves our history to a peer on `stream` (the non-initiating side of a `git://` channel). */
export function serveConversation(conv: Conversation, stream: Duplex, options: { onFetched?: (wants: string[]) => void; timeoutMs?: number } = {}): Promise<ServedFetch[]> {
  return serveUploadPack(stream, {
    repo: conv.repo,
    // Held heads too: a device that relays an announcement must be able to give what it announced.
    refs: () => new Map([['HEAD', conv.head], ['refs/heads/main', conv.head], ...conv.heldHeads().map((id): [string, string] => [HELD_PREFIX + id, id])]),
    onFetched: options.onFetched,
    timeoutMs: options.timeoutMs,
  }).then((served) => {
    for (const s of served) traceServe?.(`served ${conv.id.slice(0, 8)}: ${s.objects} objects for ${s.wants.length} wants, ${s.common.length} common`)
    return served
  })
}

/** What to want from a peer's advertisement: its `main`, and the heads it holds that we do not show yet. */
function wantedTips(conv: Conversation, refs: Map<string, string>): string[] {
  const main = refs.get('refs/heads/main') ?? refs.get('HEAD')
  const held = [...refs].filter(([name]) => name.startsWith(HELD_PREFIX)).map(([, id]) => id)
  const history = conv.history()
  return [...new Set([main, ...held])].filter((id): id is string => !!id && !history.has(id))
}

/** Fetches `peer`'s history from `stream` and takes in what is valid. */
export async function syncFrom(conv: Conversation, stream: Duplex, peer: string, options: SyncOptions = {}): Promise<SyncResult> {
  if (!isDeviceId(peer)) throw new InvalidArgumentError('the peer is named by its 64-hex device id', { peer })
  const done = (result: SyncResult['result'], commits = 0, rejection?: Rejection, held: string[] = []): SyncResult => {
    const event = { peer, commits, result, head: conv.head }
    conv.emit('syncFinished', event)
    return { ...event, ...(rejection ? { rejection } : {}), ...(held.length ? { held } : {}) }
  }
  let tips: string[] = []
  try {
    const fetched = await fetchPack(stream, {
      repo: conv.repo,
      want: (refs) => (tips = wantedTips(conv, refs)),
      haves: [conv.head, ...conv.heldHeads()],
      request: options.jamiRequest ? { path: `/${conv.id}`, host: peer } : undefined,
      limits: options.fetchLimits,
      timeoutMs: options.timeoutMs,
    })
    conv.noteWrites(fetched.objects.length)
  } catch (err) {
    const code = err instanceof LimitExceededError ? 'limit-exceeded' : 'fetch-failed'
    conv.emit('conversationError', { code, peer, reason: err instanceof Error ? err.message : String(err) })
    throw err
  }
  if (tips.length === 0) return done('up-to-date')
  let ids: string[]
  try {
    // What the peer advertised must be complete here before anything refers to it.
    for (const tip of tips) if (conv.repo.objects.tryRead(tip)?.type !== 'commit') throw new CorruptObjectError(`commit ${tip}`, 'advertised by the peer but missing from its pack')
    ids = completeNewCommits(conv, tips)
    checkTreeLimits(conv.repo.objects, ids, { maxTreeDepth: options.fetchLimits?.maxTreeDepth ?? 64, maxPathBytes: options.fetchLimits?.maxPathBytes ?? 4096 })
  } catch (err) {
    const code = err instanceof LimitExceededError ? 'limit-exceeded' : 'invalid-fetch'
    conv.emit('conversationError', { code, peer, reason: (err as Error).message })
    throw err
  }
  // The quarantine ref is not flushed: what it names is the peer's, fetched again if a power cut loses it.
  conv.repo.refs.update(remoteRef(peer), tips[0]!, undefined, { sync: false })
  faultPoint('sync:quarantined', conv.repo.gitdir)
  if (brokenOnPurpose.fetchThrowsUnexpected) {
    conv.repo.refs.delete(remoteRef(peer))
    throw new Error('a deliberate bug: an error no fault causes')
  }

  const env = conv.validationEnv()
  const verdict = await validateBatch(env, ids, { verifier: options.verifier })
  if (!verdict.ok && !brokenOnPurpose.acceptUnvalidated) {
    // Unlike Jami (G9), a rejected fetch leaves no ref behind.
    conv.repo.refs.delete(remoteRef(peer))
    const r = verdict.rejection
    conv.emit('conversationError', { code: 'invalid-fetch', peer, commit: r.commit, rule: r.rule, reason: r.reason })
    return done('rejected', 0, r)
  }
  faultPoint('sync:validated', conv.repo.gitdir)
  const before = conv.profile()
  const taken = takeIn(conv, tips, peer, options.hold ?? false)
  const history = conv.history()
  const shown = ids.filter((id) => history.has(id))
  if (shown.length > 0) announce(conv, shown, before)
  return done(taken.result, taken.result === 'kept-in-quarantine' ? ids.length : shown.length, undefined, taken.held)
}

/** Events for the commits just taken in (Jami's SwarmMessageReceived, MemberEvent, ProfileUpdated). */
function announce(conv: Conversation, ids: string[], before: ReturnType<Conversation['profile']>): void {
  conv.emit('commitsAdded', ids)
  const wanted = conv.listenerCount('messageReceived') > 0
  for (const id of ids) {
    const c = conv.view.commit(id)
    if (c.fields.parents.length > 1) continue
    const parsed = parseCommitMessage(c.fields.message)
    const msg = parsed.ok ? parsed.value : {}
    if (field(msg, 'type') === 'member') {
      conv.emit('memberEvent', { uri: field(msg, 'uri'), action: field(msg, 'action') as never, commit: id })
    }
    if (wanted && !field(msg, 'edit') && !field(msg, 'react-to')) conv.emit('messageReceived', conv.getMessage(id))
  }
  const after = conv.profile()
  if (JSON.stringify(after) !== JSON.stringify(before)) conv.emit('profileUpdated', after)
}

