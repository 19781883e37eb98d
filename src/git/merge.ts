/**
 * Merging two histories' trees (reference §4.13): the merge base found by a newest-first
 * walk from both tips, then a three-way merge of the changed paths. Only `profile.vcf` may
 * conflict, and the side whose head has the larger id wins (every device picks the same).
 * @module
 */
import { InvalidStateError } from '../errors.js'
import { CommitQueue, type GraphNode } from './commit-queue.js'
import { parseCommit } from './object-codec.js'
import type { ObjectStore } from './object-store.js'
import { diffTrees, editTree, type TreeEdit } from './tree.js'

/** The newest commit reachable from both `a` and `b` (undefined for unrelated histories). */
export function mergeBase(store: ObjectStore, a: string, b: string): string | undefined {
  const flags = new Map<string, number>()
  const queue = new CommitQueue<GraphNode>()
  const visit = (id: string, flag: number): void => {
    const was = flags.get(id) ?? 0
    if ((was | flag) === was) return
    flags.set(id, was | flag)
    const c = parseCommit(store.read(id, 'commit').content)
    queue.push({ id, parents: c.parents, time: c.committer.timestamp })
  }
  visit(a, 1)
  visit(b, 2)
  while (queue.size > 0) {
    const n = queue.pop()
    const flag = flags.get(n.id)!
    if (flag === 3) return n.id
    for (const p of n.parents) visit(p, flag)
  }
  return undefined
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
