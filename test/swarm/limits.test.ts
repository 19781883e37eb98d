/**
 * Git bombs: every limit aborts a fetch with a typed error before the bomb costs memory —
 * a blob inflating to 4 GiB (honest and lying headers), a pack announcing ten million
 * objects, an endless pack, a 10,000-deep tree — and the peer's data is not kept.
 */
import { inflateSync } from 'node:zlib'
import { beforeAll, describe, expect, test } from 'vitest'
import { CorruptObjectError, LimitExceededError } from '../../src/errors.js'
import { forgeCommit } from '../../src/conformance/forge.js'
import { duplexPair } from '../../src/git/duplex-pair.js'
import { peakGrowth } from '../memory.js'
import { serializeTree } from '../../src/git/object-codec.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { remoteRef } from '../../src/swarm/sync.js'
import { textMessage } from '../../src/swarm/messages.js'
import { account, tempDir } from '../helpers.js'
import { fakeServer, onePack, zeroBomb } from './bombs.js'

const dir = tempDir()
let alice: DeviceIdentity, bob: DeviceIdentity
let conv: Conversation
const FAKE_TIP = 'f'.repeat(40)
const MiB = 1024 * 1024

beforeAll(async () => {
  ;[alice, bob] = await Promise.all([account('alice'), account('bob')])
  conv = Conversation.create(alice, { path: `${dir}/conv` })
  conv.sendMessage('hello')
})

/** Syncs `conv` from a fake server sending `pack`; returns the error and the peak RSS growth. */
async function fetchBomb(pack: Iterable<Buffer> | AsyncIterable<Buffer>, limits = {}): Promise<{ error: unknown; growthMiB: number }> {
  const [server, client] = duplexPair()
  let error: unknown
  const { growthMiB } = await peakGrowth(async () => {
    const serving = fakeServer(server, FAKE_TIP, pack)
    try {
      await conv.syncFrom(client, bob.deviceId, { fetchLimits: limits })
    } catch (err) {
      error = err
    }
    client.destroy()
    server.destroy()
    await serving
  })
  return { error, growthMiB }
}

describe('the zero bomb itself', () => {
  test('inflates to exactly 1 + 2064 × groups zero bytes', () => {
    const { stream, inflated } = zeroBomb(50)
    const out = inflateSync(stream)
    expect(out.length).toBe(inflated)
    expect(out.every((b) => b === 0)).toBe(true)
    const big = zeroBomb(Math.ceil((4 * 1024 * MiB) / 2064))
    expect(big.inflated).toBeGreaterThan(4 * 1024 * MiB)
    expect(big.stream.length).toBeLessThan(30 * MiB)
  })
})

describe('limits abort hostile fetches in bounded memory', () => {
  const bomb = zeroBomb(Math.ceil((4 * 1024 * MiB) / 2064))

  test('a blob announcing 4 GiB: refused at its header (limit 64 MiB)', async () => {
    const { error, growthMiB } = await fetchBomb([onePack(3, bomb.inflated, bomb.stream)])
    expect(error).toBeInstanceOf(LimitExceededError)
    expect((error as LimitExceededError).data).toMatchObject({ limit: 'inflated object bytes', max: 64 * MiB })
    expect(growthMiB).toBeLessThan(150)
    expect(conv.repo.refs.resolve(remoteRef(bob.deviceId))).toBeUndefined()
  }, 60_000)

  test('a blob lying about its size (1 KiB announced, 4 GiB inflated): stopped at 1 KiB', async () => {
    const { error, growthMiB } = await fetchBomb([onePack(3, 1024, bomb.stream)])
    expect(error).toBeInstanceOf(CorruptObjectError)
    expect(growthMiB).toBeLessThan(150)
  }, 60_000)

  test('a pack announcing ten million objects: refused at its first 12 bytes', async () => {
    let sent = 0
    async function* endless(): AsyncGenerator<Buffer> {
      yield onePack(3, 1, Buffer.alloc(16), 10_000_000).subarray(0, 12)
      for (; sent < 1024; sent++) yield Buffer.alloc(64 * 1024, 7)
    }
    const { error } = await fetchBomb(endless(), { maxObjects: 1_000_000 })
    expect(error).toBeInstanceOf(LimitExceededError)
    expect((error as LimitExceededError).data).toMatchObject({ limit: 'pack objects', actual: 10_000_000 })
    expect(sent).toBeLessThan(64) // far from the 64 MiB the server wanted to send
  }, 60_000)

  test('a pack that never ends: cut off at the byte limit', async () => {
    let sent = 0
    async function* endless(): AsyncGenerator<Buffer> {
      yield onePack(3, 1, Buffer.alloc(16)).subarray(0, 12)
      for (; sent < 4096; sent++) yield Buffer.alloc(64 * 1024, 7)
    }
    const { error, growthMiB } = await fetchBomb(endless(), { maxPackBytes: 8 * MiB })
    expect(error).toBeInstanceOf(LimitExceededError)
    expect((error as LimitExceededError).data).toMatchObject({ limit: 'pack bytes', max: 8 * MiB })
    // Backpressure: the server could only get a little past the limit before being cut off.
    expect(sent).toBeLessThan(8 * 16 + 48)
    expect(growthMiB).toBeLessThan(100)
  }, 60_000)

  test('a 10,000-deep tree: refused by the tree-depth limit before any rule reads it', async () => {
    const peer = Conversation.create(alice, { path: `${dir}/deep-source`, durability: 'fast' })
    const store = peer.repo.objects
    let tree = store.write('tree', serializeTree([{ mode: '100644', name: 'f', oid: store.write('blob', Buffer.from('x')) }]))
    for (let i = 0; i < 10_000; i++) tree = store.write('tree', serializeTree([{ mode: '40000', name: 'd', oid: tree }]))
    const deep = forgeCommit(peer.repo, { author: alice, parents: [peer.head], message: textMessage('deep'), tree: store.write('tree', serializeTree([{ mode: '40000', name: 'deep', oid: tree }])) })
    peer.repo.refs.update('refs/heads/main', deep)
    const clone = await cloneOf(peer)
    const quarantined = clone.repo.refs.resolve(remoteRef(alice.deviceId)) // where the clone left it
    const [server, client] = duplexPair()
    const serving = peer.serve(server)
    const { growthMiB } = await peakGrowth(async () => {
      await expect(clone.syncFrom(client, alice.deviceId)).rejects.toMatchObject({ name: 'LimitExceededError', data: { limit: 'tree depth', max: 64 } })
      client.end()
      await serving
    })
    expect(growthMiB).toBeLessThan(100)
    // The deep history never got a ref: the quarantine ref is where it was.
    expect(clone.repo.refs.resolve(remoteRef(alice.deviceId))).toBe(quarantined)
    expect(quarantined).not.toBe(deep)
  }, 60_000)
})

/** A clone of `peer` taken before it went bad (its parent commit). */
async function cloneOf(peer: Conversation): Promise<Conversation> {
  const good = peer.view.commit(peer.head).fields.parents[0]!
  const saved = peer.head
  peer.repo.refs.update('refs/heads/main', good)
  const [server, client] = duplexPair()
  const serving = peer.serve(server)
  const clone = await Conversation.clone(client, { identity: bob, peer: alice.deviceId, path: `${dir}/deep-clone` })
  client.end()
  await serving
  peer.repo.refs.update('refs/heads/main', saved)
  return clone
}
