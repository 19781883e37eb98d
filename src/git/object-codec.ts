/**
 * Byte-exact git object codec: commits (with Jami's `signature` header), trees and the loose
 * object framing. isomorphic-git's commit model drops unknown headers and appends a newline to
 * the message, which would change Jami commits' ids and signed bytes — hence our own.
 * @module
 */
import { createHash } from 'node:crypto'
import { CorruptObjectError } from '../errors.js'
import { brokenOnPurpose } from '../util/fault-points.js'

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag'

/** `name <email> seconds ±hhmm`, as git writes author and committer lines. */
export interface PersonLine {
  name: string
  email: string
  /** Unix seconds. */
  timestamp: number
  /** Time-zone offset as written, e.g. `+0000`. */
  timezone: string
}

/** A header line of a commit other than tree/parent/author/committer (value may span lines). */
export interface ExtraHeader {
  key: string
  value: string
}

export interface CommitFields {
  tree: string
  parents: string[]
  author: PersonLine
  committer: PersonLine
  /** Headers after `committer`, in order (Jami: exactly one `signature`). */
  extraHeaders: ExtraHeader[]
  /** The message exactly as stored: no newline is added or removed. */
  message: string
}

export interface TreeEntry {
  /** Octal mode as git writes it: `100644`, `100755`, `40000`, `120000`, `160000`. */
  mode: string
  name: string
  oid: string
}

const OID_RE = /^[0-9a-f]{40}$/
export const EMPTY_TREE_OID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

export function isOid(value: unknown): value is string {
  return typeof value === 'string' && OID_RE.test(value)
}

/** `type size\0content`, the bytes whose SHA-1 is the object id. */
export function frameObject(type: ObjectType, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content])
}

export function hashObject(type: ObjectType, content: Uint8Array): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex')
}

function formatPerson(p: PersonLine): string {
  return `${p.name} <${p.email}> ${p.timestamp} ${p.timezone}`
}

/** Serialises a commit byte for byte as libgit2 does (`git_commit_create_buffer` + extra headers). */
export function serializeCommit(c: CommitFields): Buffer {
  let head = `tree ${c.tree}\n`
  for (const p of c.parents) head += `parent ${p}\n`
  head += `author ${formatPerson(c.author)}\ncommitter ${formatPerson(c.committer)}\n`
  for (const h of c.extraHeaders) head += `${h.key} ${h.value.replace(/\n/g, '\n ')}\n`
  return Buffer.from(`${head}\n${c.message}`, 'utf8')
}

const PERSON_RE = /^(.*) <([^<>]*)> (\d+) ([+-]\d{4})$/

function parsePerson(line: string, what: string): PersonLine {
  const m = PERSON_RE.exec(line)
  if (!m) throw new CorruptObjectError('commit', `malformed ${what} line`)
  return { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), timezone: m[4]! }
}

/**
 * Parses a commit object's content. Strict about the fixed headers (git's order, exactly one
 * tree/author/committer); other headers are returned in order for the caller to judge.
 */
export function parseCommit(content: Uint8Array): CommitFields {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.length)
  const end = buf.indexOf('\n\n')
  if (end < 0) throw new CorruptObjectError('commit', 'no blank line after the headers')
  const lines = buf.toString('utf8', 0, end).split('\n')
  const message = buf.toString('utf8', end + 2)
  const headers: ExtraHeader[] = []
  for (const line of lines) {
    if (line.startsWith(' ')) {
      const last = headers[headers.length - 1]
      if (!last) throw new CorruptObjectError('commit', 'continuation line before any header')
      last.value += '\n' + line.slice(1)
      continue
    }
    const sp = line.indexOf(' ')
    if (sp <= 0) throw new CorruptObjectError('commit', `malformed header line "${line.slice(0, 40)}"`)
    headers.push({ key: line.slice(0, sp), value: line.slice(sp + 1) })
  }
  let i = 0
  const take = (key: string): string => {
    const h = headers[i]
    if (!h || h.key !== key) throw new CorruptObjectError('commit', `expected "${key}" header`)
    i++
    return h.value
  }
  const tree = take('tree')
  if (!isOid(tree)) throw new CorruptObjectError('commit', 'malformed tree id')
  const parents: string[] = []
  while (headers[i]?.key === 'parent') {
    const p = headers[i++]!.value
    if (!isOid(p)) throw new CorruptObjectError('commit', 'malformed parent id')
    parents.push(p)
  }
  const author = parsePerson(take('author'), 'author')
  const committer = parsePerson(take('committer'), 'committer')
  return { tree, parents, author, committer, extraHeaders: headers.slice(i), message }
}

/**
 * The bytes a `signature`-style header signs: the raw commit with every line of that header
 * removed (libgit2 `git_commit_extract_signature`). Returns undefined when the header is absent.
 */
export function stripHeader(content: Uint8Array, key = 'signature'): Buffer | undefined {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.length)
  const end = buf.indexOf('\n\n')
  if (end < 0) return undefined
  const prefix = Buffer.from(key + ' ')
  let pos = 0
  while (pos <= end) {
    const nl = buf.indexOf(0x0a, pos)
    if (buf.compare(prefix, 0, prefix.length, pos, pos + prefix.length) === 0) {
      let stop = nl + 1
      while (stop < end + 1 && buf[stop] === 0x20) stop = buf.indexOf(0x0a, stop) + 1
      return Buffer.concat([buf.subarray(0, pos), buf.subarray(stop)])
    }
    pos = nl + 1
  }
  return undefined
}

/** Git's tree order: byte order of names, directories compared as if they ended in `/`. */
function treeSortKey(e: TreeEntry): string {
  return e.mode === '40000' ? e.name + '/' : e.name
}

export function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const ka = Buffer.from(treeSortKey(a))
  const kb = Buffer.from(treeSortKey(b))
  return Buffer.compare(ka, kb)
}

export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = [...entries].sort(compareTreeEntries)
  if (brokenOnPurpose.unsortedTrees) sorted.reverse()
  const parts: Buffer[] = []
  for (const e of sorted) {
    parts.push(Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex'))
  }
  return Buffer.concat(parts)
}

export function parseTree(content: Uint8Array): TreeEntry[] {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.length)
  const entries: TreeEntry[] = []
  let pos = 0
  while (pos < buf.length) {
    const sp = buf.indexOf(0x20, pos)
    const nul = buf.indexOf(0, sp + 1)
    if (sp < 0 || nul < 0 || nul + 21 > buf.length) throw new CorruptObjectError('tree', 'truncated entry')
    const mode = buf.toString('latin1', pos, sp)
    const name = buf.toString('utf8', sp + 1, nul)
    if (!/^[0-7]{5,6}$/.test(mode) || name.length === 0 || name.includes('/')) {
      throw new CorruptObjectError('tree', `malformed entry "${name}"`)
    }
    entries.push({ mode, name, oid: buf.toString('hex', nul + 1, nul + 21) })
    pos = nul + 21
  }
  return entries
}

export function isTreeMode(mode: string): boolean {
  return mode === '40000' || mode === '040000'
}

export function isBlobMode(mode: string): boolean {
  return mode === '100644' || mode === '100755'
}
