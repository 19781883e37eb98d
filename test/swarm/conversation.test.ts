/**
 * Conversation: every operation writes the commit Jami writes (checked with git), refuses
 * locally what Jami refuses (typed errors, nothing written), and the history view folds
 * edits and reactions, pages, searches and counts.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { InvalidArgumentError, InvalidCommitError, InvalidModeError, InvalidStateError, NotFoundError, UnauthorizedError } from '../../src/errors.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { indexPath } from '../../src/swarm/history-index.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { account, device, git, tempDir } from '../helpers.js'

const dir = tempDir()
let alice: DeviceIdentity, bob: DeviceIdentity, carol: DeviceIdentity, dave: DeviceIdentity
let clock = 1_795_500_000
const tick = () => ++clock

beforeAll(async () => {
  ;[alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => account(n)))
})

function open(conv: Conversation, who: DeviceIdentity): Conversation {
  return Conversation.open(conv.path, { identity: who, clock: tick })
}

/** Runs `op` and asserts it throws `type` without moving main or writing a commit. */
function refused(conv: Conversation, op: () => unknown, type: new (...a: never[]) => Error): void {
  const head = conv.head
  expect(op).toThrow(type)
  expect(conv.head).toBe(head)
}

describe('creating', () => {
  test('a group conversation: root commit layout, bytes and id as Jami writes them', () => {
    const conv = Conversation.create(alice, { dir, clock: tick })
    expect(conv.path).toBe(join(dir, conv.id))
    expect(conv.mode).toBe(2)
    expect(git(conv.path, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n')).toEqual([`admins/${alice.uri}.crt`, `devices/${alice.deviceId}.crt`])
    expect(git(conv.path, 'show', `HEAD:admins/${alice.uri}.crt`) + '\n').toBe(alice.accountChainPem)
    const raw = git(conv.path, 'cat-file', 'commit', 'HEAD')
    expect(raw).toMatch(new RegExp(`^tree [0-9a-f]{40}\nauthor alice <${alice.deviceId}> \\d+ \\+0000\ncommitter alice <${alice.deviceId}> \\d+ \\+0000\nsignature [A-Za-z0-9+/=]+\n\n\\{"mode":2,"type":"initial"\\}$`))
    expect(git(conv.path, 'rev-parse', 'HEAD')).toBe(conv.id)
    expect(git(conv.path, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main')
    expect(git(conv.path, 'config', 'core.bare')).toBe('true')
  })

  test('a one-to-one conversation invites the other member in its root', () => {
    const conv = Conversation.create(alice, { dir, mode: 0, invited: bob.uri, clock: tick })
    expect(conv.members()).toEqual([
      { uri: alice.uri, role: 'admin' },
      { uri: bob.uri, role: 'invited' },
    ])
    expect(git(conv.path, 'show', '-s', '--format=%B', 'HEAD')).toBe(`{"invited":"${bob.uri}","mode":0,"type":"initial"}`)
  })

  test('bad options are refused before anything is written', () => {
    const before = readdirSync(dir).length
    expect(() => Conversation.create(alice, { dir, mode: 0 })).toThrow(InvalidArgumentError)
    expect(() => Conversation.create(alice, { dir, mode: 0, invited: alice.uri })).toThrow(InvalidArgumentError)
    expect(() => Conversation.create(alice, { dir, mode: 4 as 2 })).toThrow(InvalidModeError)
    expect(() => Conversation.create(alice, { dir, mode: 2, invited: bob.uri })).toThrow(InvalidArgumentError)
    expect(readdirSync(dir).length).toBe(before)
  })

  test('an existing path is never overwritten', () => {
    const conv = Conversation.create(alice, { path: join(dir, 'fixed'), clock: tick })
    const head = conv.head
    expect(() => Conversation.create(alice, { path: join(dir, 'fixed'), clock: tick })).toThrow(/already exists/)
    expect(Conversation.open(join(dir, 'fixed')).head).toBe(head)
    expect(readdirSync(dir).filter((n) => n.startsWith('.gitswarm-new'))).toEqual([])
  })

  test('three conversations by one device in one second are three: each root takes the next free second', () => {
    const frozen = () => 1_800_000_000
    const own = join(dir, 'same-second')
    const convs = [0, 1, 2].map(() => Conversation.create(alice, { dir: own, clock: frozen }))
    expect(new Set(convs.map((c) => c.id)).size).toBe(3)
    expect(convs.map((c) => Number(git(c.path, 'show', '-s', '--format=%ct', 'HEAD')))).toEqual([1_800_000_000, 1_800_000_001, 1_800_000_002])
    expect(readdirSync(own).sort()).toEqual(convs.map((c) => c.id).sort())
  })
})

describe('a group conversation, operation by operation', () => {
  let a: Conversation, b: Conversation, c: Conversation
  let hello: string, reply: string, reaction: string

  beforeAll(() => {
    a = Conversation.create(alice, { dir, clock: tick })
    a.updateProfile({ title: 'Trip' })
    hello = a.sendMessage('Hello')
    a.addMember(bob.uri)
    a.addMember(carol.uri)
    b = open(a, bob)
    c = open(a, carol)
    b.join()
    c.join()
    reply = b.sendMessage('Hi!', { replyTo: hello })
    b.editMessage(reply, 'Hi alice!')
    b.editMessage(reply, 'Hi alice!!')
    reaction = c.addReaction(hello, '👍')
    const gone = b.addReaction(hello, '🎉')
    b.removeReaction(gone)
  })

  test('members, roles and devices', () => {
    expect(a.members().map((m) => m.role)).toEqual(['admin', 'member', 'member'])
    expect(a.devices().map((d) => d.uri).sort()).toEqual([alice.uri, bob.uri, carol.uri].sort())
    expect(a.roleOf(dave.uri)).toBeUndefined()
  })

  test('history: edits folded with their editions, live reactions, replies, linearized parents', () => {
    const msgs = a.loadMessages({ n: 0 })
    const byId = new Map(msgs.map((m) => [m.id, m]))
    const r = byId.get(reply)!
    expect(r.body).toEqual({ body: 'Hi alice!!', 'reply-to': hello })
    expect(r.editions.map((e) => e.body['body'])).toEqual(['Hi alice!', 'Hi!'])
    expect(r.latestEditionId).toMatch(/^[0-9a-f]{40}$/)
    const h = byId.get(hello)!
    expect(h.reactions).toEqual([{ id: reaction, author: carol.uri, emoji: '👍' }])
    // No edit or reaction commit is shown on its own; each message links to the previous one.
    expect(msgs.every((m) => !m.body['edit'] && !m.body['react-to'])).toBe(true)
    for (let i = 0; i < msgs.length - 1; i++) expect(msgs[i]!.linearizedParent).toBe(msgs[i + 1]!.id)
    expect(msgs.at(-1)!.type).toBe('initial')
    expect(msgs.at(-1)!.linearizedParent).toBe('')
  })

  test('paging: from a message, n at a time, n = 0 for all, replies pull their target in', () => {
    const all = a.loadMessages({ n: 0 })
    // H5: a page holding a reply goes on until the replied-to message is loaded too.
    const page = a.loadMessages({ n: 2 }).map((m) => m.id)
    expect(page).toEqual(all.slice(0, page.length).map((m) => m.id))
    expect(page.length >= 2 && page.includes(reply) ? page.at(-1) : hello).toBe(hello)
    const noReplies = a.loadMessages({ from: all[all.length - 3]!.id, n: 2 }).map((m) => m.id)
    expect(noReplies).toEqual(all.slice(all.length - 3, all.length - 1).map((m) => m.id))
    expect(a.loadMessages({ from: all[3]!.id, n: 2 }).map((m) => m.id)).toEqual(all.slice(3, 5).map((m) => m.id))
    expect(a.loadMessages({ from: all[2]!.id, until: all[4]!.id }).map((m) => m.id)).toEqual(all.slice(2, 5).map((m) => m.id))
    const fromReply = a.loadMessages({ from: reply, n: 1 })
    expect(fromReply[0]!.id).toBe(reply)
    expect(fromReply.at(-1)!.id).toBe(hello)
    expect(() => a.loadMessages({ from: 'f'.repeat(40) })).toThrow(NotFoundError)
    expect(() => a.loadMessages({ n: -1 })).toThrow(InvalidArgumentError)
    expect(a.getMessage(reply).body['body']).toBe('Hi alice!!')
  })

  test('search by text, author, type and date; counts', () => {
    expect(a.searchMessages({ regex: 'alice!!' }).map((m) => m.id)).toEqual([reply])
    expect(a.searchMessages({ regex: 'hello' }).map((m) => m.id)).toEqual([hello])
    expect(a.searchMessages({ regex: 'HELLO', caseSensitive: true })).toEqual([])
    expect(a.searchMessages({ author: bob.uri, type: 'text/plain' }).map((m) => m.id)).toEqual([reply])
    const t = a.getMessage(hello).timestamp
    expect(a.searchMessages({ type: 'text/plain', before: t }).map((m) => m.id)).toEqual([hello])
    expect(a.searchMessages({ type: 'member', max: 2 })).toHaveLength(2)
    expect(() => a.searchMessages({ regex: '(' })).toThrow(InvalidArgumentError)
    expect(a.countMessages({ author: bob.uri })).toBe(2)
    expect(a.countMessages({ since: hello })).toBe(a.loadMessages({ n: 0 }).findIndex((m) => m.id === hello))
  })

  test('what Jami refuses to produce is refused here, typed, with nothing written', () => {
    refused(b, () => b.updateProfile({ title: 'mine' }), UnauthorizedError)
    refused(b, () => b.editMessage(hello, 'rewritten'), UnauthorizedError)
    refused(b, () => b.deleteMessage(hello), UnauthorizedError)
    refused(b, () => b.removeReaction(reaction), UnauthorizedError)
    refused(b, () => b.sendMessage('re', { replyTo: 'e'.repeat(40) }), NotFoundError)
    refused(b, () => b.sendMessage(''), InvalidArgumentError)
    refused(a, () => a.addMember(bob.uri), InvalidStateError)
    refused(a, () => a.addMember('not-a-uri'), InvalidArgumentError)
    refused(b, () => b.banMember(carol.uri), UnauthorizedError)
    refused(a, () => a.banMember(alice.uri), InvalidStateError)
    refused(a, () => a.banMember(dave.uri), InvalidStateError)
    refused(a, () => a.join(), InvalidStateError)
    refused(a, () => open(a, dave).join(), UnauthorizedError)
    refused(a, () => open(a, dave).sendMessage('let me in'), InvalidCommitError)
    refused(a, () => a.editMessage(a.id, 'x'), InvalidStateError)
    refused(a, () => Conversation.open(a.path, { identity: alice, readOnly: true }).sendMessage('x'), UnauthorizedError)
    refused(a, () => Conversation.open(a.path).sendMessage('x'), UnauthorizedError)
  })

  test('files: announce, refuse bad announcements, delete (an edit with an empty tid)', () => {
    const file = b.announceFile({ displayName: 'photo.png', sha3sum: 'a'.repeat(128), totalSize: 1234 })
    const msg = a.getMessage(file)
    expect(msg.body).toMatchObject({ displayName: 'photo.png', totalSize: '1234' })
    expect(msg.fileId).toBe(`${file}_${msg.body['tid']}.png`)
    expect(msg.body['tid']).toMatch(/^[1-9][0-9]*$/)
    refused(b, () => b.announceFile({ displayName: 'x', sha3sum: 'short', totalSize: 1 }), InvalidArgumentError)
    refused(b, () => b.announceFile({ displayName: 'x', sha3sum: 'a'.repeat(128), totalSize: -1 }), InvalidArgumentError)
    refused(a, () => a.deleteFile(file), UnauthorizedError)
    b.deleteFile(file)
    expect(a.getMessage(file).body['tid']).toBe('')
    expect(a.getMessage(file).fileId).toBe('')
  })

  test('calls and deletion of a text message', () => {
    const call = a.recordCall({ to: bob.uri, duration: 42_000 })
    expect(a.getMessage(call).body).toEqual({ to: bob.uri, duration: '42000' })
    const m = c.sendMessage('oops')
    c.addReaction(m, '😅')
    c.deleteMessage(m)
    const deleted = a.getMessage(m)
    expect(deleted.body['body']).toBe('')
    expect(deleted.reactions).toEqual([])
  })

  test('ban: a vote then its resolution; the banned member can no longer write; unban restores', () => {
    const [voteId, banId] = a.banMember(carol.uri)
    expect(git(a.path, 'show', '--name-status', '--format=', voteId!)).toBe(`A\tvotes/ban/members/${carol.uri}/${alice.uri}`)
    const moved = git(a.path, 'show', '--name-status', '--no-renames', '--format=', banId!).split('\n').sort()
    expect(moved).toEqual([`A\tbanned/members/${carol.uri}.crt`, `D\tdevices/${carol.deviceId}.crt`, `D\tmembers/${carol.uri}.crt`, `D\tvotes/ban/members/${carol.uri}/${alice.uri}`].sort())
    expect(a.roleOf(carol.uri)).toBe('banned')
    refused(a, () => c.sendMessage('still here?'), InvalidCommitError)
    refused(a, () => b.addMember(carol.uri), UnauthorizedError)
  })

  test('unbanning (as an admin re-adding) brings the member back', () => {
    const c2 = open(a, carol)
    a.addMember(carol.uri)
    expect(a.roleOf(carol.uri)).toBe('member')
    c2.sendMessage('back again')
  })

  test('leaving removes your certificate and devices; you cannot write after', () => {
    const bob2 = device(bob, 'bob-second')
    return bob2.then((second) => {
      open(a, second).sendMessage('from my second device')
      expect(a.devices().filter((d) => d.uri === bob.uri)).toHaveLength(2)
      b.leave()
      expect(a.roleOf(bob.uri)).toBeUndefined()
      expect(a.devices().filter((d) => d.uri === bob.uri)).toEqual([])
      refused(a, () => b.sendMessage('ghost'), InvalidCommitError)
      refused(a, () => b.leave(), InvalidStateError)
    })
  })

  test('the whole history verifies and git fsck --strict accepts it', async () => {
    const report = await verifyRepository(a.path)
    expect(report.rejections).toEqual([])
    expect(report.ok).toBe(true)
    git(a.path, 'fsck', '--strict', '--no-dangling')
  })
})

describe('admin-invites-only and one-to-one', () => {
  test('mode 1: only admins invite', () => {
    const a = Conversation.create(alice, { dir, mode: 1, clock: tick })
    a.addMember(bob.uri)
    const b = open(a, bob)
    b.join()
    refused(a, () => b.addMember(carol.uri), UnauthorizedError)
  })

  test('mode 0: only the two initial members, who can come back after leaving', () => {
    const a = Conversation.create(alice, { dir, mode: 0, invited: bob.uri, clock: tick })
    const b = open(a, bob)
    b.join()
    refused(a, () => a.addMember(carol.uri), UnauthorizedError)
    b.leave()
    expect(a.members()).toContainEqual({ uri: bob.uri, role: 'left' })
    a.addMember(bob.uri)
    b.join()
    expect(a.roleOf(bob.uri)).toBe('member')
  })
})

describe('the derived history index', () => {
  test('is persisted, extended by other writers, and rebuilt when lost', () => {
    const a = Conversation.create(alice, { dir, clock: tick })
    for (let i = 0; i < 5; i++) a.sendMessage(`m${i}`)
    expect(existsSync(indexPath(a.repo.gitdir))).toBe(true)
    const other = Conversation.open(a.path, { identity: alice, clock: tick })
    other.sendMessage('written by another object')
    expect(a.loadMessages({ n: 1 })[0]!.body['body']).toBe('written by another object')
    rmSync(indexPath(a.repo.gitdir))
    const fresh = Conversation.open(a.path)
    expect(fresh.loadMessages({ n: 0 }).map((m) => m.body['body'] ?? m.type)).toEqual(['written by another object', 'm4', 'm3', 'm2', 'm1', 'm0', 'initial'])
    expect(existsSync(indexPath(a.repo.gitdir))).toBe(true)
    expect(fresh.id).toBe(a.id)
  })

  test('read-only use writes nothing', () => {
    const a = Conversation.create(alice, { dir, clock: tick })
    a.sendMessage('x')
    rmSync(indexPath(a.repo.gitdir))
    const ro = Conversation.open(a.path, { readOnly: true })
    expect(ro.loadMessages()).toHaveLength(2)
    expect(existsSync(indexPath(a.repo.gitdir))).toBe(false)
  })
})
