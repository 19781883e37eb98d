/**
 * Hostile peers serving a fetch: delta-chain and delta-size bombs, a pack whose objects do not
 * hash to what was advertised, thin packs without their bases, endless pkt-line streams, a
 * slowloris, an idle peer, and replays of old or rejected commits. Each ends in a typed error
 * (or an up-to-date no-op) within a time bound and a memory bound measured here, and the
 * conversation is untouched: same head, same refs, same history, still valid.
 * (Huge blobs, zip bombs, ten-million-object packs, endless packs and 10,000-deep trees are in
 * ./limits.test.ts.)
 */
import { cpSync } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { deflateSync } from 'node:zlib'
import { beforeAll, describe, expect, test } from 'vitest'
import { duplexPair } from '../../src/git/duplex-pair.js'
import { hashObject, parseTree } from '../../src/git/object-codec.js'
import { forgeCommit } from '../../src/conformance/forge.js'
import { encodeEntryHeader, encodeOfsDistance, packHeader, writePack } from '../../src/git/pack-writer.js'
import { encodePkt, FLUSH, PktReader, sideBand } from '../../src/git/pkt-line.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { peakGrowth } from '../memory.js'
import { account, tempDir } from '../helpers.js'
import { fakeServer, onePack } from './bombs.js'

const dir = tempDir()
const MiB = 1024 * 1024
let alice: DeviceIdentity, bob: DeviceIdentity, mallory: DeviceIdentity
let conv: Conversation

beforeAll(async () => {
  ;[alice, bob, mallory] = await Promise.all([account('alice'), account('bob'), account('mallory')])
  conv = Conversation.create(alice, { path: `${dir}/conv`, durability: 'fast' })
  for (let i = 0; i < 5; i++) conv.sendMessage(`hello ${i}`)
})

interface Outcome {
  error: unknown
  result: unknown
  ms: number
  growthMiB: number
}

/** Fetches from a hostile server, and checks the conversation came out as it went in. */
async function fetchFrom(serve: (stream: Duplex) => Promise<void>, limits: object = {}, options: { timeoutMs?: number } = {}): Promise<Outcome> {
  const before = { head: conv.head, refs: [...conv.repo.refs.list()], history: conv.history().size }
  const [server, client] = duplexPair()
  const started = performance.now()
  let error: unknown
  let result: unknown
  const { growthMiB } = await peakGrowth(async () => {
    const serving = serve(server).catch(() => undefined)
    try {
      result = await conv.syncFrom(client, bob.deviceId, { fetchLimits: limits, timeoutMs: options.timeoutMs })
    } catch (err) {
      error = err
    }
    client.destroy()
    server.destroy()
    await serving
  })
  const ms = performance.now() - started
  expect({ head: conv.head, refs: [...conv.repo.refs.list()], history: conv.history().size }).toEqual(before)
  expect((await verifyRepository(conv.path)).ok).toBe(true)
  return { error, result, ms, growthMiB }
}

/** A hostile server waits for the client to read on, or for it to hang up. */
function drainOrClose(s: Duplex): Promise<unknown> {
  return new Promise((r) => (s.once('drain', r), s.once('close', r)))
}

function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) (out.push((n & 0x7f) | 0x80), (n = Math.floor(n / 128)))
  out.push(n)
  return out
}

/** A pack of entries, with its SHA-1 trailer. */
function pack(entries: Buffer[]): Buffer {
  const body = Buffer.concat([packHeader(entries.length), ...entries])
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}

describe('git bombs made of deltas', () => {
  test('a delta chain 5,000 deep (limit 4,096): refused while indexing, in bounded time and memory', async () => {
    const base = randomBytes(1024)
    const copyAll = Buffer.from([...varint(1024), ...varint(1024), 0xa0, 0x04]) // copy 1,024 bytes from 0
    const entries = [Buffer.concat([encodeEntryHeader(3, base.length), deflateSync(base)])]
    let previous = 12
    let at = 12 + entries[0]!.length
    for (let i = 0; i < 5000; i++) {
      const e = Buffer.concat([encodeEntryHeader(6, copyAll.length), encodeOfsDistance(at - previous), deflateSync(copyAll)])
      entries.push(e)
      previous = at
      at += e.length
    }
    const o = await fetchFrom((s) => fakeServer(s, 'f'.repeat(40), [pack(entries)]))
    expect(o.error).toMatchObject({ name: 'LimitExceededError', data: { limit: 'delta depth', max: 4096 } })
    expect(o.ms).toBeLessThan(15_000)
    expect(o.growthMiB).toBeLessThan(100)
  }, 60_000)

  test('a 30-byte delta announcing a 1 GiB result: refused before anything is allocated, whole pack or unpacked', async () => {
    const base = randomBytes(1024)
    const baseEntry = Buffer.concat([encodeEntryHeader(3, base.length), deflateSync(base)])
    const bomb = Buffer.from([...varint(1024), ...varint(1024 * MiB), 0xa0, 0x04])
    const deltaEntry = Buffer.concat([encodeEntryHeader(6, bomb.length), encodeOfsDistance(baseEntry.length), deflateSync(bomb)])
    for (const filler of [0, 150]) {
      // 150 filler blobs: the pack is indexed whole instead of unpacked object by object.
      const blobs = Array.from({ length: filler }, (_, i) => Buffer.concat([encodeEntryHeader(3, 8), deflateSync(Buffer.from(`blob ${String(i).padStart(3, '0')}`))]))
      const o = await fetchFrom((s) => fakeServer(s, 'f'.repeat(40), [pack([...blobs, baseEntry, deltaEntry])]))
      expect(o.error).toMatchObject({ name: 'LimitExceededError', data: { limit: 'inflated object bytes', actual: 1024 * MiB } })
      expect(o.ms).toBeLessThan(5_000)
      expect(o.growthMiB).toBeLessThan(100)
    }
  }, 60_000)
})

describe('packs that are not what they claim', () => {
  test('the pack holds a tampered copy of the advertised commit (it hashes to another id): refused, no ref left', async () => {
    cpSync(conv.path, `${dir}/peer`, { recursive: true })
    const peer = Conversation.open(`${dir}/peer`, { identity: alice })
    const real = peer.sendMessage('the real message')
    const raw = peer.view.commit(real).raw
    const tampered = Buffer.from(Buffer.from(raw).toString('latin1').replace('the real message', 'a forged message!'), 'latin1')
    expect(hashObject('commit', tampered)).not.toBe(real)
    const o = await fetchFrom((s) => fakeServer(s, real, [writePack([{ type: 'commit', content: tampered }])]))
    expect(o.error).toMatchObject({ name: 'CorruptObjectError', data: { what: `commit ${real}`, reason: 'advertised by the peer but missing from its pack' } })
    expect(o.ms).toBeLessThan(5_000)
    peer.close()
  })

  test('a commit whose parent is not in the pack, nor here: an incomplete pack, refused', async () => {
    const peer = Conversation.open(`${dir}/peer`, { identity: alice })
    const first = peer.sendMessage('missing parent')
    const second = peer.sendMessage('child')
    const o = await fetchFrom((s) => fakeServer(s, second, [writePack([{ type: 'commit', content: peer.view.commit(second).raw }])]))
    expect(o.error).toMatchObject({ name: 'CorruptObjectError' })
    expect((o.error as Error).message).toContain(first)
    peer.close()
  })

  test('thin packs whose REF_DELTA base exists nowhere: refused, unpacked or indexed', async () => {
    const delta = Buffer.from([...varint(10), ...varint(3), 3, 0x61, 0x62, 0x63])
    const thin = Buffer.concat([encodeEntryHeader(7, delta.length), randomBytes(20), deflateSync(delta)])
    for (const filler of [0, 150]) {
      const blobs = Array.from({ length: filler }, (_, i) => Buffer.concat([encodeEntryHeader(3, 8), deflateSync(Buffer.from(`thin ${String(i).padStart(3, '0')}`))]))
      const o = await fetchFrom((s) => fakeServer(s, 'f'.repeat(40), [pack([...blobs, thin])]))
      expect(o.error).toMatchObject({ name: 'CorruptObjectError' })
      expect((o.error as Error).message).toMatch(/delta base/)
      expect(o.ms).toBeLessThan(5_000)
    }
  })

  test('a damaged pack (one bit flipped): its checksum fails', async () => {
    const good = onePack(3, 5, deflateSync(Buffer.from('hello')))
    good[14] = good[14]! ^ 1
    const o = await fetchFrom((s) => fakeServer(s, 'f'.repeat(40), [good]))
    expect(o.error).toMatchObject({ name: 'CorruptObjectError' })
  })
})

describe('endless and slow streams', () => {
  test('an advertisement that never ends: cut at the ref limit', async () => {
    let sent = 0
    const o = await fetchFrom(async (s) => {
      for (; sent < 1_000_000 && !s.destroyed; sent++) {
        if (!s.write(encodePkt(`${randomBytes(20).toString('hex')} refs/heads/b${sent}\n`))) await drainOrClose(s)
      }
    }, { maxRefs: 10_000 })
    expect(o.error).toMatchObject({ name: 'LimitExceededError', data: { limit: 'advertised refs', max: 10_000 } })
    expect(sent).toBeLessThan(20_000)
    expect(o.growthMiB).toBeLessThan(100)
  }, 30_000)

  test('endless progress messages (side-band 2) instead of a pack: cut at the byte budget', async () => {
    let sent = 0
    const o = await fetchFrom(async (s) => {
      s.write(encodePkt(`${'f'.repeat(40)} HEAD\0side-band-64k ofs-delta\n`))
      s.write(FLUSH)
      const reader = new PktReader(s)
      for (let wantsRead = false; ; ) {
        const p = await reader.read()
        if (p.type === 'end' || (p.type === 'data' && p.payload.toString().startsWith('done'))) break
        if (p.type === 'flush') (wantsRead && s.write(encodePkt('NAK\n')), (wantsRead = true))
      }
      s.write(encodePkt('NAK\n'))
      const line = Buffer.alloc(60_000, 'progress ')
      for (; sent < 100_000 && !s.destroyed; sent++) if (!sideBand(s, 2, line)) await drainOrClose(s)
    }, { maxPackBytes: 4 * MiB })
    expect(o.error).toMatchObject({ name: 'LimitExceededError', data: { limit: 'bytes from the peer' } })
    expect(sent * 60_000).toBeLessThan(40 * MiB) // 4 MiB of pack + 16 MiB of protocol, and the buffers in between
    expect(o.growthMiB).toBeLessThan(100)
  }, 30_000)

  test('a slowloris advertising one byte every 20 ms: stopped at the fetch deadline', async () => {
    const line = encodePkt(`${'f'.repeat(40)} HEAD\0side-band-64k\n`)
    const o = await fetchFrom(async (s) => {
      for (let i = 0; !s.destroyed && i < 10_000; i++) {
        s.write(line.subarray(i % line.length, (i % line.length) + 1))
        await new Promise((r) => setTimeout(r, 20))
      }
    }, { maxDurationMs: 1500 })
    expect(o.error).toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT', data: { ms: 1500 } })
    expect(o.ms).toBeGreaterThan(1400)
    expect(o.ms).toBeLessThan(3000)
  }, 30_000)

  test('a peer that says nothing: the idle timeout', async () => {
    const o = await fetchFrom((s) => new Promise((r) => s.once('close', r)), {}, { timeoutMs: 400 })
    expect(o.error).toMatchObject({ name: 'TimeoutError', data: { what: 'no data', ms: 400 } })
    expect(o.ms).toBeLessThan(1500)
  }, 30_000)
})

describe('replays', () => {
  test('a peer advertising an old commit of ours (a rollback): up to date, nothing moves', async () => {
    const old = conv.view.commit(conv.head).fields.parents[0]!
    const o = await fetchFrom((s) => fakeServer(s, old, []))
    expect(o.error).toBeUndefined()
    expect(o.result).toMatchObject({ result: 'up-to-date', commits: 0 })
  })

  test('a peer replaying a rejected commit again and again: rejected each time, never kept', async () => {
    cpSync(conv.path, `${dir}/mallory`, { recursive: true })
    const peer = Conversation.open(`${dir}/mallory`, { identity: mallory })
    // Signed by a device that is not a member: the rules refuse it.
    const forged = forgeCommit(peer.repo, { author: mallory, parents: [conv.head], message: { type: 'text/plain', body: 'not a member' }, tree: peer.view.commit(conv.head).tree.id })
    for (let round = 0; round < 3; round++) {
      const o = await fetchFrom((s) => fakeServer(s, forged, [writePack([{ type: 'commit', content: peer.view.commit(forged).raw }])]))
      expect(o.error).toBeUndefined()
      expect(o.result).toMatchObject({ result: 'rejected', rejection: { commit: forged } })
    }
    peer.close()
  })

  test('a commit of another conversation served under this one: rejected', async () => {
    const other = Conversation.create(alice, { path: `${dir}/other`, durability: 'fast' })
    other.sendMessage('elsewhere')
    const ids = [other.head, other.view.commit(other.head).fields.parents[0]!]
    const contents = [
      ...ids.map((id) => ({ type: 'commit' as const, content: other.view.commit(id).raw })),
      ...[...new Set(ids.map((id) => other.view.commit(id).fields.tree))].flatMap((t) => treeObjects(other, t)),
    ]
    const o = await fetchFrom((s) => fakeServer(s, other.head, [writePack(contents)]))
    expect(o.error).toBeUndefined()
    expect(o.result).toMatchObject({ result: 'rejected', rejection: { rule: 'history.foreign-root' } })
    other.close()
  })
})

function treeObjects(c: Conversation, tree: string): { type: 'tree' | 'blob'; content: Buffer }[] {
  const out: { type: 'tree' | 'blob'; content: Buffer }[] = []
  const stack = [tree]
  while (stack.length) {
    const id = stack.pop()!
    const raw = c.repo.objects.read(id)
    out.push({ type: raw.type as 'tree' | 'blob', content: raw.content })
    if (raw.type === 'tree') for (const e of parseTree(raw.content)) stack.push(e.oid)
  }
  return out
}
