/**
 * Conversation sync over in-memory streams: fast-forward, merges (profile.vcf conflicts
 * resolved by the larger head id, any other conflict refused), rejected fetches reported
 * with peer, commit and rule and leaving nothing behind, clones that are validated before
 * they appear and never replace an existing conversation, and the events apps see.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { AlreadyExistsError, InvalidCommitError } from '../../src/errors.js'
import { forgeCommit, put } from '../../src/conformance/forge.js'
import { duplexPair } from '../../src/git/duplex-pair.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation } from '../../src/swarm/conversation.js'
import type { ConversationErrorEvent, MemberEvent } from '../../src/swarm/events.js'
import type { SwarmMessage } from '../../src/swarm/history-view.js'
import { textMessage } from '../../src/swarm/messages.js'
import { remoteRef } from '../../src/swarm/sync.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { account, git, tempDir } from '../helpers.js'

const dir = tempDir()
let alice: DeviceIdentity, bob: DeviceIdentity, carol: DeviceIdentity
let n = 0
const clock = (() => {
  let t = 1_795_600_000
  return () => ++t
})()

beforeAll(async () => {
  ;[alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((x) => account(x)))
})

/** `to` fetches from `from` over a fresh in-memory stream. */
async function pull(to: Conversation, from: Conversation) {
  const [server, client] = duplexPair()
  const serving = from.serve(server)
  try {
    return await to.syncFrom(client, from.identity!.deviceId)
  } finally {
    client.end()
    await serving
  }
}

async function clone(from: Conversation, identity: DeviceIdentity, path = join(dir, `clone-${++n}`)): Promise<Conversation> {
  const [server, client] = duplexPair()
  const serving = from.serve(server)
  try {
    return await Conversation.clone(client, { identity, peer: from.identity!.deviceId, path, clock })
  } finally {
    client.end()
    await serving
  }
}

/** alice's conversation with bob joined, and bob's clone of it. */
async function pairOfDevices(): Promise<[Conversation, Conversation]> {
  const a = Conversation.create(alice, { path: join(dir, `a-${++n}`), clock })
  a.updateProfile({ title: 'start' })
  a.addMember(bob.uri)
  const b = await clone(a, bob)
  b.join()
  await pull(a, b)
  return [a, b]
}

describe('taking in a peer’s history', () => {
  test('fast-forward when we have nothing new; messageReceived and memberEvent fire', async () => {
    const a = Conversation.create(alice, { path: join(dir, `ff-${++n}`), clock })
    a.addMember(bob.uri)
    const b = await clone(a, bob)
    const got: SwarmMessage[] = []
    const members: MemberEvent[] = []
    a.on('messageReceived', (m) => got.push(m))
    a.on('memberEvent', (e) => members.push(e))
    const joined = b.join()
    const hi = b.sendMessage('hi from bob')
    const r = await pull(a, b)
    expect(r).toMatchObject({ result: 'fast-forward', commits: 2, head: hi })
    expect(got.map((m) => m.id)).toEqual([joined, hi])
    expect(members).toEqual([{ uri: bob.uri, action: 'join', commit: joined }])
    expect(a.repo.refs.resolve(remoteRef(bob.deviceId))).toBe(hi)
    expect(await pull(a, b)).toMatchObject({ result: 'up-to-date', commits: 0 })
  })

  test('concurrent writes merge; concurrent profile edits keep the side with the larger head id', async () => {
    const [a, b] = await pairOfDevices()
    a.updateProfile({ title: 'alice says' })
    a.sendMessage('from alice')
    b.sendMessage('from bob')
    const profiles: unknown[] = []
    a.on('profileUpdated', (p) => profiles.push(p))
    const r = await pull(a, b)
    expect(r.result).toBe('merged')
    const merge = a.view.commit(a.head)
    expect(merge.fields.parents).toEqual([a.view.commit(a.head).fields.parents[0], b.head])
    expect(merge.fields.message).toBe(`Merge commit '${b.head}'`)
    // bob did not touch the profile: alice's edit stands whatever the ids.
    expect(a.profile().title).toBe('alice says')
    expect(profiles).toEqual([])
    await pull(b, a)
    expect(b.head).toBe(a.head)

    // Both edit the profile (alice, on each device's copy): every device picks the version of the larger head id.
    const pa = a.updateProfile({ title: 'A' })
    const pb = Conversation.open(b.path, { identity: alice, clock }).updateProfile({ title: 'B' })
    await pull(a, b)
    await pull(b, a)
    const winner = pb > pa ? 'B' : 'A'
    expect(a.profile().title).toBe(winner)
    expect(b.profile().title).toBe(winner)
    expect(b.head).toBe(a.head)
    for (const c of [a, b]) expect((await verifyRepository(c.path)).ok).toBe(true)
    git(a.path, 'fsck', '--strict', '--no-dangling')
  })

  test('a fetch with a bad commit is rejected whole: an error event names peer, commit and rule; nothing stays', async () => {
    const [a, b] = await pairOfDevices()
    const before = a.head
    const good = b.sendMessage('fine')
    const bad = forgeCommit(b.repo, { author: bob, parents: [good], message: textMessage('bad'), edits: [put(b.repo, 'BADFILE', 'x')], time: clock() })
    b.repo.refs.update('refs/heads/main', bad)
    b.sendMessage('after the bad one')
    const errors: ConversationErrorEvent[] = []
    a.on('conversationError', (e) => errors.push(e))
    const r = await pull(a, b)
    expect(r.result).toBe('rejected')
    expect(errors).toEqual([expect.objectContaining({ code: 'invalid-fetch', peer: bob.deviceId, commit: bad, rule: 'files.unexpected' })])
    expect(a.head).toBe(before)
    expect(a.repo.refs.resolve(remoteRef(bob.deviceId))).toBeUndefined()
    expect(a.history().has(good)).toBe(false)
  })

  test('a conflict outside profile.vcf is not merged (and reported)', async () => {
    const [a, b] = await pairOfDevices()
    // Both sides invite carol... with the same empty file: no conflict. Ban vs leave differ:
    a.addMember(carol.uri)
    b.addMember(carol.uri)
    expect((await pull(a, b)).result).toBe('merged')
    // Now a real conflict: the same path written differently on each side.
    const [c, d] = await pairOfDevices()
    const errors: ConversationErrorEvent[] = []
    c.on('conversationError', (e) => errors.push(e))
    // alice renews her CRL differently on both sides: same path, different content.
    const crl = await import('../../src/identity/issue.js')
    const k = alice.accountKey!
    const one = await crl.issueCrl(k.publicKey, k.privateKey, [], { thisUpdate: new Date('2026-02-01Z') })
    const two = await crl.issueCrl(k.publicKey, k.privateKey, [], { thisUpdate: new Date('2026-03-01Z') })
    c.commit(textMessage('crl one'), [{ path: `CRLs/${alice.uri}`, oid: c.writeBlob(one) }])
    const dAlice = Conversation.open(d.path, { identity: alice, clock })
    dAlice.commit(textMessage('crl two'), [{ path: `CRLs/${alice.uri}`, oid: dAlice.writeBlob(two) }])
    const r = await pull(c, d)
    expect(r.result).toBe('kept-in-quarantine')
    expect(errors[0]).toMatchObject({ code: 'merge-conflict', peer: bob.deviceId })
    expect(errors[0]!.reason).toContain(`CRLs/${alice.uri}`)
  })

  test('limits are checked and invalid peers named by device id only', async () => {
    const [a] = await pairOfDevices()
    const [, client] = duplexPair()
    await expect(a.syncFrom(client, 'not-a-device')).rejects.toThrow(/64-hex device id/)
  })
})

describe('cloning', () => {
  test('a valid clone appears only after verification, under its conversation id', async () => {
    const [a] = await pairOfDevices()
    const parent = join(dir, 'clones')
    const [server, client] = duplexPair()
    const serving = a.serve(server)
    const c = await Conversation.clone(client, { identity: carol, peer: alice.deviceId, dir: parent })
    client.end()
    await serving
    expect(c.path).toBe(join(parent, a.id))
    expect(c.head).toBe(a.head)
    expect(readdirSync(parent)).toEqual([a.id])
  })

  test('an invalid history is discarded, and an existing conversation is never replaced', async () => {
    const [a, b] = await pairOfDevices()
    const bad = forgeCommit(b.repo, { author: carol, parents: [b.head], message: textMessage('stranger'), time: clock() })
    b.repo.refs.update('refs/heads/main', bad)
    const parent = join(dir, 'bad-clones')
    await expect(clone(b, carol, join(parent, 'x'))).rejects.toBeInstanceOf(InvalidCommitError)
    expect(existsSync(parent) ? readdirSync(parent) : []).toEqual([])

    const existing = join(dir, 'existing')
    Conversation.create(alice, { path: existing })
    writeFileSync(join(existing, 'sentinel'), 'keep me')
    const head = git(existing, 'rev-parse', 'HEAD')
    await expect(clone(a, carol, existing)).rejects.toBeInstanceOf(AlreadyExistsError)
    expect(git(existing, 'rev-parse', 'HEAD')).toBe(head)
    expect(existsSync(join(existing, 'sentinel'))).toBe(true)
  })
})
