/**
 * Verifying a whole conversation from its root: every commit reachable from HEAD, parents
 * before children, through the rules engine, signatures checked in parallel. Read-only:
 * nothing is written to the repository, not even the derived index.
 * @module
 */
import { CorruptObjectError, NotFoundError } from '../errors.js'
import { openRepository, type Repository } from '../git/repository.js'
import { isOid, stripHeader } from '../git/object-codec.js'
import { inlineVerifier, validateBatch, type SignatureVerifier } from '../validation/batch.js'
import { CertificateCache } from '../validation/certs.js'
import { treeRevocations } from '../validation/author.js'
import { DEFAULT_LIMITS, type SignatureJob, type ValidationLimits } from '../validation/context.js'
import type { Rejection } from '../validation/verdict.js'
import { dateOrder, type GraphNode } from './order.js'
import { StoreRepositoryView } from './repo-view.js'
import { createSignaturePool, type SignaturePool } from './signature-pool.js'

/** How verifyRepository runs. */
export interface VerifyOptions {
  /** Signature verifier; default a worker pool over all cores. */
  verifier?: SignatureVerifier
  limits?: Partial<ValidationLimits>
  /** Ref or commit to verify up to (default HEAD). */
  from?: string
  /**
   * A commit already trusted (a fetch): it and its ancestors are not judged again, only the
   * commits after it, oldest first. Default: none, the whole history from the root.
   */
  base?: string
  /** Called as commits are judged. */
  onProgress?: (done: number, total: number) => void
  /** Report every commit that breaks a rule, not only the first (see BatchOptions). */
  collectAll?: boolean
}

/** What verifyRepository found. */
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

/**
 * Starts signature checks while the graph is still being read, so the workers are busy from
 * the first commit. The key is looked up where the rules will look for most commits (the
 * commit's own tree, through the same certificate cache); the batch reuses a result only when
 * it asks about the very same key object, and verifies anything else itself.
 */
class PrefetchingVerifier implements SignatureVerifier {
  private readonly early = new Map<string, { key: object; result: Promise<boolean> }>()
  private pending: Array<{ job: SignatureJob; resolve: (ok: boolean) => void }> = []

  constructor(public inner: SignatureVerifier) {}

  prefetch(view: StoreRepositoryView, certs: CertificateCache, id: string): void {
    const commit = view.commit(id)
    const cert = certs.certificates(commit.tree, `devices/${commit.fields.author.email}.crt`)
    const sig = commit.fields.extraHeaders.find((h) => h.key === 'signature')
    const payload = sig && stripHeader(commit.raw)
    if (!cert?.ok || !payload) return
    const publicKey = cert.value[0]!.publicKey
    const job: SignatureJob = { commit: id, publicKey, payload, signature: Buffer.from(sig.value, 'base64') }
    const result = new Promise<boolean>((resolve) => this.pending.push({ job, resolve }))
    this.early.set(id, { key: publicKey, result })
    if (this.pending.length >= 512) this.flush()
  }

  flush(): void {
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    void this.inner.verify(batch.map((b) => b.job)).then((ok) => batch.forEach((b, i) => b.resolve(ok[i]!)))
  }

  async verify(jobs: readonly SignatureJob[]): Promise<boolean[]> {
    this.flush()
    const fresh = jobs.filter((j) => this.early.get(j.commit)?.key !== j.publicKey)
    const freshResults = fresh.length > 0 ? await this.inner.verify(fresh) : []
    const byCommit = new Map(fresh.map((j, i) => [j.commit, freshResults[i]!]))
    return Promise.all(jobs.map((j) => byCommit.get(j.commit) ?? this.early.get(j.commit)!.result))
  }
}

/** Every ancestor of `base` (itself included): the trusted part of the history. */
function ancestors(view: StoreRepositoryView, base: string): Set<string> {
  const out = new Set<string>()
  const stack = [base]
  while (stack.length > 0) {
    const id = stack.pop()!
    if (out.has(id)) continue
    out.add(id)
    stack.push(...view.commit(id).fields.parents)
  }
  return out
}

/** The conversation id: the root reached through first parents. */
function rootOf(view: StoreRepositoryView, head: string): string {
  let id = head
  for (let first = view.commit(id).fields.parents[0]; first; first = view.commit(id).fields.parents[0]) id = first
  return id
}

/**
 * Reads the commit graph from `head` down to the trusted commits; a missing or damaged
 * commit ends it as a rejection.
 */
function readGraph(view: StoreRepositoryView, head: string, trusted: Set<string>, onCommit?: (id: string) => void): Walk {
  const nodes = new Map<string, GraphNode>()
  const stack: Array<[id: string, child: string | undefined]> = trusted.has(head) ? [] : [[head, undefined]]
  let broken: Rejection | undefined
  while (stack.length > 0 && !broken) {
    const [id, child] = stack.pop()!
    if (nodes.has(id) || trusted.has(id)) continue
    try {
      const c = view.commit(id)
      nodes.set(id, { id, parents: c.fields.parents, time: c.fields.committer.timestamp })
      for (const p of c.fields.parents) stack.push([p, id])
      onCommit?.(id)
    } catch (err) {
      if (!(err instanceof NotFoundError || err instanceof CorruptObjectError)) throw err
      const by = child ? ` (parent of ${child})` : ''
      broken = { ok: false, commit: id, rule: 'commit.object', reason: `commit ${id}${by}: ${err.message}` }
    }
  }
  let root = head
  while (nodes.get(root)?.parents[0] && nodes.has(nodes.get(root)!.parents[0]!)) root = nodes.get(root)!.parents[0]!
  return { nodes, broken, root: trusted.size > 0 && !broken ? rootOf(view, head) : root }
}

/** A commit id as given, or the id a ref name points to. */
function resolveRevision(repo: Repository, rev: string): string {
  if (isOid(rev)) return rev
  const id = repo.refs.resolve(rev)
  if (!id) throw new NotFoundError(`revision ${rev}`, { rev })
  return id
}

/** Checks a repository's whole history (or the part after `base`) against the swarm rules, signatures on every core. */
export async function verifyRepository(target: string | Repository, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now()
  const repo = typeof target === 'string' ? openRepository(target) : target
  try {
    const head = options.from ? resolveRevision(repo, options.from) : repo.refs.resolve('HEAD')
    if (!head) throw new NotFoundError(`HEAD of ${repo.gitdir}`, { gitdir: repo.gitdir })
    const view = new StoreRepositoryView(repo.objects)
    const certs = new CertificateCache()
    // Worker threads pay off only on long histories: they start once the walk passes 256 commits.
    let pool: SignaturePool | undefined
    const verifier = new PrefetchingVerifier(options.verifier ?? inlineVerifier)
    let walked = 0
    try {
      const base = options.base ? resolveRevision(repo, options.base) : undefined
      if (base && !view.hasCommit(base)) throw new NotFoundError(`base commit ${base}`, { base })
      const walk = readGraph(view, head, base ? ancestors(view, base) : new Set(), (id) => {
        if (++walked === 256 && !options.verifier) verifier.inner = pool = createSignaturePool()
        try {
          verifier.prefetch(view, certs, id)
        } catch {
          // Whatever fails here fails again, and is reported, in the rules.
        }
      })
      const done = (r: Omit<VerifyReport, 'milliseconds' | 'head' | 'conversationId' | 'commits'>): VerifyReport => ({
        head,
        conversationId: walk.root,
        commits: walk.nodes.size,
        ...r,
        milliseconds: Math.round(performance.now() - started),
      })
      if (walk.broken) return done({ ok: false, validated: 0, rejection: walk.broken, rejections: [walk.broken] })
      const order = dateOrder(walk.nodes, [head]).reverse()
      // A fetch after `base`: the revocations the receiver holds there apply to what follows.
      const revokedAt = base ? treeRevocations(certs, view.commit(base).tree) : undefined
      const env = { repo: view, certs, rootId: walk.root, limits: { ...DEFAULT_LIMITS, ...options.limits }, ...(revokedAt ? { revokedAt } : {}) }
      const result = await validateBatch(env, order, { verifier, onProgress: options.onProgress, collectAll: options.collectAll })
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
