/**
 * The wire protocol against real git 2.39: `git clone` and `git fetch` from gitswarm's
 * upload-pack server through git's `ext::` transport, and gitswarm's client cloning and
 * fetching from a real `git upload-pack`. Repositories on both sides pass git fsck --strict.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Duplex } from 'node:stream'
import { afterEach, beforeAll, describe, expect, test } from 'vitest'
import { encodePkt, FLUSH, PktReader } from '../../src/git/pkt-line.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { BIN } from '../cli/run.js'
import { account, git, tempDir, JAMI_FIXTURES } from '../helpers.js'

const dir = tempDir()
const FIXTURES = JAMI_FIXTURES
let alice: DeviceIdentity, bob: DeviceIdentity
let conv: Conversation
const children: ChildProcess[] = []

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
})

/** `git upload-pack <repo>` as a duplex stream; the process is stopped by the test. */
function gitUploadPack(repo: string): Duplex {
  const child = spawn('git', ['upload-pack', repo], { stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  return Duplex.from({ readable: child.stdout!, writable: child.stdin! })
}

const ext = (repo: string) => `ext::${process.execPath} ${BIN} upload-pack ${repo}`

beforeAll(async () => {
  ;[alice, bob] = await Promise.all([account('alice'), account('bob')])
  conv = Conversation.create(alice, { path: join(dir, 'served') })
  conv.updateProfile({ title: 'wire' })
  conv.sendMessage('one')
  conv.addMember(bob.uri)
  Conversation.open(conv.path, { identity: bob }).join()
  conv.sendMessage('two')
})

describe("git clones and fetches from gitswarm's server (ext:: transport)", () => {
  test('git clone, then git fetch of new commits; fsck --strict on both sides', () => {
    const clone = join(dir, 'git-clone')
    git(dir, '-c', 'protocol.ext.allow=always', 'clone', '-q', ext(conv.path), clone)
    expect(git(clone, 'rev-parse', 'HEAD')).toBe(conv.head)
    expect(git(clone, 'rev-list', '--count', 'HEAD')).toBe(git(conv.path, 'rev-list', '--count', 'HEAD'))
    expect(existsSync(join(clone, 'profile.vcf'))).toBe(true)
    git(clone, 'fsck', '--strict', '--no-dangling')

    const three = conv.sendMessage('three')
    conv.sendMessage('four')
    git(clone, '-c', 'protocol.ext.allow=always', 'fetch', '-q', 'origin')
    expect(git(clone, 'rev-parse', 'origin/main')).toBe(conv.head)
    expect(git(clone, 'cat-file', '-t', three)).toBe('commit')
    git(clone, 'fsck', '--strict', '--no-dangling')
    git(conv.path, 'fsck', '--strict', '--no-dangling')
  })

  test('several wants in one fetch are all honoured', () => {
    conv.repo.refs.update('refs/heads/side', conv.view.commit(conv.head).fields.parents[0]!)
    const target = join(dir, 'multi.git')
    git(dir, 'init', '-q', '--bare', target)
    git(target, '-c', 'protocol.ext.allow=always', 'fetch', '-q', ext(conv.path), 'refs/heads/main:refs/heads/main', 'refs/heads/side:refs/heads/side')
    expect(git(target, 'rev-parse', 'main', 'side').split('\n')).toEqual([conv.head, conv.repo.refs.resolve('refs/heads/side')])
    git(target, 'fsck', '--strict', '--no-dangling')
    conv.repo.refs.delete('refs/heads/side')
  })
})

describe("gitswarm's client against a real git upload-pack", () => {
  test('clones a repository written by Jami, served by git; the clone verifies and passes fsck', async () => {
    const source = join(dir, 'jami-group.git')
    git(dir, 'clone', '-q', '--mirror', join(FIXTURES, 'group-alice.bundle'), source)
    const cloned = await Conversation.clone(gitUploadPack(source), { peer: 'd'.repeat(64), path: join(dir, 'from-git') })
    expect(cloned.head).toBe(git(source, 'rev-parse', 'HEAD'))
    expect(cloned.members().map((m) => m.role).sort()).toEqual(['admin', 'banned', 'member'])
    expect((await verifyRepository(cloned.path)).ok).toBe(true)
    git(cloned.path, 'fsck', '--strict', '--no-dangling')
  })

  test('fetches only what is new, negotiating haves with git', async () => {
    const local = await Conversation.clone(gitUploadPack(conv.path), { identity: bob, peer: alice.deviceId, path: join(dir, 'bob') })
    const before = conv.head
    const five = conv.sendMessage('five')
    const r = await local.syncFrom(gitUploadPack(conv.path), alice.deviceId)
    expect(r).toMatchObject({ result: 'fast-forward', commits: 1, head: five })
    expect(local.view.commit(five).fields.parents).toEqual([before])
    git(local.path, 'fsck', '--strict', '--no-dangling')
  })
})

/** `gitswarm upload-pack <repo>` as a child process, as a duplex stream. */
function gitswarmServer(repo: string): Duplex {
  const child = spawn(process.execPath, [BIN, 'upload-pack', repo], { stdio: ['pipe', 'pipe', 'inherit'] })
  children.push(child)
  return Duplex.from({ readable: child.stdout!, writable: child.stdin! })
}

test('the server checks each "have": an unknown id gets NAK, a known one ACK', async () => {
  const stream = gitswarmServer(conv.path)
  const reader = new PktReader(stream)
  const refs: string[] = []
  for (let p = await reader.read(); p.type === 'data'; p = await reader.read()) refs.push(p.payload.toString().slice(0, 40))
  stream.write(encodePkt(`want ${refs[0]} side-band-64k no-progress\n`))
  stream.write(FLUSH)
  stream.write(encodePkt(`have ${'e'.repeat(40)}\n`))
  stream.write(FLUSH)
  expect(await reader.readLine('answer')).toBe('NAK')
  const known = conv.view.commit(conv.head).fields.parents[0]!
  stream.write(encodePkt(`have ${known}\n`))
  stream.write(FLUSH)
  expect(await reader.readLine('answer')).toBe(`ACK ${known}`)
  stream.write(encodePkt('done\n'))
  const first = await reader.read()
  expect(first.type === 'data' && first.payload[0]).toBe(1)
  stream.end()
})

test('after one fetch the server exits 0 on its own, as git upload-pack does (git reads that exit code)', async () => {
  const child = spawn(process.execPath, [BIN, 'upload-pack', conv.path], { stdio: ['pipe', 'pipe', 'inherit'] })
  children.push(child)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const reader = new PktReader(child.stdout!)
  const tip = (await reader.readLine('advertisement'))!.slice(0, 40)
  while ((await reader.read()).type === 'data');
  child.stdin!.write(encodePkt(`want ${tip} side-band-64k no-progress\n`))
  child.stdin!.write(FLUSH)
  child.stdin!.write(encodePkt('done\n'))
  expect(await reader.readLine('answer')).toBe('NAK')
  let last = await reader.read()
  while (last.type === 'data') last = await reader.read()
  expect(last.type).toBe('flush')
  // Our end of the pipe stays open: nothing more may come, and the server must still exit.
  expect((await reader.read()).type).toBe('end')
  expect(await exited).toBe(0)
})
