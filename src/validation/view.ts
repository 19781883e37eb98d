/**
 * What the rules engine reads, as interfaces: a repository is whatever can hand out commits,
 * their trees, tree diffs and ancestry. The engine never touches a file; src/swarm backs
 * these views with the object store, tests and the conformance suite can back them with maps.
 * @module
 */
import type { CommitFields } from '../git/object-codec.js'
import type { TreeChange } from '../git/tree.js'

export type { TreeChange }

/** Read-only view of one tree. */
export interface TreeView {
  /** Id of the tree object (equal ids mean equal trees). */
  readonly id: string
  /** Blob content at `path`, or undefined when absent or not a regular file. */
  read(path: string): Uint8Array | undefined
  /** Blob id at `path`, or undefined (cheap existence test and cache key). */
  blobId(path: string): string | undefined
  /** Names of the entries directly inside directory `dir` ('' for the root). */
  list(dir: string): string[]
}

/** One commit, parsed, with the bytes its signature covers. */
export interface CommitView {
  readonly id: string
  readonly fields: CommitFields
  /** The raw commit object content. */
  readonly raw: Uint8Array
  readonly tree: TreeView
}

/** Read access to a repository's commits and trees, as the rules need it. */
export interface RepositoryView {
  /**
   * The commit with this id. Throws NotFoundError / CorruptObjectError when the object is
   * missing or damaged (the engine turns that into rule `commit.object`).
   */
  commit(id: string): CommitView
  /** Whether the repository holds this commit at all (for references such as `edit`). */
  hasCommit(id: string): boolean
  /** Changed paths from `from` (undefined = empty tree) to `to`. */
  changes(from: TreeView | undefined, to: TreeView): TreeChange[]
  /** True when `ancestor` is `descendant` or reachable from it through parents. */
  isAncestor(ancestor: string, descendant: string): boolean
}
