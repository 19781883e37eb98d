/**
 * Held heads (docs/design.md, "Convergence"): a validated history fetched from a peer that
 * diverged from ours need not be merged at once. It is kept under
 * `refs/gitswarm/held/<commit>`, shown at once (the history is the union of `main` and the
 * held branches, in --date-order), served to peers beside `main`, and merged later by one
 * device for the group — so that twelve people writing at once do not make twelve devices
 * merge every head they see. A held ref is written only after its history was validated,
 * so a device that stops before merging loses nothing: the next start shows and merges it.
 * (Held refs are not flushed with fsync, unlike `main`: see updateHeld.)
 * @module
 */
import type { Repository } from '../git/repository.js'
import type { CertificateCache } from '../validation/certs.js'
import type { RepositoryView } from '../validation/view.js'
import { entryFor, type HistoryIndex, type IndexEntry } from './history-index.js'
import { dateOrder } from './order.js'

export const HELD_PREFIX = 'refs/gitswarm/held/'

/** What `Conversation.history()` answers with: the index of `main`, or that with the held branches. */
export interface History {
  has(id: string): boolean
  get(id: string): IndexEntry | undefined
  /** The `n` newest entries, newest first. */
  newest(n: number): IndexEntry[]
  /** Every entry, newest first (--date-order from every head). */
  all(): IndexEntry[]
  readonly size: number
}

/** The held heads recorded in `repo` (unordered; some may have become ancestors of `main`). */
export function listHeld(repo: Repository): string[] {
  return [...repo.refs.list(HELD_PREFIX).values()]
}

/**
 * Records `tips` as held beside the ones already held, keeping only heads that `main` and
 * no other head contain; returns them sorted. New refs are written before stale ones are
 * deleted, so a crash in between leaves a stale ref (dropped next time), never a lost head.
 */
export function updateHeld(repo: Repository, view: RepositoryView & { isAncestor(a: string, b: string): boolean }, main: string, tips: readonly string[] = [], write = true): string[] {
  const old = listHeld(repo)
  const candidates = [...new Set([...old, ...tips])]
  const kept = candidates.filter((id) => id !== main && !view.isAncestor(id, main) && !candidates.some((other) => other !== id && view.isAncestor(id, other))).sort()
  if (write) {
    // Not flushed to disk: a held head is others' history, which its authors and the other
    // members still have. Lost to a power cut (a crash of the process keeps it), it comes
    // back with the next fetch; `main`, which holds this device's own writes, is flushed.
    for (const id of kept) if (!old.includes(id)) repo.refs.update(HELD_PREFIX + id, id, undefined, { sync: false })
    for (const id of old) if (!kept.includes(id)) repo.refs.delete(HELD_PREFIX + id)
  }
  return kept
}

/** Index entries for commits reachable from `tips` and absent from `known`, parents first. */
export function entriesNotIn(view: RepositoryView & { generation(id: string): number }, certs: CertificateCache, tips: readonly string[], known?: { has(id: string): boolean }): IndexEntry[] {
  const found: IndexEntry[] = []
  const seen = new Set<string>()
  const stack = [...tips]
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id) || known?.has(id)) continue
    seen.add(id)
    const commit = view.commit(id)
    found.push(entryFor(view, certs, commit))
    stack.push(...commit.fields.parents)
  }
  // Parents before children: order by generation, which respects ancestry.
  return found.sort((a, b) => view.generation(a.id) - view.generation(b.id))
}

/**
 * The history of `main` with the held branches: what a chat shows while heads are held.
 * The held part is small (what arrived since the last merge), so it lives in memory and the
 * order is recomputed from the newest end of the main index.
 */
export class UnionHistory implements History {
  private readonly extra: Map<string, IndexEntry>
  private ordered: IndexEntry[] | undefined

  constructor(
    private readonly main: HistoryIndex,
    private readonly held: readonly string[],
    extra: IndexEntry[],
  ) {
    this.extra = new Map(extra.map((e) => [e.id, e]))
  }

  has(id: string): boolean {
    return this.extra.has(id) || this.main.has(id)
  }

  get(id: string): IndexEntry | undefined {
    return this.extra.get(id) ?? this.main.get(id)
  }

  get size(): number {
    return this.main.size + this.extra.size
  }

  all(): IndexEntry[] {
    this.ordered ??= this.order(this.main.all())
    return this.ordered
  }

  newest(n: number): IndexEntry[] {
    if (this.ordered || this.main.loaded) return this.all().slice(0, n)
    // Each held entry can push at most one main entry out of the first n; the margin covers
    // held commits with an older clock than main's newest.
    return this.order(this.main.newest(n + this.extra.size + 64)).slice(0, n)
  }

  private order(mainEntries: IndexEntry[]): IndexEntry[] {
    const nodes = new Map<string, IndexEntry>(mainEntries.map((e) => [e.id, e]))
    for (const [id, e] of this.extra) nodes.set(id, e)
    const tips = [this.main.head, ...this.held].filter((x): x is string => x !== undefined)
    return dateOrder(nodes, tips).map((id) => nodes.get(id)!)
  }
}
