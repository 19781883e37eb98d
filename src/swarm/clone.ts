/**
 * Cloning a conversation from a peer (reference §5.7): fetch everything into a staged
 * repository beside the target (./staging.ts), verify the whole history from its root, and
 * only then rename it into place. An invalid clone is deleted; an existing conversation is
 * never touched (Jami's testCloneFailureDoesNotWipeExistingConversation).
 * @module
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Duplex } from 'node:stream'
import { AlreadyExistsError, InvalidArgumentError, InvalidCommitError } from '../errors.js'
import { fetchPack, type FetchLimits } from '../git/fetch-pack.js'
import { checkTreeLimits, type TreeLimits } from '../git/tree-limits.js'
import { isDeviceId } from '../identity/ids.js'
import type { SignatureVerifier } from '../validation/batch.js'
import type { Conversation, OpenOptions } from './conversation.js'
import { stageRepository } from './staging.js'
import { remoteRef } from './sync.js'
import { verifyRepository } from './verify.js'

export interface CloneOptions extends Omit<OpenOptions, 'readOnly'> {
  /** The device cloned from. */
  peer: string
  /** Exact path; otherwise `<dir>/<conversation id>`. */
  path?: string
  dir?: string
  /** Limits on what the peer may send. */
  fetchLimits?: Partial<FetchLimits & TreeLimits>
  verifier?: SignatureVerifier
  timeoutMs?: number
  onProgress?: (bytes: number) => void
}

export async function cloneConversation(stream: Duplex, options: CloneOptions, open: (path: string, o: OpenOptions) => Conversation): Promise<Conversation> {
  if (!isDeviceId(options.peer)) throw new InvalidArgumentError('the peer is named by its 64-hex device id', { peer: options.peer })
  if (options.path && existsSync(options.path)) throw new AlreadyExistsError(`conversation ${resolve(options.path)}`)
  const stage = stageRepository(options, 'clone')
  const repo = stage.repo
  try {
    const fetched = await fetchPack(stream, { repo, haves: [], limits: options.fetchLimits, timeoutMs: options.timeoutMs, onProgress: options.onProgress })
    const tip = fetched.refs.get('refs/heads/main') ?? fetched.refs.get('HEAD')
    if (!tip) throw new InvalidArgumentError('the peer has no conversation to clone')
    repo.refs.update('refs/heads/main', tip)
    repo.refs.update(remoteRef(options.peer), tip)
    checkTreeLimits(repo.objects, fetched.objects.filter((id) => repo.objects.tryRead(id)?.type === 'commit'), {
      maxTreeDepth: options.fetchLimits?.maxTreeDepth ?? 64,
      maxPathBytes: options.fetchLimits?.maxPathBytes ?? 4096,
    })
    const report = await verifyRepository(repo, { verifier: options.verifier, limits: options.limits })
    if (!report.ok) throw new InvalidCommitError(report.rejection!.commit, report.rejection!.rule, report.rejection!.reason)
    const conv = open(stage.publish(report.conversationId), options)
    conv.history()
    return conv
  } catch (err) {
    stage.discard()
    throw err
  }
}
