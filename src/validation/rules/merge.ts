/**
 * Merge commits (reference §4.11): two parents, and no path differing from both of them —
 * a merge brings nothing neither side had ("evil merge", GitLab #1146).
 * @module
 */
import type { CommitContext } from '../context.js'
import { check } from '../verdict.js'

export function checkMerge(ctx: CommitContext): void {
  const parents = ctx.commit.fields.parents
  check(parents.length === 2, 'merge.parents', `a merge has exactly 2 parents, this one has ${parents.length}`)
  const { repo } = ctx.env
  const second = repo.commit(parents[1]!)
  const fromFirst = new Set(ctx.changes.map((c) => c.path))
  for (const change of repo.changes(second.tree, ctx.commit.tree)) {
    check(!fromFirst.has(change.path), 'merge.content', `${change.path} differs from both parents`, change.path)
  }
}
