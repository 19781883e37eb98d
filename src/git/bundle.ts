/**
 * Git bundles (v2): a header listing prerequisites and refs, then a pack. Written by us
 * with a deterministic object order (fixtures regenerate byte for byte whatever the git
 * version), read back without git through our pack indexer.
 * @module
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CorruptObjectError } from '../errors.js'
import { faultPoint } from '../util/fault-points.js'
import { syncFileAt, writeNewFile } from './durability.js'
import { isOid, isTreeMode, parseCommit, parseTree, type ObjectType } from './object-codec.js'
import { CommitQueue, type GraphNode } from './commit-queue.js'
import type { ObjectStore } from './object-store.js'
import { indexPackFile, type PackLimits } from './pack-indexer.js'
import { packChunks, type PackObject } from './pack-writer.js'
import type { Repository } from './repository.js'

const SIGNATURE = '# v2 git bundle\n'

export interface ObjectId {
  oid: string
  type: ObjectType
}

/**
 * Every object reachable from `tips` and not from `haves`, in a fixed order: commits from
 * the tips downwards (first parents first), each followed by the trees and blobs it adds.
 */
export function collectObjects(store: ObjectStore, tips: readonly string[], haves: readonly string[] = [], options: { skipMissing?: boolean } = {}): ObjectId[] {
  const present = (oid: string): boolean => !options.skipMissing || store.has(oid)
  const { excludedCommits, boundary } = uninteresting(store, tips, haves.filter((h) => store.tryRead(h)?.type === 'commit'))
  // Trees and blobs the receiver has: those of the boundary commits (usually one or two trees).
  const seen = new Set<string>(excludedCommits)
  const excludeTree = (root: string): void => {
    const stack = [root]
    while (stack.length > 0) {
      const oid = stack.pop()!
      if (seen.has(oid) || !store.has(oid)) continue
      seen.add(oid)
      for (const e of parseTree(store.read(oid, 'tree').content)) {
        if (isTreeMode(e.mode)) stack.push(e.oid)
        else seen.add(e.oid)
      }
    }
  }
  for (const c of boundary) excludeTree(parseCommit(store.read(c, 'commit').content).tree)
  const out: ObjectId[] = []
  // skipMissing: conformance cases deliberately reference objects that do not exist.
  // Each tree, then its blobs, then its subtrees in order — with an explicit stack: any depth is safe.
  const addTree = (root: string): void => {
    const stack = [root]
    while (stack.length > 0) {
      const oid = stack.pop()!
      if (seen.has(oid) || !present(oid)) continue
      seen.add(oid)
      out.push({ oid, type: 'tree' })
      const subtrees: string[] = []
      for (const e of parseTree(store.read(oid, 'tree').content)) {
        if (e.mode === '160000') continue
        if (isTreeMode(e.mode)) subtrees.push(e.oid)
        else if (!seen.has(e.oid) && present(e.oid)) {
          seen.add(e.oid)
          out.push({ oid: e.oid, type: 'blob' })
        }
      }
      for (let i = subtrees.length - 1; i >= 0; i--) stack.push(subtrees[i]!)
    }
  }
  const stack = [...tips].reverse()
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id) || !present(id)) continue
    seen.add(id)
    out.push({ oid: id, type: 'commit' })
    const c = parseCommit(store.read(id, 'commit').content)
    addTree(c.tree)
    for (let i = c.parents.length - 1; i >= 0; i--) stack.push(c.parents[i]!)
  }
  return out
}

/**
 * The commits reachable from `haves` that a walk from `tips` would meet, found as git does:
 * newest first, marks flowing from the haves to their parents, stopping as soon as only
 * uninteresting commits are queued — so the cost follows what is new, not the history.
 */
function uninteresting(store: ObjectStore, tips: readonly string[], haves: readonly string[]): { excludedCommits: Set<string>; boundary: string[] } {
  const excludedCommits = new Set<string>()
  if (haves.length === 0) return { excludedCommits, boundary: [] }
  const state = new Map<string, 'in' | 'out'>()
  const queue = new CommitQueue<GraphNode>()
  let interesting = 0
  const node = (id: string): GraphNode | undefined => {
    const obj = store.tryRead(id)
    if (obj?.type !== 'commit') return undefined
    const c = parseCommit(obj.content)
    return { id, parents: c.parents, time: c.committer.timestamp }
  }
  // Commits already taken from the queue: one found uninteresting afterwards (commits of equal
  // time leave in any order) goes back in, so the mark reaches the parents it had marked
  // interesting — else everything below would be sent again.
  const popped = new Set<string>()
  const mark = (id: string, flag: 'in' | 'out'): void => {
    const was = state.get(id)
    if (was === 'out' || was === flag) return
    const n = node(id)
    if (!n) return
    state.set(id, flag)
    if (was === undefined) {
      queue.push(n)
      if (flag === 'in') interesting++
    } else if (popped.delete(id)) queue.push(n)
    else interesting--
  }
  for (const h of haves) mark(h, 'out')
  for (const t of tips) mark(t, 'in')
  const boundary: string[] = []
  while (queue.size > 0 && interesting > 0) {
    const n = queue.pop()
    popped.add(n.id)
    const flag = state.get(n.id)!
    if (flag === 'in') interesting--
    else {
      excludedCommits.add(n.id)
      boundary.push(n.id)
    }
    for (const p of n.parents) mark(p, flag)
  }
  // Whatever is still queued as uninteresting is on the boundary too.
  while (queue.size > 0) {
    const n = queue.pop()
    if (state.get(n.id) === 'out') excludedCommits.add(n.id)
  }
  return { excludedCommits, boundary: boundary.slice(0, 16) }
}

/** The objects' contents, read one at a time as the pack is written. */
export function* readObjects(store: ObjectStore, ids: readonly ObjectId[]): Generator<PackObject> {
  for (const { oid, type } of ids) yield { type, content: store.read(oid, type).content }
}

/** A bundle of `refs` (name → id); `prerequisites` are commits the receiver must already have. */
export function writeBundle(store: ObjectStore, refs: ReadonlyMap<string, string>, prerequisites: readonly string[] = [], options: { skipMissing?: boolean } = {}): Buffer {
  let header = SIGNATURE
  for (const p of prerequisites) header += `-${p}\n`
  for (const [name, oid] of refs) header += `${oid} ${name}\n`
  const ids = collectObjects(store, [...new Set(refs.values())], prerequisites, options)
  return Buffer.concat([Buffer.from(header + '\n'), ...packChunks(ids.length, readObjects(store, ids))])
}

export interface ParsedBundle {
  refs: Map<string, string>
  prerequisites: string[]
  pack: Buffer
}

export function parseBundle(data: Buffer): ParsedBundle {
  const end = data.indexOf('\n\n')
  const text = end > 0 ? data.toString('utf8', 0, end + 1) : ''
  if (!text.startsWith(SIGNATURE)) throw new CorruptObjectError('bundle', 'not a v2 git bundle')
  const refs = new Map<string, string>()
  const prerequisites: string[] = []
  for (const line of text.slice(SIGNATURE.length).split('\n')) {
    if (!line) continue
    if (line.startsWith('-')) {
      const oid = line.slice(1, 41)
      if (!isOid(oid)) throw new CorruptObjectError('bundle', `bad prerequisite "${line}"`)
      prerequisites.push(oid)
      continue
    }
    const [oid, name] = [line.slice(0, 40), line.slice(41)]
    if (!isOid(oid) || !name) throw new CorruptObjectError('bundle', `bad ref line "${line}"`)
    refs.set(name, oid)
  }
  return { refs, prerequisites, pack: data.subarray(end + 2) }
}

/** Stores a pack in `repo` (indexed by us) and returns what it held. */
export function storePack(repo: Repository, pack: Buffer, limits?: PackLimits): string[] {
  const dir = join(repo.gitdir, 'objects', 'pack')
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `tmp_pack_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2)}`)
  writeFileSync(tmp, pack)
  return installPack(repo, tmp, limits)
}

/**
 * Indexes a pack file received into `repo`'s pack directory and moves it into place as
 * `pack-<checksum>.{pack,idx}`; the temporary file is removed whatever happens.
 */
export function installPack(repo: Repository, tmpPack: string, limits?: PackLimits): string[] {
  try {
    const indexed = indexPackFile(tmpPack, (oid) => repo.objects.tryRead(oid), limits)
    faultPoint('pack:received', repo.gitdir)
    const base = join(dirname(tmpPack), `pack-${indexed.checksum}`)
    const full = repo.objects.durability === 'full'
    rmSync(`${base}.idx.tmp`, { force: true }) // a crashed run's leftover
    writeNewFile(`${base}.idx.tmp`, indexed.idx, full)
    if (full) syncFileAt(tmpPack)
    // The pack before its index: a reader only looks for packs that have an index.
    renameSync(tmpPack, `${base}.pack`)
    renameSync(`${base}.idx.tmp`, `${base}.idx`)
    repo.objects.touched(dirname(tmpPack))
    faultPoint('pack:renamed', repo.gitdir)
    repo.objects.scanPacks()
    return indexed.objects.map((o) => o.oid)
  } finally {
    rmSync(tmpPack, { force: true })
  }
}

/** Unpacks a bundle into `repo` and sets its refs (HEAD follows `refs/heads/main`). */
export function unbundle(repo: Repository, data: Buffer): ParsedBundle {
  const bundle = parseBundle(data)
  for (const p of bundle.prerequisites) {
    if (!repo.objects.has(p)) throw new CorruptObjectError('bundle', `prerequisite ${p} is missing`)
  }
  storePack(repo, bundle.pack)
  for (const [name, oid] of bundle.refs) if (name.startsWith('refs/')) repo.refs.update(name, oid)
  return bundle
}
