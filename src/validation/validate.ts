/**
 * The dispatcher (reference §4.1): checks a commit's structure, resolves and authenticates
 * its author, verifies its signature, then applies the rule of its type. Order matters only
 * for which rule a multiply-broken commit is reported under: structure, author, signature,
 * message, type — so a tampered commit reads as a bad signature, a signed bad one by its rule.
 * @module
 */
import { CorruptObjectError, NotFoundError } from '../errors.js'
import { stripHeader } from '../git/object-codec.js'
import { verifyData } from '../identity/keys.js'
import { resolveAuthor } from './author.js'
import { field, parseCommitMessage } from './commit-message.js'
import type { CommitContext, ConversationMode, SignatureJob, ValidationEnv } from './context.js'
import { checkInitial } from './rules/initial.js'
import { checkAdd, checkJoin, checkRemove, isValidMemberUri } from './rules/members.js'
import { checkMerge } from './rules/merge.js'
import { checkEdit, checkMessage, isEdit } from './rules/message.js'
import { checkProfileUpdate } from './rules/profile.js'
import { checkResolution, checkVote } from './rules/votes.js'
import { ACCEPT, check, RuleViolation, type Verdict } from './verdict.js'
import type { CommitView } from './view.js'

const DEVICE_ID_RE = /^[0-9a-f]{64}$/
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export interface CommitResult {
  verdict: Verdict
  /** With `deferSignatures`: the signature still to verify for an otherwise accepted commit. */
  signature?: SignatureJob
}

function decodeSignature(commit: CommitView): Buffer {
  const headers = commit.fields.extraHeaders
  const sigs = headers.filter((h) => h.key === 'signature')
  check(sigs.length === 1, 'commit.signature-header', sigs.length === 0 ? 'no signature header' : `${sigs.length} signature headers`)
  const other = headers.find((h) => h.key !== 'signature')
  check(!other, 'commit.header', `unexpected header "${other?.key}"`)
  const value = sigs[0]!.value
  check(value.length > 0 && BASE64_RE.test(value), 'commit.signature-header', 'signature is not canonical base64')
  return Buffer.from(value, 'base64')
}

function checkStructure(env: ValidationEnv, commit: CommitView): void {
  const { author, committer, parents, message } = commit.fields
  check(parents.length <= 2, 'merge.parents', `a commit has at most 2 parents, this one has ${parents.length}`)
  check(
    author.name === committer.name && author.email === committer.email && author.timestamp === committer.timestamp && author.timezone === committer.timezone,
    'commit.author',
    'author and committer differ',
  )
  check(DEVICE_ID_RE.test(author.email), 'commit.author', `author e-mail "${author.email.slice(0, 80)}" is not a device id`)
  const size = Buffer.byteLength(message)
  check(size <= env.limits.maxMessageBytes, 'commit.message-size', `message is ${size} bytes, the limit is ${env.limits.maxMessageBytes}`)
}

/**
 * Validates one commit against its parents, already present in `env.repo`. With
 * `deferSignatures`, the signature job is returned even when a later rule rejects the
 * commit, so a batch reports a bad signature first exactly as inline checking does.
 */
export function validateCommit(env: ValidationEnv, id: string): CommitResult {
  const pending: { job?: SignatureJob } = {}
  try {
    return validateUnguarded(env, id, pending)
  } catch (err) {
    const job = pending.job ? { signature: pending.job } : {}
    if (err instanceof RuleViolation) {
      return { verdict: { ok: false, commit: id, rule: err.rule, reason: `commit ${id}: ${err.reason}`, ...(err.path ? { path: err.path } : {}) }, ...job }
    }
    if (err instanceof NotFoundError || err instanceof CorruptObjectError) {
      return { verdict: { ok: false, commit: id, rule: 'commit.object', reason: `commit ${id}: ${err.message}` }, ...job }
    }
    throw err
  }
}

function validateUnguarded(env: ValidationEnv, id: string, pending: { job?: SignatureJob }): CommitResult {
  const { repo } = env
  const commit = repo.commit(id)
  const parents = commit.fields.parents
  const signature = decodeSignature(commit)
  checkStructure(env, commit)
  if (parents.length === 0) {
    env.rootId ??= id
    check(id === env.rootId, 'history.foreign-root', `root commit ${id} is not the conversation root ${env.rootId}`)
  }
  const root = parents.length === 0 ? commit : repo.commit(env.rootId ?? findRoot(env, commit))
  const rootParsed = parseCommitMessage(root.fields.message)
  const rootMessage = rootParsed.ok ? rootParsed.value : {}
  const isMerge = parents.length > 1
  const parsed = isMerge ? undefined : parseCommitMessage(commit.fields.message)
  const message = parsed?.ok ? parsed.value : {}
  const parent = parents.length > 0 ? repo.commit(parents[0]!) : undefined
  const ctx: CommitContext = {
    env,
    commit,
    parent,
    deviceId: commit.fields.author.email,
    time: commit.fields.author.timestamp,
    message,
    type: field(message, 'type'),
    mode: (rootMessage['mode'] ?? 2) as ConversationMode,
    root,
    rootMessage,
    changes: repo.changes(parent?.tree, commit.tree),
  }
  // A leave deletes the author's own certificates, so it is checked in the parent (§4.1 V4).
  const leaving = ctx.type === 'member' && field(message, 'action') === 'remove'
  ctx.author = resolveAuthor(ctx, leaving && parent ? parent.tree : commit.tree)

  const payload = stripHeader(commit.raw)!
  if (env.deferSignatures) pending.job = { commit: id, publicKey: ctx.author.deviceCert.publicKey, payload, signature }
  else check(verifyData(ctx.author.deviceCert.publicKey, payload, signature), 'signature.invalid', `signature does not verify with device ${ctx.deviceId}'s key`)

  if (isMerge) checkMerge(ctx)
  else {
    check(parsed?.ok, 'commit.message', parsed && !parsed.ok ? parsed.reason : 'no message')
    check(ctx.type !== '', 'commit.message', 'message has no "type"')
    if (parents.length === 0) checkInitial(ctx)
    else dispatch(ctx)
  }
  return pending.job ? { verdict: ACCEPT, signature: pending.job } : { verdict: ACCEPT }
}

function dispatch(ctx: CommitContext): void {
  const { type, message } = ctx
  if (type === 'vote') return checkVote(ctx)
  if (type === 'member') {
    const action = field(message, 'action')
    const uri = field(message, 'uri')
    check(isValidMemberUri(action, uri), 'member.uri', `"${uri.slice(0, 80)}" is not a valid member URI`)
    switch (action) {
      case 'add':
        return checkAdd(ctx)
      case 'join':
        return checkJoin(ctx)
      case 'remove':
        return checkRemove(ctx)
      case 'ban':
      case 'unban':
        return checkResolution(ctx, action)
      default:
        check(false, 'member.action', `unknown member action "${action.slice(0, 40)}"`)
    }
  }
  if (type === 'application/update-profile') return checkProfileUpdate(ctx)
  if (isEdit(ctx)) return checkEdit(ctx)
  return checkMessage(ctx)
}

/** Without a known conversation id, follow first parents down to the root. */
function findRoot(env: ValidationEnv, commit: CommitView): string {
  let current = commit
  for (let guard = 0; guard < 10_000_000; guard++) {
    const first = current.fields.parents[0]
    if (!first) {
      env.rootId = current.id
      return current.id
    }
    current = env.repo.commit(first)
  }
  throw new CorruptObjectError(`history of ${commit.id}`, 'no root commit')
}
