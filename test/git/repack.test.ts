/**
 * Repacking (src/git/repack.ts): loose objects into one pack with deltas that stock git reads
 * (fsck --strict, verify-pack, log), loose copies gone only after; incremental packs folded;
 * safe while another process writes and a third reads; the automatic threshold; `gitswarm gc`.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import { applyDelta, DeltaIndex } from '../../src/git/delta.js'
import { looseObjects } from '../../src/git/repack.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { saveIdentity } from '../../src/identity/storage.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { gitswarm } from '../cli/run.js'
import { account, git, tempDir } from '../helpers.js'

let alice: DeviceIdentity, bob: DeviceIdentity
beforeAll(async () => {
  ;[alice, bob] = await Promise.all([account('alice'), account('bob')])
})

const packs = (conv: Conversation): string[] => readdirSync(join(conv.path, 'objects/pack')).filter((n) => n.endsWith('.pack'))

describe('the delta encoder', () => {
  test('round trips: copies of the base (short, long, over 64 KiB), inserts, empty sides', () => {
    const base = randomBytes(200_000)
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from(base.subarray(0, 15)), // shorter than one block: all insert
      Buffer.concat([base.subarray(100, 90_000), Buffer.from('inserted text'), base.subarray(5, 77)]),
      Buffer.concat([randomBytes(300), base.subarray(150_000), randomBytes(1)]),
    ]
    for (let i = 0; i < 200; i++) {
      const a = Math.floor(Math.random() * base.length)
      cases.push(Buffer.concat([randomBytes(i % 40), base.subarray(a, a + Math.floor(Math.random() * 5000)), randomBytes(i % 7)]))
    }
    const index = new DeltaIndex(base)
    for (const target of cases) {
      const delta = index.delta(target, Infinity)!
      expect(applyDelta(base, delta).equals(target)).toBe(true)
    }
    // A copy of 89,900 bytes costs two copy instructions, not the bytes.
    expect(index.delta(cases[2]!, Infinity)!.length).toBeLessThan(40)
    // Over the size limit: no delta (the object is stored whole).
    expect(index.delta(randomBytes(5000), 1000)).toBeUndefined()
  })
})

describe('repack', () => {
  test('a conversation of 1,500 messages and member changes: one pack, mostly deltas, that git reads; loose copies gone', async () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c`, durability: 'fast', autoRepack: false })
    conv.addMember(bob.uri)
    for (let i = 0; i < 1500; i++) conv.sendMessage(`message ${i}`)
    const loose = looseObjects(conv.repo.objects.objectsDir).length
    const head = conv.head
    const report = conv.repack()
    expect(report).toMatchObject({ loose, packs: 0, objects: loose, foldedPacks: 0 })
    expect(report.deltas).toBeGreaterThan(loose * 0.9)
    expect(git(conv.path, 'count-objects', '-v')).toMatch(/^count: 0$/m)
    git(conv.path, 'fsck', '--strict', '--no-dangling')
    const verified = git(conv.path, 'verify-pack', '-v', join(conv.path, 'objects/pack', packs(conv)[0]!))
    const longest = Math.max(...[...verified.matchAll(/^chain length = (\d+)/gm)].map((m) => Number(m[1])))
    expect(longest).toBeLessThanOrEqual(50)
    expect(git(conv.path, 'rev-list', '--count', 'HEAD').trim()).toBe('1502') // root, member added, messages
    expect(conv.head).toBe(head)
    expect(conv.loadMessages({ n: 2 }).map((m) => m.body['body'])).toEqual(['message 1499', 'message 1498'])
    expect((await verifyRepository(conv.path)).ok).toBe(true)
    // Nothing loose left: a second run has nothing to do.
    expect(conv.repack().pack).toBeUndefined()
    conv.close()
  }, 60_000)

  test('incremental packs, then all folded into one; the folded packs removed', () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c`, durability: 'fast', autoRepack: false })
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) conv.sendMessage(`round ${round} message ${i}`)
      conv.repack()
    }
    expect(packs(conv)).toHaveLength(3)
    conv.sendMessage('loose one')
    const folded = conv.repack({ all: true })
    expect(folded).toMatchObject({ foldedPacks: 3, loose: 1, packs: 3 })
    expect(packs(conv)).toEqual([`${folded.pack}.pack`])
    git(conv.path, 'fsck', '--strict', '--no-dangling')
    expect(conv.loadMessages({ n: 100 })).toHaveLength(62)
    conv.close()
  })

  test('two repacks at once: the second is refused with a typed error, nothing damaged', () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c`, durability: 'fast', autoRepack: false })
    conv.sendMessage('x')
    const lock = join(conv.path, 'gitswarm', 'gc.lock')
    writeFileSync(lock, '') // as a running repack holds it
    expect(() => conv.repack()).toThrow(expect.objectContaining({ name: 'LockedError', code: 'ERR_LOCKED' }))
    expect(looseObjects(conv.repo.objects.objectsDir).length).toBeGreaterThan(0)
    rmSync(lock)
    expect(conv.repack().objects).toBeGreaterThan(0)
    conv.close()
  })

  test('while another process appends and a third reads: every message lands, every read succeeds, git agrees', async () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c`, durability: 'fast', autoRepack: false })
    for (let i = 0; i < 200; i++) conv.sendMessage(`before ${i}`)
    saveIdentity(join(dir, 'alice'), alice)
    const dist = JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../dist/src/index.js')).href)
    const writer = child(`
      const { Conversation, loadIdentity } = await import(${dist})
      const conv = Conversation.open(${JSON.stringify(conv.path)}, { identity: loadIdentity(${JSON.stringify(join(dir, 'alice'))}), durability: 'fast', autoRepack: false })
      for (let i = 0; i < 600; i++) conv.sendMessage('during ' + i)
      conv.close()`)
    const reader = child(`
      const { Conversation } = await import(${dist})
      const started = Date.now()
      let reads = 0
      while (Date.now() - started < 4000) {
        const conv = Conversation.open(${JSON.stringify(conv.path)}, { readOnly: true })
        const n = conv.loadMessages({ n: 50 }).length
        if (n !== 50) throw new Error('read ' + n + ' messages')
        for (const m of conv.loadMessages({ n: 400 })) if (m.type === 'text/plain' && !m.body.body) throw new Error('empty ' + m.id)
        conv.close()
        reads++
      }
      console.log(reads)`)
    let runs = 0
    const until = Date.now() + 30_000
    while ((!writer.done || runs < 3) && Date.now() < until) {
      conv.repack()
      runs++
      await new Promise((r) => setTimeout(r, 150))
    }
    const [w, r] = await Promise.all([writer.exit, reader.exit])
    expect(w).toMatchObject({ code: 0, stderr: '' })
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(Number(r.stdout)).toBeGreaterThan(3)
    expect(runs).toBeGreaterThanOrEqual(3)
    const bodies = new Set(conv.loadMessages({ n: 1000 }).map((m) => m.body['body']))
    const missing = Array.from({ length: 600 }, (_, i) => `during ${i}`).filter((b) => !bodies.has(b))
    expect(missing, `git counts ${git(conv.path, 'rev-list', '--count', 'HEAD')}`).toEqual([])
    git(conv.path, 'fsck', '--strict', '--no-dangling')
    expect((await verifyRepository(conv.path)).ok).toBe(true)
    conv.close()
  }, 90_000)

  test('autoRepack: past the threshold a repack runs by itself after the write, with an event', async () => {
    const dir = tempDir()
    const conv = Conversation.create(alice, { path: `${dir}/c`, durability: 'fast', autoRepack: 300 })
    const reports: unknown[] = []
    conv.on('repacked', (r) => reports.push(r))
    for (let i = 0; i < 1100; i++) conv.sendMessage(`m ${i}`)
    await new Promise((r) => setTimeout(r, 50))
    expect(reports.length).toBeGreaterThanOrEqual(1)
    expect(looseObjects(conv.repo.objects.objectsDir).length).toBeLessThan(600)
    git(conv.path, 'fsck', '--strict', '--no-dangling')
    conv.close()
  })
})

test('gitswarm gc <repo>: packs, reports in words and in JSON', () => {
  const dir = tempDir()
  const conv = Conversation.create(alice, { path: `${dir}/c`, durability: 'fast', autoRepack: false })
  for (let i = 0; i < 30; i++) conv.sendMessage(`m ${i}`)
  const loose = looseObjects(conv.repo.objects.objectsDir).length
  conv.close()
  const words = gitswarm(['gc', conv.path])
  expect(words.status, words.stderr).toBe(0)
  expect(words.stdout).toMatch(new RegExp(`^packed ${loose} objects \\(\\d+ as deltas\\) into pack-[0-9a-f]{40}, \\d+ bytes; ${loose} loose removed \\(\\d+ ms\\)\n$`))
  expect(gitswarm(['gc', conv.path]).stdout).toBe('nothing to pack: 1 pack(s), no loose objects\n')
  const again = Conversation.open(conv.path, { identity: alice, autoRepack: false })
  again.sendMessage('one more')
  again.close()
  const json = gitswarm(['gc', conv.path, '--all', '--json'])
  expect(json.status, json.stderr).toBe(0)
  expect(JSON.parse(json.stdout)).toMatchObject({ objects: loose + 1, foldedPacks: 1, loose: 1, packs: 1 })
  expect(gitswarm(['gc', `${dir}/nothing-here`]).status).toBe(2)
  git(conv.path, 'fsck', '--strict')
})

function child(script: string): { exit: Promise<{ code: number | null; stdout: string; stderr: string }>; done: boolean } {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  const handle = { exit: undefined as never as Promise<{ code: number | null; stdout: string; stderr: string }>, done: false }
  let stdout = ''
  let stderr = ''
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
  handle.exit = new Promise((resolve) => proc.once('close', (code) => (clearTimeout(killer), (handle.done = true), resolve({ code, stdout, stderr }))))
  return handle
}
