/**
 * Synchronising a conversation with a peer device (reference §4.13–4.15, §5):
 * fetch its `main` over any duplex stream into quarantine (`refs/remotes/<device>/main`),
 * check tree limits, validate the new commits oldest → newest (the first bad one rejects the
 * batch and is reported with the peer, the commit and the rule), then fast-forward, or write
 * a signed merge commit. Serving is upload-pack over the same kind of stream.
 * @module
 */
import type { Duplex } from 'node:stream'
import { CorruptObjectError, GitswarmError, InvalidArgumentError, LimitExceededError, NotFoundError } from '../errors.js'
import type { GraphNode } from '../git/commit-queue.js'
import { fetchPack, type FetchLimits } from '../git/fetch-pack.js'
import { mergeBaseTree, mergeTrees } from '../git/merge.js'
import { checkTreeLimits, type TreeLimits } from '../git/tree-limits.js'
import { serveUploadPack, type ServedFetch } from '../git/upload-pack.js'
import { isDeviceId } from '../identity/ids.js'
import { validateBatch, type SignatureVerifier } from '../validation/batch.js'
import { field, parseCommitMessage } from '../validation/commit-message.js'
import type { Rejection } from '../validation/verdict.js'
import type { Conversation } from './conversation.js'
import type { SyncFinishedEvent } from './events.js'
import { entryFor } from './history-index.js'
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
}

export interface SyncResult extends SyncFinishedEvent {
  rejection?: Rejection
}

export function remoteRef(deviceId: string): string {
  return `refs/remotes/${deviceId}/main`
}

/** Commits reachable from `tip` that are not in the validated history, parents first. */
function newCommits(conv: Conversation, tip: string): string[] {
  const index = conv.history()
  const nodes = new Map<string, GraphNode>()
  const stack = [tip]
  while (stack.length > 0) {
    const id = stack.pop()!
    if (nodes.has(id) || index.has(id)) continue
    const c = conv.view.commit(id)
    nodes.set(id, { id, parents: c.fields.parents, time: c.fields.committer.timestamp })
    stack.push(...c.fields.parents)
  }
  return dateOrder(nodes, [tip]).reverse()
}

/** newCommits, with a missing object (a pack without some parent) reported as the peer's corrupt pack. */
function completeNewCommits(conv: Conversation, tip: string): string[] {
  try {
    return newCommits(conv, tip)
  } catch (err) {
    if (err instanceof NotFoundError) throw new CorruptObjectError('pack', `incomplete: ${err.message} is missing`)
    throw err
  }
}

/** Serves our history to a peer on `stream` (the non-initiating side of a `git://` channel). */
export function serveConversation(conv: Conversation, stream: Duplex, options: { onFetched?: (wants: string[]) => void; timeoutMs?: number } = {}): Promise<ServedFetch[]> {
  return serveUploadPack(stream, {
    repo: conv.repo,
    refs: () => new Map([['HEAD', conv.head], ['refs/heads/main', conv.head]]),
    onFetched: options.onFetched,
    timeoutMs: options.timeoutMs,
  })
}

/** Fetches `peer`'s history from `stream` and takes in what is valid. */
export async function syncFrom(conv: Conversation, stream: Duplex, peer: string, options: SyncOptions = {}): Promise<SyncResult> {
  if (!isDeviceId(peer)) throw new InvalidArgumentError('the peer is named by its 64-hex device id', { peer })
  const done = (result: SyncResult['result'], commits = 0, rejection?: Rejection): SyncResult => {
    const event = { peer, commits, result, head: conv.head }
    conv.emit('syncFinished', event)
    return rejection ? { ...event, rejection } : event
  }
  let theirs: string
  try {
    const fetched = await fetchPack(stream, {
      repo: conv.repo,
      want: (refs) => [refs.get('refs/heads/main') ?? refs.get('HEAD')].filter((x): x is string => !!x),
      haves: [conv.head],
      request: options.jamiRequest ? { path: `/${conv.id}`, host: peer } : undefined,
      limits: options.fetchLimits,
      timeoutMs: options.timeoutMs,
    })
    const tip = fetched.refs.get('refs/heads/main') ?? fetched.refs.get('HEAD')
    conv.noteWrites(fetched.objects.length)
    if (!tip) return done('up-to-date')
    theirs = tip
  } catch (err) {
    const code = err instanceof LimitExceededError ? 'limit-exceeded' : 'fetch-failed'
    conv.emit('conversationError', { code, peer, reason: err instanceof Error ? err.message : String(err) })
    throw err
  }
  if (conv.history().has(theirs)) return done('up-to-date')
  let ids: string[]
  try {
    // What the peer advertised must be complete here before anything refers to it.
    if (conv.repo.objects.tryRead(theirs)?.type !== 'commit') throw new CorruptObjectError(`commit ${theirs}`, 'advertised by the peer but missing from its pack')
    ids = completeNewCommits(conv, theirs)
    checkTreeLimits(conv.repo.objects, ids, { maxTreeDepth: options.fetchLimits?.maxTreeDepth ?? 64, maxPathBytes: options.fetchLimits?.maxPathBytes ?? 4096 })
  } catch (err) {
    const code = err instanceof LimitExceededError ? 'limit-exceeded' : 'invalid-fetch'
    conv.emit('conversationError', { code, peer, reason: (err as Error).message })
    throw err
  }
  conv.repo.refs.update(remoteRef(peer), theirs)
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
  const ours = conv.head
  const before = conv.profile()
  let result: SyncResult['result']
  if (conv.view.isAncestor(ours, theirs) || brokenOnPurpose.mergeDropsOurs) {
    const index = conv.history() // before main moves, or it would read as stale
    conv.repo.refs.update('refs/heads/main', theirs, ours)
    index.add(ids.map((id) => entryFor(conv.view, conv.certs, conv.view.commit(id))), theirs)
    result = 'fast-forward'
  } else if (onlyMergesApart(conv, ours, theirs)) {
    // Both sides merged the same histories, each with its own merge commit: the larger id
    // wins on both (the other side decides the same), instead of merging merges forever.
    if (theirs < ours) return done('up-to-date')
    conv.repo.refs.update('refs/heads/main', theirs, ours)
    result = 'fast-forward'
  } else {
    const merged = mergeInto(conv, ours, theirs, ids, peer)
    if (!merged) return done('kept-in-quarantine', ids.length)
    result = 'merged'
  }
  announce(conv, ids, before)
  return done(result, ids.length)
}

/**
 * True when `ours` adds nothing to `theirs` but merge commits, and the trees agree: our
 * merge and theirs joined the same histories.
 */
function onlyMergesApart(conv: Conversation, ours: string, theirs: string): boolean {
  if (conv.view.commit(ours).fields.tree !== conv.view.commit(theirs).fields.tree) return false
  const stack = [ours]
  const seen = new Set<string>()
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id) || conv.view.isAncestor(id, theirs)) continue
    seen.add(id)
    const parents = conv.view.commit(id).fields.parents
    if (parents.length < 2 || seen.size > 64) return false
    stack.push(...parents)
  }
  return true
}

/**
 * Writes the merge commit `Merge commit '<theirs>'` (parents ours, theirs) when this device
 * may: it must hold an identity that is still a member in the merged tree. Returns false
 * (the fetched history stays in quarantine, to be taken by a later fast-forward) otherwise.
 */
function mergeInto(conv: Conversation, ours: string, theirs: string, ids: string[], peer: string): boolean {
  if (!conv.identity) return false
  const store = conv.repo.objects
  let tree: string
  try {
    const base = mergeBaseTree(store, ours, theirs)
    tree = mergeTrees(store, base, conv.view.commit(ours).fields.tree, conv.view.commit(theirs).fields.tree, theirs > ours).tree
  } catch (err) {
    if (!(err instanceof GitswarmError)) throw err
    conv.emit('conversationError', { code: 'merge-conflict', peer, reason: err.message })
    return false
  }
  try {
    const index = conv.history()
    const merge = conv.commitMerge(theirs, tree)
    faultPoint('merge:committed', conv.repo.gitdir)
    index.add([...ids, merge].map((id) => entryFor(conv.view, conv.certs, conv.view.commit(id))), merge)
    return true
  } catch (err) {
    if (!(err instanceof GitswarmError)) throw err
    // e.g. this device's account was banned in the other history: it cannot sign the merge.
    conv.emit('conversationError', { code: 'merge-conflict', peer, reason: err.message })
    return false
  }
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

