/**
 * History order H1 (reference §4.15): `git rev-list --date-order` — no commit before all of
 * its children, otherwise newest committer time first; ties go to the commit that became
 * ready first, as in git's priority queue.
 * @module
 */

import { CommitQueue } from '../git/commit-queue.js'
import type { GraphNode } from '../git/commit-queue.js'

export type { GraphNode }

/** Ids of every node reachable from `tips`, newest first in --date-order. */
export function dateOrder(nodes: ReadonlyMap<string, GraphNode>, tips: readonly string[]): string[] {
  const children = new Map<string, number>()
  const reachable: GraphNode[] = []
  const stack = [...tips]
  const seen = new Set<string>()
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id)) continue
    seen.add(id)
    const node = nodes.get(id)
    if (!node) continue
    reachable.push(node)
    for (const p of node.parents) {
      children.set(p, (children.get(p) ?? 0) + 1)
      stack.push(p)
    }
  }
  const queue = new CommitQueue<GraphNode>()
  for (const tip of tips) {
    const node = nodes.get(tip)
    if (node && !children.has(tip)) queue.push(node)
  }
  const out: string[] = []
  const emitted = new Set<string>()
  while (queue.size > 0) {
    const node = queue.pop()
    if (emitted.has(node.id)) continue
    emitted.add(node.id)
    out.push(node.id)
    for (const p of node.parents) {
      const left = children.get(p)! - 1
      children.set(p, left)
      const parent = nodes.get(p)
      if (left === 0 && parent) queue.push(parent)
    }
  }
  return out
}
