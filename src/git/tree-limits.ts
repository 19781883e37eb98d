/**
 * Limits on what fetched trees may look like — depth and path length — checked before any
 * rule reads them, iteratively (a 100,000-deep tree must not blow the stack) and remembering
 * every subtree already measured.
 * @module
 */
import { LimitExceededError } from '../errors.js'
import { isTreeMode, parseCommit } from './object-codec.js'
import type { ObjectStore } from './object-store.js'
import { readTree } from './tree.js'

export interface TreeLimits {
  /** Deepest directory nesting (default 64; a swarm tree is 5 deep). */
  maxTreeDepth: number
  /** Longest path in bytes (default 4,096). */
  maxPathBytes: number
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { maxTreeDepth: 64, maxPathBytes: 4096 }

/** Checks the trees of `commits`; subtrees measured before (`memo`) are not walked again. */
export function checkTreeLimits(store: ObjectStore, commits: Iterable<string>, limits: TreeLimits = DEFAULT_TREE_LIMITS, memo = new Map<string, { depth: number; path: number }>()): void {
  for (const c of commits) measure(store, parseCommit(store.read(c, 'commit').content).tree, limits, memo)
}

/** Depth and longest path of a tree, depth first with an explicit stack. */
function measure(store: ObjectStore, root: string, limits: TreeLimits, memo: Map<string, { depth: number; path: number }>): void {
  if (memo.has(root)) return
  const stack: Array<{ oid: string; depth: number; children?: Array<{ oid: string; name: number }> }> = [{ oid: root, depth: 1 }]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    if (top.depth > limits.maxTreeDepth) throw new LimitExceededError('tree depth', limits.maxTreeDepth, top.depth)
    if (!top.children) {
      const entries = readTree(store, top.oid)
      top.children = entries.filter((e) => isTreeMode(e.mode)).map((e) => ({ oid: e.oid, name: Buffer.byteLength(e.name) + 1 }))
      const pending = top.children.filter((ch) => !memo.has(ch.oid))
      if (pending.length > 0) {
        for (const ch of pending) stack.push({ oid: ch.oid, depth: top.depth + 1 })
        continue
      }
    }
    stack.pop()
    if (memo.has(top.oid)) continue
    const entries = readTree(store, top.oid)
    let depth = 1
    let path = Math.max(0, ...entries.filter((e) => !isTreeMode(e.mode)).map((e) => Buffer.byteLength(e.name)))
    for (const ch of top.children) {
      const m = memo.get(ch.oid)!
      depth = Math.max(depth, m.depth + 1)
      path = Math.max(path, ch.name + m.path)
    }
    if (top.depth - 1 + depth > limits.maxTreeDepth) throw new LimitExceededError('tree depth', limits.maxTreeDepth, top.depth - 1 + depth)
    if (path > limits.maxPathBytes) throw new LimitExceededError('path bytes', limits.maxPathBytes, path)
    memo.set(top.oid, { depth, path })
  }
}
