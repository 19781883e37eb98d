/**
 * Validating a run of commits, oldest → newest (reference §4.1 V7): the first bad commit
 * rejects the whole batch. Rules run here, in order; signatures may be handed to a verifier
 * that checks them in parallel, and the result is the same as checking each inline.
 * @module
 */
import { verifyData } from '../identity/keys.js'
import type { SignatureJob, ValidationEnv } from './context.js'
import { validateCommit } from './validate.js'
import type { Rejection } from './verdict.js'

/** Checks signatures; `verify(jobs)[i]` tells whether `jobs[i]` verifies. */
export interface SignatureVerifier {
  /** Checks the signatures, one answer per job, in order. */
  verify(jobs: readonly SignatureJob[]): Promise<boolean[]>
}

/** Verifies on the calling thread. */
export const inlineVerifier: SignatureVerifier = {
  async verify(jobs) {
    return jobs.map((j) => verifyData(j.publicKey, j.payload, j.signature))
  },
}

/** The verdict on a batch of new commits: all accepted, or the first rejected (all of them with collectAll). */
export type BatchResult =
  | { ok: true; validated: number; rejections: [] }
  | {
      ok: false
      /** Commits accepted before the first rejected one. */
      validated: number
      index: number
      /** The first rejected commit: it rejects the batch. */
      rejection: Rejection
      /** With `collectAll`, every commit that breaks a rule on its own, in order; else just the first. */
      rejections: Rejection[]
    }

export interface BatchOptions {
  verifier?: SignatureVerifier
  /** Signatures handed to the verifier at a time (default 512). */
  chunkSize?: number
  /**
   * Keep checking after the first rejection and report every commit that breaks a rule on
   * its own (each commit is judged against its parents, whatever their verdict).
   */
  collectAll?: boolean
  /** Called after each chunk with the number of commits whose rules have run. */
  onProgress?: (done: number, total: number) => void
}

function badSignature(job: SignatureJob, deviceId: string): Rejection {
  return {
    ok: false,
    commit: job.commit,
    rule: 'signature.invalid',
    reason: `commit ${job.commit}: signature does not verify with device ${deviceId}'s key`,
  }
}

/**
 * Validates `ids` (parents before children; parents outside the batch must already be
 * trusted). Yields to the event loop between chunks.
 */
export async function validateBatch(env: ValidationEnv, ids: readonly string[], options: BatchOptions = {}): Promise<BatchResult> {
  const verifier = options.verifier ?? inlineVerifier
  const chunk = options.chunkSize ?? 512
  const deferred: ValidationEnv = { ...env, deferSignatures: true }
  const inFlight: Array<Promise<{ jobs: Array<{ job: SignatureJob; index: number }>; ok: boolean[] }>> = []
  const failures = new Map<number, Rejection>()
  let jobs: Array<{ job: SignatureJob; index: number }> = []
  const flush = (): void => {
    if (jobs.length === 0) return
    const batch = jobs
    jobs = []
    inFlight.push(verifier.verify(batch.map((b) => b.job)).then((ok) => ({ jobs: batch, ok })))
  }
  for (let i = 0; i < ids.length; i++) {
    const result = validateCommit(deferred, ids[i]!)
    if (result.signature) jobs.push({ job: result.signature, index: i })
    if (!result.verdict.ok) {
      failures.set(i, result.verdict)
      if (!options.collectAll) break
    }
    if (jobs.length >= chunk) {
      flush()
      options.onProgress?.(i + 1, ids.length)
      await new Promise((r) => setImmediate(r))
    }
  }
  flush()
  // Carry the root id found while validating back to the caller's environment.
  env.rootId ??= deferred.rootId
  // A bad signature outranks the rule failure of the same commit, as with inline checks.
  for (const done of await Promise.all(inFlight)) {
    done.ok.forEach((good, k) => {
      if (good) return
      const { job, index } = done.jobs[k]!
      failures.set(index, badSignature(job, env.repo.commit(job.commit).fields.author.email))
    })
  }
  const indexes = [...failures.keys()].sort((a, b) => a - b)
  options.onProgress?.(indexes[0] ?? ids.length, ids.length)
  if (indexes.length === 0) return { ok: true, validated: ids.length, rejections: [] }
  const first = indexes[0]!
  const rejections = (options.collectAll ? indexes : [first]).map((i) => failures.get(i)!)
  return { ok: false, validated: first, index: first, rejection: failures.get(first)!, rejections }
}
