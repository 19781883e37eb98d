/**
 * Verifying a whole conversation from its root: every commit reachable from HEAD, parents
 * before children, through the rules engine, signatures checked in parallel. Read-only:
 * nothing is written to the repository, not even the derived index.
 * @module
 */
import { CorruptObjectError, NotFoundError } from '../errors.js'
import { openRepository, type Repository } from '../git/repository.js'
import { validateBatch, type SignatureVerifier } from '../validation/batch.js'
import { CertificateCache } from '../validation/certs.js'
import { DEFAULT_LIMITS, type ValidationLimits } from '../validation/context.js'
import type { Rejection } from '../validation/verdict.js'
import { dateOrder, type GraphNode } from './order.js'
import { StoreRepositoryView } from './repo-view.js'
import { createSignaturePool } from './signature-pool.js'

export interface VerifyOptions {
  /** Signature verifier; default a worker pool over all cores. */
  verifier?: SignatureVerifier
  limits?: Partial<ValidationLimits>
  /** Ref or commit to verify from (default HEAD). */
  from?: string
  onProgress?: (done: number, total: number) => void
  /** Report every commit that breaks a rule, not only the first (see BatchOptions). */
  collectAll?: boolean
}

export interface VerifyReport {
  ok: boolean
  head: string
  /** The conversation id (root reached by first parents from the head). */
  conversationId: string
  /** Commits reachable from the head. */
  commits: number
  /** Commits accepted before the first rejected one (all of them when ok). */
  validated: number
  /** The first rejected commit, which makes the history invalid. */
  rejection?: Rejection
  /** Every rejected commit with `collectAll`; otherwise at most the first. */
  rejections: Rejection[]
  milliseconds: number
}

interface Walk {
  nodes: Map<string, GraphNode>
  broken?: Rejection
  root: string
}

/** Reads the commit graph from `head`; a missing or damaged commit ends it as a rejection. */
function readGraph(view: StoreRepositoryView, head: string): Walk {
  const nodes = new Map<string, GraphNode>()
  const stack: Array<[id: string, child: string | undefined]> = [[head, undefined]]
  let broken: Rejection | undefined
  while (stack.length > 0 && !broken) {
    const [id, child] = stack.pop()!
    if (nodes.has(id)) continue
    try {
      const c = view.commit(id)
      nodes.set(id, { id, parents: c.fields.parents, time: c.fields.committer.timestamp })
      for (const p of c.fields.parents) stack.push([p, id])
    } catch (err) {
      if (!(err instanceof NotFoundError || err instanceof CorruptObjectError)) throw err
      const by = child ? ` (parent of ${child})` : ''
      broken = { ok: false, commit: id, rule: 'commit.object', reason: `commit ${id}${by}: ${err.message}` }
    }
  }
  let root = head
  while (nodes.get(root)?.parents[0] && nodes.has(nodes.get(root)!.parents[0]!)) root = nodes.get(root)!.parents[0]!
  return { nodes, broken, root }
}

export async function verifyRepository(target: string | Repository, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now()
  const repo = typeof target === 'string' ? openRepository(target) : target
  try {
    const head = options.from ? (repo.refs.resolve(options.from) ?? options.from) : repo.refs.resolve('HEAD')
    if (!head) throw new NotFoundError(`HEAD of ${repo.gitdir}`, { gitdir: repo.gitdir })
    const view = new StoreRepositoryView(repo.objects)
    const walk = readGraph(view, head)
    const done = (r: Omit<VerifyReport, 'milliseconds' | 'head' | 'conversationId' | 'commits'>): VerifyReport => ({
      head,
      conversationId: walk.root,
      commits: walk.nodes.size,
      ...r,
      milliseconds: Math.round(performance.now() - started),
    })
    if (walk.broken) return done({ ok: false, validated: 0, rejection: walk.broken, rejections: [walk.broken] })
    const order = dateOrder(walk.nodes, [head]).reverse()
    const env = { repo: view, certs: new CertificateCache(), rootId: walk.root, limits: { ...DEFAULT_LIMITS, ...options.limits } }
    const pool = options.verifier ? undefined : createSignaturePool()
    try {
      const result = await validateBatch(env, order, { verifier: options.verifier ?? pool, onProgress: options.onProgress, collectAll: options.collectAll })
      return result.ok
        ? done({ ok: true, validated: result.validated, rejections: [] })
        : done({ ok: false, validated: result.validated, rejection: result.rejection, rejections: result.rejections })
    } finally {
      await pool?.close()
    }
  } finally {
    if (typeof target === 'string') repo.objects.close()
  }
}
