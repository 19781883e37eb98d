/**
 * The rules engine's RepositoryView backed by a git object store, with the memoisation that
 * makes full-history validation cheap: one TreeView per tree id (path lookups cached), one
 * CommitView per commit, generation numbers for ancestry questions.
 * @module
 */
import { NotFoundError } from '../errors.js'
import { parseCommit } from '../git/object-codec.js'
import type { ObjectStore } from '../git/object-store.js'
import { diffTrees, listDirectory, lookupPath, readBlobAt } from '../git/tree.js'
import type { CommitView, RepositoryView, TreeChange, TreeView } from '../validation/view.js'

class StoreTreeView implements TreeView {
  private readonly ids = new Map<string, string | null>()

  constructor(
    private readonly store: ObjectStore,
    readonly id: string,
  ) {}

  blobId(path: string): string | undefined {
    let hit = this.ids.get(path)
    if (hit === undefined) {
      const entry = lookupPath(this.store, this.id, path)
      hit = entry && (entry.mode === '100644' || entry.mode === '100755') ? entry.oid : null
      this.ids.set(path, hit)
    }
    return hit ?? undefined
  }

  read(path: string): Uint8Array | undefined {
    return this.blobId(path) === undefined ? undefined : readBlobAt(this.store, this.id, path)
  }

  list(dir: string): string[] {
    return listDirectory(this.store, this.id, dir).map((e) => e.name)
  }
}

export class StoreRepositoryView implements RepositoryView {
  private readonly trees = new Map<string, StoreTreeView>()
  private readonly commits = new Map<string, CommitView>()
  private readonly generations = new Map<string, number>()

  constructor(readonly store: ObjectStore) {}

  tree(id: string): TreeView {
    let view = this.trees.get(id)
    if (!view) {
      if (this.trees.size >= 4096) this.trees.delete(this.trees.keys().next().value!)
      view = new StoreTreeView(this.store, id)
      this.trees.set(id, view)
    }
    return view
  }

  commit(id: string): CommitView {
    let view = this.commits.get(id)
    if (!view) {
      const raw = this.store.read(id, 'commit').content
      const fields = parseCommit(raw)
      view = { id, fields, raw, tree: this.tree(fields.tree) }
      if (this.commits.size >= 50_000) this.commits.delete(this.commits.keys().next().value!)
      this.commits.set(id, view)
    }
    return view
  }

  hasCommit(id: string): boolean {
    if (this.commits.has(id)) return true
    const obj = this.store.tryRead(id)
    return obj?.type === 'commit'
  }

  changes(from: TreeView | undefined, to: TreeView): TreeChange[] {
    return diffTrees(this.store, from?.id, to.id)
  }

  /** Longest path to a root (root = 1); lets ancestry walks stop early. */
  generation(id: string): number {
    const known = this.generations.get(id)
    if (known !== undefined) return known
    const stack = [id]
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      if (this.generations.has(top)) {
        stack.pop()
        continue
      }
      const parents = this.commit(top).fields.parents
      const missing = parents.filter((p) => !this.generations.has(p))
      if (missing.length > 0) {
        stack.push(...missing)
        continue
      }
      stack.pop()
      this.generations.set(top, 1 + Math.max(0, ...parents.map((p) => this.generations.get(p)!)))
    }
    return this.generations.get(id)!
  }

  /** Parents of a commit (with time and isAncestor, what git/merge.ts's CommitGraph reads). */
  parents(id: string): readonly string[] {
    return this.commit(id).fields.parents
  }

  /** Committer time of a commit, Unix seconds. */
  time(id: string): number {
    return this.commit(id).fields.committer.timestamp
  }

  isAncestor(ancestor: string, descendant: string): boolean {
    if (ancestor === descendant) return true
    if (!this.hasCommit(ancestor)) return false
    const floor = this.generation(ancestor)
    const seen = new Set<string>([descendant])
    const queue = [descendant]
    while (queue.length > 0) {
      const id = queue.pop()!
      for (const p of this.commit(id).fields.parents) {
        if (p === ancestor) return true
        if (seen.has(p) || this.generation(p) <= floor) continue
        seen.add(p)
        queue.push(p)
      }
    }
    return false
  }
}

/** Throws NotFoundError unless the repository holds `id` as a commit. */
export function requireCommit(view: StoreRepositoryView, id: string): CommitView {
  if (!view.hasCommit(id)) throw new NotFoundError(`commit ${id}`, { commit: id })
  return view.commit(id)
}
