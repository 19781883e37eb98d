/**
 * Git bundles (v2): a header listing prerequisites and refs, then a pack. Written by us
 * with a deterministic object order (fixtures regenerate byte for byte whatever the git
 * version), read back without git through our pack indexer.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CorruptObjectError } from '../errors.js'
import { isOid, isTreeMode, parseCommit, parseTree } from './object-codec.js'
import type { ObjectStore } from './object-store.js'
import { indexPack } from './pack-indexer.js'
import { writePack, type PackObject } from './pack-writer.js'
import type { Repository } from './repository.js'

const SIGNATURE = '# v2 git bundle\n'

/**
 * Every object reachable from `tips` and not from `haves`, in a fixed order: commits from
 * the tips downwards (first parents first), each followed by the trees and blobs it adds.
 */
export function collectObjects(store: ObjectStore, tips: readonly string[], haves: readonly string[] = [], options: { skipMissing?: boolean } = {}): PackObject[] {
  const excluded = new Set<string>()
  const exclude = (id: string, kind: 'commit' | 'tree'): void => {
    const stack: Array<[string, 'commit' | 'tree' | 'blob']> = [[id, kind]]
    while (stack.length > 0) {
      const [oid, type] = stack.pop()!
      if (excluded.has(oid) || !store.has(oid)) continue
      excluded.add(oid)
      if (type === 'commit') {
        const c = parseCommit(store.read(oid, 'commit').content)
        stack.push([c.tree, 'tree'], ...c.parents.map((p): [string, 'commit'] => [p, 'commit']))
      } else if (type === 'tree') {
        for (const e of parseTree(store.read(oid, 'tree').content)) stack.push([e.oid, isTreeMode(e.mode) ? 'tree' : 'blob'])
      }
    }
  }
  for (const h of haves) exclude(h, 'commit')
  const out: PackObject[] = []
  const seen = new Set<string>(excluded)
  // skipMissing: conformance cases deliberately reference objects that do not exist.
  const present = (oid: string): boolean => !options.skipMissing || store.has(oid)
  const addTree = (oid: string): void => {
    if (seen.has(oid) || !present(oid)) return
    seen.add(oid)
    const obj = store.read(oid, 'tree')
    out.push({ type: 'tree', content: obj.content })
    for (const e of parseTree(obj.content)) {
      if (e.mode === '160000') continue
      if (isTreeMode(e.mode)) addTree(e.oid)
      else if (!seen.has(e.oid) && present(e.oid)) {
        seen.add(e.oid)
        out.push({ type: 'blob', content: store.read(e.oid, 'blob').content })
      }
    }
  }
  const stack = [...tips].reverse()
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id) || !present(id)) continue
    seen.add(id)
    const obj = store.read(id, 'commit')
    out.push({ type: 'commit', content: obj.content })
    const c = parseCommit(obj.content)
    addTree(c.tree)
    for (let i = c.parents.length - 1; i >= 0; i--) stack.push(c.parents[i]!)
  }
  return out
}

/** A bundle of `refs` (name → id); `prerequisites` are commits the receiver must already have. */
export function writeBundle(store: ObjectStore, refs: ReadonlyMap<string, string>, prerequisites: readonly string[] = [], options: { skipMissing?: boolean } = {}): Buffer {
  let header = SIGNATURE
  for (const p of prerequisites) header += `-${p}\n`
  for (const [name, oid] of refs) header += `${oid} ${name}\n`
  const pack = writePack(collectObjects(store, [...new Set(refs.values())], prerequisites, options))
  return Buffer.concat([Buffer.from(header + '\n'), pack])
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
export function storePack(repo: Repository, pack: Buffer): string[] {
  const indexed = indexPack(pack, (oid) => repo.objects.tryRead(oid))
  const dir = join(repo.gitdir, 'objects', 'pack')
  mkdirSync(dir, { recursive: true })
  const base = join(dir, `pack-${indexed.checksum}`)
  writeFileSync(`${base}.pack`, pack)
  writeFileSync(`${base}.idx`, indexed.idx)
  repo.objects.scanPacks()
  return indexed.objects.map((o) => o.oid)
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
