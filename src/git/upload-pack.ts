/**
 * The upload-pack server, protocol v0/v1, over any duplex stream (a Tox channel, a pipe, a
 * socket, git's `ext::` transport): ref advertisement, wants (several honoured), haves
 * negotiated without multi_ack as git's own upload-pack does — each `have` checked to exist
 * before it counts (Jami's gap G10) — then a pack of exactly the missing objects, streamed
 * over side-band-64k. A Tox channel can serve several fetches one after another; git's own
 * transports (ext::, ssh) expect exactly one, then the server's exit (`maxFetches: 1`).
 * @module
 */
import type { Duplex } from 'node:stream'
import { CorruptObjectError, InvalidArgumentError } from '../errors.js'
import { collectObjects, readObjects } from './bundle.js'
import { isOid } from './object-codec.js'
import { packChunks } from './pack-writer.js'
import { drained, encodePkt, FLUSH, PktReader, sideBand } from './pkt-line.js'
import type { Repository } from './repository.js'

export const SERVER_CAPABILITIES = ['side-band', 'side-band-64k', 'ofs-delta', 'no-progress', 'symref=HEAD:refs/heads/main', 'agent=gitswarm/0.1']
const ZERO = '0'.repeat(40)

export interface UploadPackOptions {
  repo: Repository
  /** Refs to advertise (default: HEAD and every ref under refs/heads/). */
  refs?: () => Map<string, string>
  /** Called after each pack is sent, with the wanted commits (Jami: status SENT). */
  onFetched?: (wants: string[]) => void
  /** Inactivity timeout while waiting for the client (default 60 s). */
  timeoutMs?: number
  /** Most wants and haves accepted in one fetch (default 100,000). */
  maxLines?: number
  /**
   * Fetches served before returning (default: until the client hangs up). git's own
   * upload-pack serves one: a stock git client closes its end after the pack, so another
   * advertisement would only meet a broken pipe.
   */
  maxFetches?: number
}

export interface ServedFetch {
  wants: string[]
  common: string[]
  objects: number
}

function advertisedRefs(repo: Repository): Map<string, string> {
  const refs = new Map<string, string>()
  const head = repo.refs.resolve('HEAD')
  if (head) refs.set('HEAD', head)
  for (const [name, oid] of repo.refs.list('refs/heads/')) refs.set(name, oid)
  return refs
}

function advertise(stream: Duplex, refs: Map<string, string>): void {
  const caps = SERVER_CAPABILITIES.join(' ')
  if (refs.size === 0) {
    stream.write(encodePkt(`${ZERO} capabilities^{}\0${caps}\n`))
  } else {
    let first = true
    for (const [name, oid] of refs) {
      stream.write(encodePkt(first ? `${oid} ${name}\0${caps}\n` : `${oid} ${name}\n`))
      first = false
    }
  }
  stream.write(FLUSH)
}

/**
 * Serves fetches on `stream` until the client hangs up (or sends no wants). Resolves with
 * what each fetch took; rejects on a protocol error after telling the client (`ERR`).
 */
export async function serveUploadPack(stream: Duplex, options: UploadPackOptions): Promise<ServedFetch[]> {
  const reader = new PktReader(stream, options.timeoutMs)
  const served: ServedFetch[] = []
  const maxLines = options.maxLines ?? 100_000
  try {
    for (;;) {
      const refs = (options.refs ?? (() => advertisedRefs(options.repo)))()
      advertise(stream, refs)
      const tips = new Set(refs.values())
      const wants: string[] = []
      let sideband: 'side-band-64k' | 'side-band' | undefined
      for (;;) {
        const p = await reader.read()
        if (p.type === 'end') return served
        if (p.type !== 'data') break
        const line = p.payload.toString('utf8').replace(/\n$/, '')
        if (line.startsWith('git-upload-pack ') || line.startsWith('version ')) continue // Jami's request line
        const m = /^want ([0-9a-f]{40})(?: (.*))?$/.exec(line)
        if (!m) throw new InvalidArgumentError(`expected "want", got "${line.slice(0, 60)}"`)
        if (!tips.has(m[1]!)) throw new InvalidArgumentError(`not our ref ${m[1]}`)
        if (m[2] !== undefined) {
          const caps = m[2].split(' ')
          sideband = caps.includes('side-band-64k') ? 'side-band-64k' : caps.includes('side-band') ? 'side-band' : undefined
        }
        if (!wants.includes(m[1]!)) wants.push(m[1]!)
        if (wants.length > maxLines) throw new InvalidArgumentError('too many wants')
      }
      if (wants.length === 0) return served // the client is up to date
      const common = await negotiate(stream, reader, options.repo, maxLines)
      if (common === undefined) return served
      const ids = collectObjects(options.repo.objects, wants, common)
      for (const chunk of packChunks(ids.length, readObjects(options.repo.objects, ids))) {
        const ok = sideband ? sideBand(stream, 1, chunk, sideband === 'side-band' ? 995 : undefined) : stream.write(chunk)
        if (!ok) await drained(stream)
      }
      if (sideband) stream.write(FLUSH)
      served.push({ wants, common, objects: ids.length })
      options.onFetched?.(wants)
      if (served.length >= (options.maxFetches ?? Infinity)) return served
      if (!sideband) return served // without side-band the pack runs to the end of the stream
    }
  } catch (err) {
    if (stream.writable) stream.write(encodePkt(`ERR upload-pack: ${err instanceof Error ? err.message : String(err)}\n`))
    throw err
  }
}

/**
 * have/flush/done, as git's upload-pack without multi_ack: `ACK <id>` for the first common
 * commit, `NAK` on a flush while none is known, and after `done` a `NAK` if none ever was.
 * Returns the common commits, or undefined if the client hung up.
 */
async function negotiate(stream: Duplex, reader: PktReader, repo: Repository, maxLines: number): Promise<string[] | undefined> {
  const common = new Set<string>() // in the order found: the first is the one ACKed
  const has = repo.objects.quickHas()
  let lines = 0
  let rounds = 0
  for (;;) {
    const p = await reader.read()
    if (p.type === 'end') return undefined
    if (p.type === 'flush') {
      // An endless run of empty rounds is bounded too (git's clients send one flush per 32 haves).
      if (++rounds > maxLines / 8) throw new InvalidArgumentError('too many negotiation rounds')
      if (common.size === 0) stream.write(encodePkt('NAK\n'))
      continue
    }
    if (p.type !== 'data') throw new CorruptObjectError('pkt-line', `unexpected ${p.type}`)
    const line = p.payload.toString('utf8').replace(/\n$/, '')
    if (line === 'done') {
      if (common.size === 0) stream.write(encodePkt('NAK\n'))
      return [...common]
    }
    const m = /^have ([0-9a-f]{40})$/.exec(line)
    if (!m || !isOid(m[1])) throw new InvalidArgumentError(`expected "have" or "done", got "${line.slice(0, 60)}"`)
    if (++lines > maxLines) throw new InvalidArgumentError('too many haves')
    // G10: a have counts only if we really hold that commit.
    // A quick has() first: unknown haves (a peer's own commits) are most of them, and cost no system call.
    if (!common.has(m[1]) && has(m[1]) && repo.objects.tryRead(m[1])?.type === 'commit') {
      common.add(m[1])
      if (common.size === 1) stream.write(encodePkt(`ACK ${m[1]}\n`))
    }
  }
}
