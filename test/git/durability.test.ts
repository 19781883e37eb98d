/**
 * The fsync policy (src/git/durability.ts), checked on the flushes themselves: in full
 * durability no ref reaches the disk before the objects it names and the directory entries
 * of those objects; a plain message costs exactly one object flush, one directory flush and
 * one ref flush; fast durability flushes nothing. Plus what a crashed writer leaves behind
 * (stale locks, temp files) and the run lock that makes clearing it safe.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { afterEach, beforeAll, describe, expect, test } from 'vitest'
import { traceDurability, type DurabilityEvent } from '../../src/git/durability.js'
import { PackIndex } from '../../src/git/pack-index.js'
import { duplexPair } from '../../src/git/duplex-pair.js'
import { recoverRepository } from '../../src/git/recovery.js'
import { takeRunLock } from '../../src/account/run-lock.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { brokenOnPurpose } from '../../src/util/fault-points.js'
import { account, tempDir } from '../helpers.js'

let alice: DeviceIdentity, bob: DeviceIdentity
beforeAll(async () => {
  ;[alice, bob] = await Promise.all([account('alice'), account('bob')])
})
afterEach(() => {
  traceDurability(undefined)
  brokenOnPurpose.refBeforeObject = false
})

function record(): DurabilityEvent[] {
  const events: DurabilityEvent[] = []
  traceDurability((e) => events.push(e))
  return events
}

/**
 * The ordering rule, replayed over a trace: an object's name is durable once its bytes were
 * flushed and then its directory; a ref event must name an object already durable (or one
 * that came in a pack whose directory was flushed), and must itself be flushed — except the
 * refs that only note what peers hold (refs/remotes/, refs/gitswarm/held/), which a fetch
 * brings back.
 */
/** Where a pack's index is once everything is in place (clones are written under a temporary name, then renamed). */
type IndexLocator = (idxName: string) => string

function orderViolations(events: readonly DurabilityEvent[], existedBefore: (oid: string) => boolean, locate: IndexLocator = (name) => name): string[] {
  const problems: string[] = []
  const pending = new Map<string, string[]>() // directory -> oids flushed, names not yet
  const durable = new Set<string>()
  // Packs flushed whose directory entry is not yet; then those whose objects are durable
  // (each by its index, read from disk: a pack makes only its own objects durable).
  const pendingPacks = new Map<string, Set<string>>() // objects/pack directory -> .idx paths
  const durablePacks: PackIndex[] = []
  for (const e of events) {
    if (e.op === 'file') {
      const m = /objects\/([0-9a-f]{2})\/([0-9a-f]{38})$/.exec(e.path)
      if (m) pending.set(dirname(e.path), [...(pending.get(dirname(e.path)) ?? []), m[1]! + m[2]!])
      else {
        // A pack is written as a temporary file and its index as pack-<hash>.idx.tmp: the index names it.
        const idx = /objects\/pack\/(pack-[0-9a-f]{40}\.idx)(?:\.tmp)?$/.exec(e.path)
        if (idx) pendingPacks.set(dirname(e.path), (pendingPacks.get(dirname(e.path)) ?? new Set()).add(idx[1]!))
      }
    } else if (e.op === 'dir') {
      for (const oid of pending.get(e.path) ?? []) durable.add(oid)
      pending.delete(e.path)
      for (const idx of pendingPacks.get(e.path) ?? []) durablePacks.push(new PackIndex(readFileSync(locate(idx)), idx))
      pendingPacks.delete(e.path)
    } else {
      // Refs that only note what peers hold (the quarantine, held heads) may stay unflushed; main never.
      if (!e.synced && !/^refs\/(remotes|gitswarm\/held)\//.test(e.name)) problems.push(`ref ${e.name} written without a flush`)
      const inPack = durablePacks.some((p) => p.find(e.oid) !== undefined)
      if (!durable.has(e.oid) && !inPack && !existedBefore(e.oid)) problems.push(`ref ${e.name} -> ${e.oid} before that object was durable`)
    }
  }
  return problems
}

describe('full durability (the default)', () => {
  test('a plain message: its object flushed, then its directory (and objects/ for a new one), then the ref — nothing more', () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c` })
    let newFans = 0
    for (let i = 0; i < 40; i++) {
      const fans = new Set(readdirSync(join(conv.path, 'objects')))
      const events = record()
      const id = conv.sendMessage(`message ${i}`)
      const shown = events.map((e) => (e.op === 'ref' ? `ref ${e.name} ${e.oid === id} synced=${e.synced}` : `${e.op} ${relative(conv.path, e.path)}`))
      const fan = `objects/${id.slice(0, 2)}`
      const isNew = !fans.has(id.slice(0, 2))
      if (isNew) newFans++
      expect(shown).toEqual([`file ${fan}/${id.slice(2)}`, `dir ${fan}`, ...(isNew ? ['dir objects'] : []), 'file refs/heads/main', 'ref refs/heads/main true synced=true'])
    }
    expect(newFans).toBeGreaterThan(0) // both shapes were seen
    expect(newFans).toBeLessThan(40)
    conv.close()
  })

  test('create, clone (a pack), small fetches (loose objects) and merges: no ref ever ahead of its objects', async () => {
    const dir = tempDir()
    const events = record()
    const a = Conversation.create(alice, { path: `${dir}/a` })
    a.addMember(bob.uri)
    for (let i = 0; i < 150; i++) a.sendMessage(`bulk ${i}`) // more than git's unpack limit: a pack
    let [server, client] = duplexPair()
    let serving = a.serve(server)
    const b = await Conversation.clone(client, { identity: bob, peer: alice.deviceId, path: `${dir}/b` })
    client.end()
    await serving
    b.join()
    for (let round = 0; round < 3; round++) {
      a.sendMessage(`from a ${round}`)
      b.sendMessage(`from b ${round}`)
      ;[server, client] = duplexPair()
      serving = a.serve(server)
      await b.syncFrom(client, alice.deviceId)
      client.end()
      await serving
      ;[server, client] = duplexPair()
      serving = b.serve(server)
      await a.syncFrom(client, bob.deviceId)
      client.end()
      await serving
    }
    expect(a.head).toBe(b.head)
    const refs = events.filter((e) => e.op === 'ref')
    expect(refs.length).toBeGreaterThan(160)
    expect(orderViolations(events, () => false, (name) => join(b.path, 'objects/pack', name))).toEqual([])
    a.close()
    b.close()
  }, 60_000)

  test('the rule catches a ref written before its object (a test-only switch breaks the order)', () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c` })
    conv.sendMessage('first')
    const before = new Set([conv.head])
    const events = record()
    brokenOnPurpose.refBeforeObject = true
    const id = conv.sendMessage('broken')
    expect(orderViolations(events, (oid) => before.has(oid))).toEqual([`ref refs/heads/main -> ${id} before that object was durable`])
    conv.close()
  })

  test('the rule still catches it after a pack came in (a pack makes only its own objects durable)', async () => {
    const dir = tempDir()
    const events = record()
    const a = Conversation.create(alice, { path: `${dir}/a` })
    a.addMember(bob.uri)
    for (let i = 0; i < 150; i++) a.sendMessage(`bulk ${i}`)
    const [server, client] = duplexPair()
    const serving = a.serve(server)
    const b = await Conversation.clone(client, { identity: bob, peer: alice.deviceId, path: `${dir}/b` })
    client.end()
    await serving
    const locate = (name: string) => join(b.path, 'objects/pack', name)
    expect(events.some((e) => e.op === 'file' && /pack-[0-9a-f]{40}\.idx/.test(e.path))).toBe(true)
    expect(orderViolations(events, () => false, locate)).toEqual([])
    b.join()
    expect(orderViolations(events, () => false, locate)).toEqual([])
    brokenOnPurpose.refBeforeObject = true
    const id = b.sendMessage('broken')
    expect(orderViolations(events, () => false, locate)).toEqual([`ref refs/heads/main -> ${id} before that object was durable`])
    a.close()
    b.close()
  })
})

test('fast durability flushes nothing, and says so on every ref', () => {
  const dir = tempDir()
  const conv = Conversation.create(alice, { path: `${dir}/c`, durability: 'fast' })
  const events = record()
  for (let i = 0; i < 20; i++) conv.sendMessage(`m ${i}`)
  expect(events.filter((e) => e.op !== 'ref')).toEqual([])
  expect(events.filter((e) => e.op === 'ref').every((e) => e.op === 'ref' && !e.synced)).toBe(true)
  expect(events).toHaveLength(20)
  conv.close()
})

describe('what a crashed writer leaves behind', () => {
  test('a stale ref lock and temp files are cleared; writes work again', () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c` })
    conv.sendMessage('before the crash')
    const gitdir = conv.path
    // As a SIGKILL between taking the lock and releasing it leaves them:
    linkSync(join(gitdir, 'gitswarm', 'lock-inode'), join(gitdir, 'refs/heads/main.lock'))
    linkSync(join(gitdir, 'gitswarm', 'lock-inode'), join(gitdir, 'gitswarm/history.lock'))
    writeFileSync(join(gitdir, 'gitswarm/gc.lock'), '') // a repack killed mid-way
    const fan = join(gitdir, 'objects', conv.head.slice(0, 2))
    writeFileSync(join(fan, 'tmp_obj_999_abc_1'), 'half an object')
    writeFileSync(join(gitdir, 'objects/pack/tmp_pack_999_1'), 'half a pack')
    writeFileSync(join(gitdir, 'gitswarm/history.tmp-999'), 'half an index')
    expect(() => conv.sendMessage('blocked')).toThrow(expect.objectContaining({ name: 'LockedError' }))
    // gc's careful mode: nothing younger than an hour goes
    expect(recoverRepository(gitdir, { olderThanMs: 3_600_000, locks: false })).toEqual({ locks: [], tempFiles: [] })
    const old = new Date(Date.now() - 7_200_000)
    utimesSync(join(fan, 'tmp_obj_999_abc_1'), old, old)
    expect(recoverRepository(gitdir, { olderThanMs: 3_600_000, locks: false }).tempFiles).toEqual([join(fan, 'tmp_obj_999_abc_1')])
    const report = recoverRepository(gitdir)
    expect(report.locks.map((p) => relative(gitdir, p)).sort()).toEqual(['gitswarm/gc.lock', 'gitswarm/history.lock', 'refs/heads/main.lock'])
    expect(report.tempFiles.map((p) => relative(gitdir, p)).sort()).toEqual(['gitswarm/history.tmp-999', 'objects/pack/tmp_pack_999_1'])
    const id = conv.sendMessage('after recovery')
    expect(conv.loadMessages({ n: 1 })[0]!.id).toBe(id)
    expect(conv.repack().objects).toBeGreaterThan(0)
    conv.close()
  })

  test('the run lock: one node per account directory; a dead holder is taken over', () => {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    const first = takeRunLock(dir)
    expect(first.stale).toBe(false)
    expect(() => takeRunLock(dir)).toThrow(expect.objectContaining({ name: 'LockedError', code: 'ERR_LOCKED' }))
    first.release()
    expect(existsSync(join(dir, 'node.pid'))).toBe(false)
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']).stdout.toString().trim()
    writeFileSync(join(dir, 'node.pid'), `${gone}\n`)
    const second = takeRunLock(dir)
    expect(second.stale).toBe(true)
    second.release()
  })
})
