/**
 * The derived history index: one line per validated commit, oldest → newest (the reverse of
 * --date-order), in `<gitdir>/gitswarm/history`. New commits on top of the head are appended;
 * anything else (a merge) rewrites the file from the in-memory order. It can always be rebuilt
 * from the repository, and opening the newest messages only parses the file's tail.
 * @module
 */
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { linkLock } from '../git/link-lock.js'
import { brokenOnPurpose, faultPoint } from '../util/fault-points.js'
import { field, parseCommitMessage } from '../validation/commit-message.js'
import type { CertificateCache } from '../validation/certs.js'
import type { CommitView, RepositoryView } from '../validation/view.js'
import { dateOrder, type GraphNode } from './order.js'

export type EntryKind = 'message' | 'edit' | 'reaction' | 'merge'

export interface IndexEntry extends GraphNode {
  deviceId: string
  /** Author account URI ('' when it cannot be resolved). */
  uri: string
  type: string
  kind: EntryKind
  /** Edited or reacted-to commit, for edits and reactions. */
  target: string
}

const HEADER = 'gitswarm-history 1'

export function indexPath(gitdir: string): string {
  return join(gitdir, 'gitswarm', 'history')
}

/** Classifies a commit for display (H3): merges and folded edits/reactions are not shown. */
export function entryFor(view: RepositoryView, certs: CertificateCache, commit: CommitView): IndexEntry {
  const f = commit.fields
  const base = { id: commit.id, parents: f.parents, time: f.committer.timestamp, deviceId: f.author.email }
  const parsed = f.parents.length > 1 ? undefined : parseCommitMessage(f.message)
  const msg = parsed?.ok ? parsed.value : {}
  const type = f.parents.length > 1 ? 'merge' : field(msg, 'type')
  // A leave deletes the author's certificates: read them in the parent tree.
  const leaving = type === 'member' && field(msg, 'action') === 'remove' && f.parents[0]
  const tree = leaving ? view.commit(f.parents[0]!).tree : commit.tree
  const cert = certs.certificates(tree, `devices/${f.author.email}.crt`)
  const uri = cert?.ok ? cert.value[0]!.issuerUid : ''
  let kind: EntryKind = 'message'
  let target = ''
  if (type === 'merge') kind = 'merge'
  else if (field(msg, 'edit')) [kind, target] = ['edit', field(msg, 'edit')]
  else if (field(msg, 'react-to')) [kind, target] = ['reaction', field(msg, 'react-to')]
  return { ...base, uri, type, kind, target }
}

function encode(e: IndexEntry): string {
  const parents = e.parents.length ? e.parents.join(',') : '-'
  return [e.id, e.time, parents, e.deviceId || '-', e.uri || '-', encodeURIComponent(e.type) || '-', e.kind, e.target || '-'].join(' ')
}

function decode(line: string): IndexEntry | undefined {
  const p = line.split(' ')
  if (p.length !== 8 || !/^[0-9a-f]{40}$/.test(p[0]!)) return undefined
  const dash = (v: string): string => (v === '-' ? '' : v)
  return {
    id: p[0]!,
    time: Number(p[1]),
    parents: p[2] === '-' ? [] : p[2]!.split(','),
    deviceId: dash(p[3]!),
    uri: dash(p[4]!),
    type: decodeURIComponent(dash(p[5]!)),
    kind: p[6] as EntryKind,
    target: dash(p[7]!),
  }
}

export class HistoryIndex {
  /** Oldest first (the file's order, so appends are O(1)), once fully loaded. */
  private chronological: IndexEntry[] | undefined
  /** Newest first (H1 order), derived on demand from `chronological`. */
  private newestFirst: IndexEntry[] | undefined
  private byId: Map<string, IndexEntry> | undefined
  private headId: string | undefined

  private constructor(
    readonly path: string | undefined,
    ordered?: IndexEntry[],
    head?: string,
  ) {
    if (ordered) this.setOrder(ordered)
    else this.headId = head
  }

  /** Replaces the whole order (`ordered` newest first). */
  private setOrder(ordered: IndexEntry[]): void {
    this.chronological = [...ordered].reverse()
    this.newestFirst = ordered
    this.byId = new Map(ordered.map((e) => [e.id, e]))
    this.headId = ordered[0]?.id
  }

  /** An in-memory index (read-only use, e.g. `gitswarm log` on someone else's repository). */
  static fromEntries(entries: IndexEntry[], tips: readonly string[], path?: string): HistoryIndex {
    const nodes = new Map(entries.map((e) => [e.id, e]))
    const order = dateOrder(nodes, tips).map((id) => nodes.get(id)!)
    return new HistoryIndex(path, order)
  }

  /** Opens the persisted index when its newest entry is `head`; otherwise undefined. */
  static open(gitdir: string, head: string): HistoryIndex | undefined {
    const path = indexPath(gitdir)
    if (!existsSync(path)) return undefined
    const last = readTailLines(path, 1)[0]
    if (!last?.startsWith(head)) return undefined
    return new HistoryIndex(path, undefined, head)
  }

  /** The conversation id (oldest entry, the root commit) recorded in the persisted index. */
  static readRoot(gitdir: string): string | undefined {
    const path = indexPath(gitdir)
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch {
      return undefined
    }
    try {
      const buf = Buffer.alloc(1024)
      const text = buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0))
      const entry = decode(text.split('\n')[1] ?? '')
      return entry && entry.parents.length === 0 ? entry.id : undefined
    } finally {
      closeSync(fd)
    }
  }

  /** The persisted index whatever its head (to be brought up to date by the caller). */
  static openStale(gitdir: string): HistoryIndex | undefined {
    const path = indexPath(gitdir)
    if (!existsSync(path)) return undefined
    const last = readTailLines(path, 1)[0]
    const head = last ? decode(last)?.id : undefined
    return head ? new HistoryIndex(path, undefined, head) : undefined
  }

  get head(): string | undefined {
    return this.headId
  }

  /** Whether every entry has been parsed into memory. */
  get loaded(): boolean {
    return this.chronological !== undefined
  }

  /** The `n` newest entries, newest first, parsing only the end of the file when possible. */
  newest(n: number): IndexEntry[] {
    if (this.chronological) return this.chronological.slice(-n).reverse()
    if (!this.path) return this.all().slice(0, n)
    return readTailLines(this.path, n)
      .reverse()
      .map(decode)
      .filter((e): e is IndexEntry => e !== undefined)
  }

  /** Every entry, newest first. */
  all(): IndexEntry[] {
    if (!this.chronological) {
      const lines = this.path && existsSync(this.path) ? readFileSync(this.path, 'utf8').split('\n') : []
      const entries = lines.slice(1).map(decode).filter((e): e is IndexEntry => e !== undefined)
      this.setOrder(entries.reverse())
    }
    this.newestFirst ??= [...this.chronological!].reverse()
    return this.newestFirst
  }

  get(id: string): IndexEntry | undefined {
    if (!this.byId) this.all()
    return this.byId!.get(id)
  }

  has(id: string): boolean {
    return this.get(id) !== undefined
  }

  get size(): number {
    if (!this.chronological) this.all()
    return this.chronological!.length
  }

  /**
   * Adds validated commits whose parents are all indexed, and makes `tip` the head.
   * When they extend the current head in a line they are appended; otherwise the order is
   * recomputed and the file rewritten.
   */
  add(entries: IndexEntry[], tip: string): void {
    let linear = true
    let prev = this.headId
    for (const e of entries) {
      if (prev !== undefined ? !(e.parents.length === 1 && e.parents[0] === prev) : e.parents.length !== 0) linear = false
      prev = e.id
    }
    if (linear && prev === tip) {
      // Appending needs no parse of the existing entries, and no copy of the loaded ones.
      if (this.chronological) {
        for (const e of entries) (this.chronological.push(e), this.byId!.set(e.id, e))
        this.newestFirst = undefined
      }
      const before = this.headId
      this.headId = tip
      if (this.path && !existsSync(this.path)) this.persist()
      else if (this.path && entries.length > 0) {
        const path = this.path
        this.whileLocked(() => {
          // Only onto the head we extend: another process may have written meanwhile.
          faultPoint('index:appending', dirname(dirname(path)))
          if (readTailLines(path, 1)[0]?.slice(0, 40) === before) appendFileSync(path, entries.map((e) => encode(e) + '\n').join(''))
        })
      }
      return
    }
    const nodes = new Map<string, IndexEntry>(this.all().map((e) => [e.id, e]))
    for (const e of entries) nodes.set(e.id, e)
    this.setOrder(dateOrder(nodes, [tip]).map((id) => nodes.get(id)!))
    this.persist()
  }

  /** Writes the whole index (temp file + rename). */
  persist(): void {
    if (!this.path) return
    const path = this.path
    mkdirSync(dirname(path), { recursive: true })
    this.all()
    const last = this.chronological!.length - 1
    const kept = brokenOnPurpose.indexDropsMerges ? this.chronological!.filter((e, i) => i === last || e.parents.length < 2) : this.chronological!
    const body = kept.map((e) => encode(e) + '\n').join('')
    this.whileLocked(() => {
      const tmp = `${path}.tmp-${process.pid}`
      writeFileSync(tmp, `${HEADER}\n${body}`)
      faultPoint('index:rewriting', dirname(dirname(path)))
      renameSync(tmp, path)
    })
  }

  /**
   * Runs a write of the file holding `history.lock`. Two processes may write one repository:
   * a file ending on head H must hold exactly the history of H, so every write happens under
   * the lock, and appends only onto the head they extend. When another writer holds the lock
   * this write is skipped, never waited for: the file then ends on an older head, and the
   * next reader extends or rebuilds it (Conversation.history).
   */
  private whileLocked(write: () => void): void {
    const lock = `${this.path}.lock`
    const gitdir = dirname(dirname(this.path!))
    let how = linkLock(gitdir, lock)
    if (how === 'unsupported') {
      try {
        closeSync(openSync(lock, 'wx'))
        how = 'taken'
      } catch {
        return
      }
    }
    if (how === 'busy') return
    try {
      write()
    } finally {
      unlinkSync(lock)
    }
  }

  static create(gitdir: string | undefined, entries: IndexEntry[], tip: string): HistoryIndex {
    const index = HistoryIndex.fromEntries(entries, [tip], gitdir ? indexPath(gitdir) : undefined)
    index.persist()
    return index
  }
}

/** The last `n` non-empty lines of a file, in file order, reading backwards in chunks. */
function readTailLines(path: string, n: number): string[] {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    let pos = size
    let text = ''
    let lines: string[] = []
    // The newest lines are short: a first small read usually holds them.
    let chunk = Math.min(65536, 512 * (n + 1))
    while (pos > 0) {
      const len = Math.min(chunk, pos)
      chunk = 65536
      pos -= len
      const buf = Buffer.alloc(len)
      readSync(fd, buf, 0, len, pos)
      text = buf.toString('latin1') + text
      lines = text.split('\n').filter((l) => l.length > 0)
      // The first line may be cut in the middle unless we reached the file start.
      if (lines.length > n + 1 || pos === 0) break
    }
    if (pos > 0) lines = lines.slice(1)
    const body = lines.filter((l) => !l.startsWith('gitswarm-history'))
    return body.slice(Math.max(0, body.length - n)).map((l) => Buffer.from(l, 'latin1').toString('utf8'))
  } finally {
    closeSync(fd)
  }
}
