/**
 * Trees as path maps: look a path up, list a directory, diff two trees into changed paths
 * (added / modified / deleted — never from diffstat text, see Jami gap G3), and write a new
 * tree from a base plus edits, touching only the subtrees on the edited paths.
 * @module
 */
import { CorruptObjectError, InvalidArgumentError } from '../errors.js'
import { isBlobMode, isTreeMode, parseTree, serializeTree, type TreeEntry } from './object-codec.js'
import type { ObjectStore } from './object-store.js'

export type ChangeStatus = 'added' | 'modified' | 'deleted'

export interface TreeChange {
  /** Full path of a blob (or other non-tree entry) that differs. */
  path: string
  status: ChangeStatus
  oldOid?: string
  newOid?: string
  oldMode?: string
  newMode?: string
}

const parsedTrees = new WeakMap<ObjectStore, Map<string, TreeEntry[]>>()

/** Entries of a tree object, memoised per store (trees are immutable). */
export function readTree(store: ObjectStore, oid: string): TreeEntry[] {
  let memo = parsedTrees.get(store)
  if (!memo) parsedTrees.set(store, (memo = new Map()))
  const hit = memo.get(oid)
  if (hit) return hit
  const entries = parseTree(store.read(oid, 'tree').content)
  if (memo.size >= 8192) memo.delete(memo.keys().next().value!)
  memo.set(oid, entries)
  return entries
}

function splitPath(path: string): string[] {
  const parts = path.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new InvalidArgumentError(`invalid path "${path}"`)
  return parts
}

/** The entry at `path` in the tree `root`, or undefined. */
export function lookupPath(store: ObjectStore, root: string, path: string): TreeEntry | undefined {
  let tree = root
  const parts = splitPath(path)
  for (let i = 0; i < parts.length; i++) {
    const entry = readTree(store, tree).find((e) => e.name === parts[i])
    if (!entry) return undefined
    if (i === parts.length - 1) return entry
    if (!isTreeMode(entry.mode)) return undefined
    tree = entry.oid
  }
  return undefined
}

/** Names in the directory at `dir` ('' = root); empty when it does not exist. */
export function listDirectory(store: ObjectStore, root: string, dir: string): TreeEntry[] {
  if (dir === '') return readTree(store, root)
  const entry = lookupPath(store, root, dir)
  return entry && isTreeMode(entry.mode) ? readTree(store, entry.oid) : []
}

/** Every blob path under a tree with its id (iterative: any depth). */
export function* walkTree(store: ObjectStore, root: string, prefix = ''): Generator<{ path: string; oid: string; mode: string }> {
  const stack: Array<[oid: string, prefix: string]> = [[root, prefix]]
  while (stack.length > 0) {
    const [oid, base] = stack.pop()!
    const entries = readTree(store, oid)
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!
      if (isTreeMode(e.mode)) stack.push([e.oid, base ? `${base}/${e.name}` : e.name])
    }
    for (const e of entries) if (!isTreeMode(e.mode)) yield { path: base ? `${base}/${e.name}` : e.name, oid: e.oid, mode: e.mode }
  }
}

/**
 * The changed non-tree paths between two trees (`from` undefined = empty tree). Identical
 * subtrees are skipped by id, so a diff costs in proportion to what changed; iterative, so
 * a hostile depth cannot exhaust the stack.
 */
export function diffTrees(store: ObjectStore, from: string | undefined, to: string | undefined): TreeChange[] {
  const out: TreeChange[] = []
  const stack: Array<[from: string | undefined, to: string | undefined, prefix: string]> = [[from, to, '']]
  while (stack.length > 0) {
    const [x0, y0, prefix] = stack.pop()!
    if (x0 === y0) continue
    const a = x0 ? readTree(store, x0) : []
    const b = y0 ? readTree(store, y0) : []
    const byName = new Map<string, [TreeEntry | undefined, TreeEntry | undefined]>()
    for (const e of a) byName.set(e.name, [e, undefined])
    for (const e of b) byName.set(e.name, [byName.get(e.name)?.[0], e])
    for (const name of [...byName.keys()].sort()) {
      const [x, y] = byName.get(name)!
      const path = prefix ? `${prefix}/${name}` : name
      const xTree = x && isTreeMode(x.mode)
      const yTree = y && isTreeMode(y.mode)
      if (x && y && x.oid === y.oid && x.mode === y.mode) continue
      if (xTree || yTree) stack.push([xTree ? x.oid : undefined, yTree ? y.oid : undefined, path])
      if (x && !xTree && y && !yTree) {
        out.push({ path, status: 'modified', oldOid: x.oid, newOid: y.oid, oldMode: x.mode, newMode: y.mode })
      } else {
        if (x && !xTree) out.push({ path, status: 'deleted', oldOid: x.oid, oldMode: x.mode })
        if (y && !yTree) out.push({ path, status: 'added', newOid: y.oid, newMode: y.mode })
      }
    }
  }
  return out
}

/** A tree edit: put a blob (`oid`) at `path`, or delete `path` (`oid` null). */
export interface TreeEdit {
  path: string
  oid: string | null
  mode?: string
}

/**
 * Writes the tree obtained by applying `edits` to `base` (undefined = empty) and returns its
 * id. Directories left empty disappear, as git cannot represent them (and are not written).
 */
export function editTree(store: ObjectStore, base: string | undefined, edits: readonly TreeEdit[]): string {
  return editSubtree(store, base, edits) ?? store.write('tree', Buffer.alloc(0))
}

/** The edited tree's id, or undefined when nothing is left in it. */
function editSubtree(store: ObjectStore, base: string | undefined, edits: readonly TreeEdit[]): string | undefined {
  const grouped = new Map<string, TreeEdit[]>()
  const direct = new Map<string, TreeEdit>()
  for (const edit of edits) {
    const parts = splitPath(edit.path)
    if (parts.length === 1) direct.set(parts[0]!, edit)
    else {
      const list = grouped.get(parts[0]!) ?? []
      list.push({ ...edit, path: parts.slice(1).join('/') })
      grouped.set(parts[0]!, list)
    }
  }
  const entries = new Map<string, TreeEntry>()
  for (const e of base ? readTree(store, base) : []) entries.set(e.name, e)
  for (const [name, edit] of direct) {
    if (edit.oid === null) entries.delete(name)
    else entries.set(name, { mode: edit.mode ?? '100644', name, oid: edit.oid })
  }
  for (const [name, sub] of grouped) {
    const existing = entries.get(name)
    if (existing && !isTreeMode(existing.mode)) {
      throw new InvalidArgumentError(`"${name}" is a file, not a directory`, { path: name })
    }
    const child = editSubtree(store, existing?.oid, sub)
    if (child === undefined) entries.delete(name)
    else entries.set(name, { mode: '40000', name, oid: child })
  }
  if (entries.size === 0) return undefined
  return store.write('tree', serializeTree([...entries.values()]))
}

/** Reads the blob at `path`, or undefined when absent or not a regular file. */
export function readBlobAt(store: ObjectStore, root: string, path: string): Buffer | undefined {
  const entry = lookupPath(store, root, path)
  if (!entry || !isBlobMode(entry.mode)) return undefined
  const obj = store.read(entry.oid)
  if (obj.type !== 'blob') throw new CorruptObjectError(`blob ${entry.oid}`, `is a ${obj.type}`)
  return obj.content
}
