/**
 * Two processes writing to one conversation at the same moment (a device's app and the
 * `gitswarm` CLI, say): the ref lock serialises them, a writer that finds the lock taken or
 * `main` moved under it rebuilds its commit on the new head and tries again, and nothing is
 * lost — every message lands, on one linear, valid history.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect, test } from 'vitest'
import { saveIdentity } from '../../src/identity/storage.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { account, git, tempDir } from '../helpers.js'

const dir = tempDir()
const DIST = pathToFileURL(join(import.meta.dirname, '../../dist/src/index.js')).href
const PER_WRITER = 300

/**
 * A child process appending `count` messages as fast as it can, once told to go (so that two
 * start together, not one after the other's start-up); `ready` resolves when it waits for
 * `go()`, `done` with its exit code and stderr.
 */
function writer(name: string, repo: string, identityDir: string, count: number): { ready: Promise<void>; go(): void; done: Promise<{ code: number | null; stderr: string }> } {
  const script = `
    const { Conversation, loadIdentity } = await import(${JSON.stringify(DIST)})
    const conv = Conversation.open(${JSON.stringify(repo)}, { identity: loadIdentity(${JSON.stringify(identityDir)}) })
    process.stdout.write('ready\\n')
    await new Promise((r) => process.stdin.once('data', r))
    for (let i = 0; i < ${count}; i++) conv.sendMessage(${JSON.stringify(name)} + ' ' + i)
    conv.close()
    process.exit(0)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return {
    ready: new Promise((resolve) => child.stdout!.once('data', () => resolve())),
    go: () => child.stdin!.write('go\n'),
    done: new Promise((resolve) => child.once('close', (code) => (clearTimeout(killer), resolve({ code, stderr })))),
  }
}

test(`two processes append ${PER_WRITER} messages each at once: all ${2 * PER_WRITER} land, in one linear valid history`, async () => {
  const alice = await account('alice')
  const conv = Conversation.create(alice, { path: join(dir, 'shared') })
  conv.sendMessage('before')
  saveIdentity(join(dir, 'alice'), alice)
  const writers = ['app', 'cli'].map((name) => writer(name, conv.path, join(dir, 'alice'), PER_WRITER))
  await Promise.all(writers.map((w) => w.ready))
  for (const w of writers) w.go()
  const results = await Promise.all(writers.map((w) => w.done))
  for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' })

  const bodies = Conversation.open(conv.path, { identity: alice }).loadMessages({ n: 3 * PER_WRITER }).map((m) => String(m.body['body']))
  for (const name of ['app', 'cli']) {
    const mine = bodies.filter((b) => b.startsWith(name + ' ')).reverse()
    expect(mine).toEqual(Array.from({ length: PER_WRITER }, (_, i) => `${name} ${i}`)) // all, each writer's in its order
  }
  // They really wrote at the same time: the history alternates between them again and again
  // (one after the other would switch once).
  const writersInOrder = bodies.map((b) => b.split(' ')[0]).filter((w) => w === 'app' || w === 'cli')
  const switches = writersInOrder.filter((w, i) => i > 0 && w !== writersInOrder[i - 1]).length
  console.log(`${switches} switches between the two writers in ${writersInOrder.length} messages`)
  expect(switches).toBeGreaterThanOrEqual(20)
  expect(git(conv.path, 'rev-list', '--merges', '--count', 'HEAD')).toBe('0')
  expect((await verifyRepository(conv.path)).ok).toBe(true)
  git(conv.path, 'fsck', '--strict')
}, 120_000)
