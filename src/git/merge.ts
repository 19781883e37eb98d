/**
 * Merging two histories' trees (reference §4.13): the merge bases found by a newest-first
 * walk from both tips (several in a criss-cross, merged into a virtual base as git's
 * recursive strategy does), then a three-way merge of the changed paths. Only `profile.vcf` may
 * conflict, and the side whose head has the larger id wins (every device picks the same).
 * @module
 */
import { InvalidStateError } from '../errors.js'
import { CommitQueue, type GraphNode } from './commit-queue.js'
import { parseCommit } from './object-codec.js'
import type { ObjectStore } from './object-store.js'
import { diffTrees, editTree, type TreeEdit } from './tree.js'

const PARENT1 = 1
const PARENT2 = 2
const STALE = 4

/** What the merge-base walk reads of a history: parents, commit times, ancestry. */
export interface CommitGraph {
  parents(id: string): readonly string[]
  time(id: string): number
  isAncestor(ancestor: string, of: string): boolean
}

/**
 * The graph read straight from `store`, each commit parsed once per graph. A caller with a
 * cached view of the history (generation numbers) should pass its own: ancestry here walks
 * down to the root when the answer is no.
 */
export function storeGraph(store: ObjectStore): CommitGraph {
  const parsed = new Map<string, { parents: string[]; time: number }>()
  const commit = (id: string) => {
    let c = parsed.get(id)
    if (!c) {
      const f = parseCommit(store.read(id, 'commit').content)
      parsed.set(id, (c = { parents: f.parents, time: f.committer.timestamp }))
    }
    return c
  }
  return {
    parents: (id) => commit(id).parents,
    time: (id) => commit(id).time,
    isAncestor(ancestor, of) {
      const seen = new Set<string>()
      const stack = [of]
      while (stack.length > 0) {
        const id = stack.pop()!
        if (id === ancestor) return true
        if (seen.has(id)) continue
        seen.add(id)
        stack.push(...commit(id).parents)
      }
      return false
    },
  }
}

/**
 * Every best common ancestor of `a` and `b` (git merge-base --all): walking both histories
 * newest first, a commit reached from both is a base, and whatever lies below it is stale.
 * A criss-cross history has several; none is an ancestor of another.
 */
export function mergeBases(store: ObjectStore, a: string, b: string, graph: CommitGraph = storeGraph(store)): string[] {
  const flags = new Map<string, number>()
  const nodes = new Map<string, GraphNode>()
  const queue = new CommitQueue<GraphNode>()
  const node = (id: string): GraphNode => {
    let n = nodes.get(id)
    if (!n) nodes.set(id, (n = { id, parents: [...graph.parents(id)], time: graph.time(id) }))
    return n
  }
  const queued = new Map<string, number>()
  const paint = (id: string, flag: number): void => {
    const was = flags.get(id) ?? 0
    if ((was & flag) === flag) return
    flags.set(id, was | flag)
    queue.push(node(id))
    queued.set(id, (queued.get(id) ?? 0) + 1)
  }
  paint(a, PARENT1)
  paint(b, PARENT2)
  const found: string[] = []
  // Walk while something not yet below a base waits: past that, nothing new can be found.
  const live = () => [...queued.keys()].some((id) => !((flags.get(id) ?? 0) & STALE))
  while (queue.size > 0 && live()) {
    const n = queue.pop()
    const left = queued.get(n.id)! - 1
    if (left === 0) queued.delete(n.id)
    else queued.set(n.id, left)
    let flag = flags.get(n.id)! & (PARENT1 | PARENT2 | STALE)
    if ((flag & (PARENT1 | PARENT2)) === (PARENT1 | PARENT2) && !(flag & STALE)) {
      found.push(n.id)
      flag |= STALE
      flags.set(n.id, flags.get(n.id)! | STALE)
    }
    for (const p of n.parents) paint(p, flag)
  }
  // A base reachable from another is not a best one.
  return found.filter((x) => !found.some((y) => y !== x && graph.isAncestor(x, y)))
}

/** The newest commit reachable from both `a` and `b` (undefined for unrelated histories). */
export function mergeBase(store: ObjectStore, a: string, b: string, graph?: CommitGraph): string | undefined {
  return mergeBases(store, a, b, graph)[0]
}

/**
 * The tree to merge `a` and `b` against. With one merge base, its tree; with several (a
 * criss-cross: two devices each merged the other's history), their trees merged into a
 * virtual base, as git's recursive strategy does — a base chosen among them at random would
 * take back changes one side already made (an invitation a join had removed, say).
 */
export function mergeBaseTree(store: ObjectStore, a: string, b: string, graph: CommitGraph = storeGraph(store), depth = 0): string | undefined {
  const bases = mergeBases(store, a, b, graph).sort()
  const treeOf = (id: string) => parseCommit(store.read(id, 'commit').content).tree
  if (bases.length === 0) return undefined
  let tree = treeOf(bases[0]!)
  if (depth >= 8) return tree
  for (const next of bases.slice(1)) {
    const inner = mergeBaseTree(store, bases[0]!, next, graph, depth + 1)
    tree = mergeTrees(store, inner, tree, treeOf(next), next > bases[0]!).tree
  }
  return tree
}

export interface TreeMergeResult {
  tree: string
  /** Paths changed on both sides; profile.vcf resolved, anything else makes the merge fail. */
  conflicts: string[]
}

/**
 * Applies what `theirs` changed since `base` to `ours`' tree. Throws InvalidStateError on a
 * conflict other than profile.vcf.
 */
export function mergeTrees(store: ObjectStore, baseTree: string | undefined, oursTree: string, theirsTree: string, theirsWins: boolean): TreeMergeResult {
  const ours = new Map(diffTrees(store, baseTree, oursTree).map((c) => [c.path, c]))
  const edits: TreeEdit[] = []
  const conflicts: string[] = []
  for (const change of diffTrees(store, baseTree, theirsTree)) {
    const mine = ours.get(change.path)
    const edit = { path: change.path, oid: change.newOid ?? null, mode: change.newMode }
    if (!mine) edits.push(edit)
    else if ((mine.newOid ?? null) === (change.newOid ?? null)) continue
    else if (change.path === 'profile.vcf') {
      conflicts.push(change.path)
      if (theirsWins) edits.push(edit)
    } else {
      throw new InvalidStateError('merge', `${change.path} was changed differently on both sides`)
    }
  }
  return { tree: edits.length ? editTree(store, oursTree, edits) : oursTree, conflicts }
}
