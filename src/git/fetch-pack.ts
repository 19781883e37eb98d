/**
 * The fetch client, protocol v0/v1, over any duplex stream: read the advertisement, send
 * wants, negotiate haves (newest first, 32 a round, as git's fetch-pack without multi_ack),
 * then receive the pack into a file in the repository's pack directory — counting bytes as
 * they arrive, so an oversized pack is cut off at the limit — and index it in bounded memory.
 * Refs are not touched: the caller decides where the fetched tips go (quarantine).
 * @module
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { CorruptObjectError, LimitExceededError } from '../errors.js'
import { installPack, storePack } from './bundle.js'
import { UNPACK_LIMIT, unpackObjects } from './unpack.js'
import { CommitQueue, type GraphNode } from './commit-queue.js'
import { isOid, parseCommit } from './object-codec.js'
import { DEFAULT_PACK_LIMITS, type PackLimits } from './pack-indexer.js'
import { encodePkt, FLUSH, PktReader } from './pkt-line.js'
import type { Repository } from './repository.js'

export interface FetchLimits extends PackLimits {
  /** Largest pack accepted, in bytes as received (default 256 MiB, Jami's MAX_FETCH_SIZE). */
  maxPackBytes: number
  /** Most refs in an advertisement (default 10,000). */
  maxRefs: number
  /** Longest a whole fetch may take, however steadily bytes trickle in (default 15 min: 256 MiB at 300 KB/s). */
  maxDurationMs: number
}

/** What a fetch may read besides the pack: the advertisement, negotiation and progress lines. */
const PROTOCOL_BYTES = 16 * 1024 * 1024

export const DEFAULT_FETCH_LIMITS: FetchLimits = { ...DEFAULT_PACK_LIMITS, maxPackBytes: 256 * 1024 * 1024, maxRefs: 10_000, maxDurationMs: 15 * 60_000 }

export interface FetchOptions {
  repo: Repository
  /** Which advertised objects to fetch (default: HEAD, or refs/heads/main). */
  want?: (refs: Map<string, string>) => string[]
  /** Tips of what we have, to negotiate from (default: every local ref). */
  haves?: string[]
  /** Jami's first line: `git-upload-pack /<path>\0host=<host>\0`. */
  request?: { path: string; host: string }
  limits?: Partial<FetchLimits>
  timeoutMs?: number
  /** Called as pack bytes arrive. */
  onProgress?: (bytes: number) => void
}

export interface FetchResult {
  refs: Map<string, string>
  /** Objects received (empty when already up to date). */
  objects: string[]
  packBytes: number
}

const CLIENT_CAPABILITIES = ['side-band-64k', 'ofs-delta', 'no-progress', 'agent=gitswarm/0.1']

async function readAdvertisement(reader: PktReader, maxRefs: number): Promise<{ refs: Map<string, string>; caps: Set<string> }> {
  const refs = new Map<string, string>()
  let caps = new Set<string>()
  for (let first = true; ; first = false) {
    const p = await reader.read()
    if (p.type === 'flush') break
    if (p.type !== 'data') throw new CorruptObjectError('advertisement', p.type === 'end' ? 'the server hung up' : `unexpected ${p.type}`)
    let line = p.payload.toString('utf8').replace(/\n$/, '')
    if (line.startsWith('ERR ')) throw new CorruptObjectError('remote', line.slice(4))
    if (first && line.startsWith('version ')) continue
    const nul = line.indexOf('\0')
    if (nul >= 0) {
      caps = new Set(line.slice(nul + 1).split(' '))
      line = line.slice(0, nul)
    }
    const [oid, name] = [line.slice(0, 40), line.slice(41)]
    if (!isOid(oid) || !name) throw new CorruptObjectError('advertisement', `bad line "${line.slice(0, 60)}"`)
    if (name !== 'capabilities^{}') refs.set(name, oid)
    if (refs.size > maxRefs) throw new LimitExceededError('advertised refs', maxRefs, refs.size)
  }
  return { refs, caps }
}

/** Our commits newest first, from `tips` (what git's fetch-pack offers as haves). */
function* historyNewestFirst(repo: Repository, tips: readonly string[]): Generator<string> {
  const queue = new CommitQueue<GraphNode>()
  const seen = new Set<string>()
  const push = (id: string): void => {
    if (seen.has(id)) return
    seen.add(id)
    const obj = repo.objects.tryRead(id)
    if (obj?.type !== 'commit') return
    const c = parseCommit(obj.content)
    queue.push({ id, parents: c.parents, time: c.committer.timestamp })
  }
  tips.forEach(push)
  while (queue.size > 0) {
    const n = queue.pop()
    yield n.id
    n.parents.forEach(push)
  }
}

export async function fetchPack(stream: Duplex, options: FetchOptions): Promise<FetchResult> {
  const limits = { ...DEFAULT_FETCH_LIMITS, ...options.limits }
  const { repo } = options
  const reader = new PktReader(stream, options.timeoutMs, { maxBytes: limits.maxPackBytes + PROTOCOL_BYTES, maxDurationMs: limits.maxDurationMs })
  if (options.request) stream.write(encodePkt(`git-upload-pack ${options.request.path}\0host=${options.request.host}\0`))
  const { refs, caps } = await readAdvertisement(reader, limits.maxRefs)
  const chosen = options.want ? options.want(refs) : [refs.get('HEAD') ?? refs.get('refs/heads/main')].filter((x): x is string => !!x)
  const wants = [...new Set(chosen)].filter((oid) => !repo.objects.has(oid))
  if (wants.length === 0) {
    stream.write(FLUSH)
    return { refs, objects: [], packBytes: 0 }
  }
  const useCaps = CLIENT_CAPABILITIES.filter((c) => caps.has(c.split('=')[0]!) || c.startsWith('agent='))
  const sideband = caps.has('side-band-64k') ? 'side-band-64k' : caps.has('side-band') ? 'side-band' : undefined
  if (sideband === 'side-band' && !useCaps.includes('side-band')) useCaps.unshift('side-band')
  wants.forEach((oid, i) => stream.write(encodePkt(i === 0 ? `want ${oid} ${useCaps.join(' ')}\n` : `want ${oid}\n`)))
  stream.write(FLUSH)

  // Negotiation: rounds of 32 haves; stop at the first ACK, or after 256 in vain.
  const haves = historyNewestFirst(repo, options.haves ?? [...repo.refs.list().values()])
  let acked = false
  let sent = 0
  while (!acked) {
    const round: string[] = []
    while (round.length < 32) {
      const h = haves.next()
      if (h.done) break
      round.push(h.value)
    }
    if (round.length === 0 || sent >= 256) break
    for (const h of round) stream.write(encodePkt(`have ${h}\n`))
    stream.write(FLUSH)
    sent += round.length
    const answer = await reader.readLine('ACK or NAK')
    if (answer?.startsWith('ACK ')) acked = true
    else if (answer?.startsWith('ERR ')) throw new CorruptObjectError('remote', answer.slice(4))
    else if (answer !== 'NAK') throw new CorruptObjectError('negotiation', `unexpected "${answer}"`)
  }
  stream.write(encodePkt('done\n'))
  if (!acked) {
    const answer = await reader.readLine('NAK')
    if (answer?.startsWith('ERR ')) throw new CorruptObjectError('remote', answer.slice(4))
    if (answer !== 'NAK' && !answer?.startsWith('ACK ')) throw new CorruptObjectError('negotiation', `expected NAK, got "${answer}"`)
  }
  return receivePack(reader, repo, sideband !== undefined, limits, options.onProgress, refs)
}

function isNegotiationLine(payload: Buffer): boolean {
  const text = payload.toString('latin1', 0, 4)
  return text === 'ACK ' || text === 'NAK\n' || text === 'NAK'
}

/** A pack this small is received in memory; a larger one spills to a file as it arrives. */
const IN_MEMORY_BYTES = 1024 * 1024

async function receivePack(reader: PktReader, repo: Repository, sideband: boolean, limits: FetchLimits, onProgress: FetchOptions['onProgress'], refs: Map<string, string>): Promise<FetchResult> {
  const dir = join(repo.gitdir, 'objects', 'pack')
  let tmp: string | undefined
  let fd = -1
  let memory: Buffer[] = []
  let bytes = 0
  let head = Buffer.alloc(0)
  const take = (data: Buffer): void => {
    bytes += data.length
    if (bytes > limits.maxPackBytes) throw new LimitExceededError('pack bytes', limits.maxPackBytes, bytes)
    // The object count is in the first 12 bytes: refuse an oversized pack before receiving it.
    if (head.length < 12) {
      head = Buffer.concat([head, data.subarray(0, 12 - head.length)])
      if (head.length === 12 && head.toString('latin1', 0, 4) === 'PACK' && head.readUInt32BE(8) > limits.maxObjects) {
        throw new LimitExceededError('pack objects', limits.maxObjects, head.readUInt32BE(8))
      }
    }
    if (fd < 0 && bytes <= IN_MEMORY_BYTES) memory.push(Buffer.from(data))
    else {
      if (fd < 0) {
        mkdirSync(dir, { recursive: true })
        tmp = join(dir, `tmp_pack_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2)}`)
        fd = openSync(tmp, 'w')
        for (const m of memory) writeSync(fd, m)
        memory = []
      }
      writeSync(fd, data)
    }
    onProgress?.(bytes)
  }
  try {
    if (sideband) {
      for (let started = false; ; ) {
        const p = await reader.read()
        if (p.type === 'flush') break
        if (p.type === 'end') throw new CorruptObjectError('pack', 'the server hung up before the end of the pack')
        if (p.type !== 'data' || p.payload.length === 0) throw new CorruptObjectError('side-band', 'bad packet')
        const band = p.payload[0]
        // git's upload-pack may still be answering haves (one ACK per common have) before the pack.
        if (!started && isNegotiationLine(p.payload)) continue
        if (p.payload.toString('latin1', 0, 4) === 'ERR ') throw new CorruptObjectError('remote', p.payload.toString('utf8', 4).trim())
        started = true
        if (band === 1) take(p.payload.subarray(1))
        else if (band === 3) throw new CorruptObjectError('remote', p.payload.subarray(1).toString('utf8').trim())
        else if (band !== 2) throw new CorruptObjectError('side-band', `unknown band ${band}`)
      }
    } else {
      while ((await reader.peek(4)).toString('latin1') !== 'PACK') {
        const p = await reader.read()
        if (p.type !== 'data' || !isNegotiationLine(p.payload)) throw new CorruptObjectError('pack', 'expected a pack')
      }
      for await (const chunk of reader.rest()) take(chunk)
    }
  } catch (err) {
    if (fd >= 0) closeSync(fd)
    if (tmp) rmSync(tmp, { force: true })
    throw err
  }
  if (fd < 0) {
    const pack = Buffer.concat(memory)
    if (pack.length >= 12 && pack.readUInt32BE(8) <= UNPACK_LIMIT) return { refs, objects: unpackObjects(repo.objects, pack, limits), packBytes: bytes }
    return { refs, objects: storePack(repo, pack, limits), packBytes: bytes }
  }
  closeSync(fd)
  return { refs, objects: installPack(repo, tmp!, limits), packBytes: bytes }
}
