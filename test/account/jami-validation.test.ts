/**
 * Jami's scenarios where a peer sends what the rules refuse, and a few of its bookkeeping
 * scenarios (reference jami-swarm.md §8.1–8.3), ported over the network: each named after
 * the Jami test it follows; the conformance suite checks the same rules commit by commit, here
 * the refusal is seen where a user would see it (onConversationError, nothing merged).
 */
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Account } from '../../src/account/account.js'
import { editTree, type TreeEdit } from '../../src/git/tree.js'
import { writeSignedCommit } from '../../src/swarm/commit-writer.js'
import { Conversation, MAIN_REF } from '../../src/swarm/conversation.js'
import { addFile, befriend, forge, invite, next, quiet, record, testNetwork, trio, trioGroup } from './net.js'

const net = await testNetwork()

/**
 * A conversation of `host`'s whose root is forged (what a modified client could make): the
 * root of a valid new conversation with `edits` and `message`, kept under its own id.
 */
async function forgedRoot(host: Account, message: Record<string, unknown>, edits: (conv: Conversation) => TreeEdit[]): Promise<string> {
  const valid = host.conversation(host.startConversation())
  const root = valid.view.commit(valid.id)
  const tree = editTree(valid.repo.objects, root.fields.tree, edits(valid))
  const id = writeSignedCommit(valid.repo.objects, host.identity, { tree, parents: [], message: JSON.stringify(message), time: Math.floor(Date.now() / 1000) })
  // Its own repository, as the conversation id names it; the copied history index is dropped.
  const path = host.store.repositoryPath(id)
  cpSync(valid.path, path, { recursive: true })
  rmSync(join(path, 'gitswarm'), { recursive: true, force: true })
  const copy = Conversation.open(path, { identity: host.identity })
  copy.repo.refs.update(MAIN_REF, id)
  copy.close()
  host.store.conversations.value[id] = { id, created: Math.floor(Date.now() / 1000), mode: 2 }
  host.store.conversations.save()
  return id
}

/** `host` invites `invitee` to the forged `id`; the invitee accepts and refuses the clone (by `rule`, when given). */
async function cloneRefused(host: Account, id: string, invitee: Account, rule?: string): Promise<void> {
  const request = next(invitee, 'conversationRequestReceived', (cid) => cid === id, 30_000)
  const invited = host.conversation(id)
  // The add is forged too: the host's own checks would not write on a root they refuse.
  const tree = editTree(invited.repo.objects, invited.view.commit(id).fields.tree, [{ path: `invited/${invitee.uri}`, oid: invited.repo.objects.write('blob', Buffer.alloc(0)) }])
  const add = writeSignedCommit(invited.repo.objects, host.identity, { tree, parents: [id], message: JSON.stringify({ type: 'member', action: 'add', uri: invitee.uri }), time: Math.floor(Date.now() / 1000) })
  invited.repo.refs.update(MAIN_REF, add, id)
  host.network!.sendInvite(invited, invitee.uri)
  await request
  const error = next(invitee, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch' && (!rule || e.rule === rule), 30_000)
  invitee.acceptConversationRequest(id)
  await error
  expect(invitee.getConversations()).not.toContain(id)
}

const blob = (c: Conversation, data: string) => c.repo.objects.write('blob', Buffer.from(data))

/**
 * Replaces `account`'s last commit (its join) with a forged one on the same parent, and
 * announces it: what a modified client would have written instead.
 */
function instead(account: Account, id: string, message: Record<string, unknown>, edits: (c: Conversation) => TreeEdit[]): string {
  const conv = account.conversation(id)
  const replaced = conv.head
  const parent = conv.view.commit(replaced).fields.parents[0]!
  const tree = editTree(conv.repo.objects, conv.view.commit(parent).fields.tree, edits(conv))
  const commit = writeSignedCommit(conv.repo.objects, account.identity, { tree, parents: [parent], message: JSON.stringify(message), time: Math.floor(Date.now() / 1000) })
  conv.repo.refs.update(MAIN_REF, commit, replaced)
  account.announce(id)
  return commit
}

describe('ConversationTest', () => {
  it('testVoteNonEmpty', async () => {
    const { alice, bob, carla, id } = await trioGroup(net)
    const error = next(carla, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    // A vote file that is not empty, at the wrong place, then a ban without a vote.
    forge(alice, id, { type: 'vote', uri: bob.uri }, [addFile(alice, id, `votes/members/${carla.uri}`, 'CONTENT')])
    await error
    expect(carla.conversation(id).roleOf(bob.uri)).toBe('member')
  })

  it('testNoBadFileInInitialCommit', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await forgedRoot(alice, { type: 'initial', mode: 1 }, (c) => [{ path: 'BAD', oid: c.repo.objects.write('blob', Buffer.from('BAD')) }])
    await cloneRefused(alice, id, bob)
  })

  it('testNoBadCertInInitialCommit', async () => {
    const [alice, bob, carla] = [await net.account('alice'), await net.account('bob'), await net.account('carla')]
    await befriend(carla, bob)
    // Carla's root holds, as her device certificate, someone else's (alice's).
    const id = await forgedRoot(carla, { type: 'initial', mode: 2 }, (c) => [{ path: `devices/${carla.deviceId}.crt`, oid: c.repo.objects.write('blob', Buffer.from(alice.identity.deviceCertPem)) }])
    await cloneRefused(carla, id, bob)
  })

  it('testUnknownModeDetected', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await forgedRoot(alice, { type: 'initial', mode: 1412 }, () => [])
    await cloneRefused(alice, id, bob, 'initial.mode')
  })

  it('testCountInteractions', async () => {
    const [alice] = [await net.account('alice')]
    const id = alice.startConversation()
    const [, msg2, msg3] = [alice.sendMessage(id, 'one'), alice.sendMessage(id, 'two'), alice.sendMessage(id, 'three')]
    expect(alice.countInteractions(id)).toBe(4)
    expect(alice.countInteractions(id, { untilAuthor: alice.uri })).toBe(0)
    expect(alice.countInteractions(id, { since: msg3 })).toBe(0)
    expect(alice.countInteractions(id, { since: msg2 })).toBe(1)
  })

  it('testRemoveOneToOneNotInDetails', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const first = await befriend(alice, bob)
    // A second 1:1 with the same contact (left by an old version, say), not in the contact's details.
    const second = Conversation.create(alice.identity, { mode: 0, invited: bob.uri, dir: join(alice.dir, 'conversations') })
    alice.store.conversations.value[second.id] = { id: second.id, created: Math.floor(Date.now() / 1000), mode: 0 }
    alice.store.conversations.save()
    second.close()
    const back = await net.restart(alice)
    expect(back.getConversations().sort()).toEqual([first, second.id].sort())
    expect(back.getContactDetails(bob.uri)?.conversationId).toBe(first)
  })
})

describe('ConversationMembersEventTest', () => {
  it('testMemberBanNoBadFile', async () => {
    const { alice, bob, carla, id } = await trioGroup(net)
    const error = next(bob, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    forge(alice, id, { type: 'member', action: 'ban', uri: carla.uri }, [
      addFile(alice, id, `votes/ban/members/${carla.uri}/${alice.uri}`, ''),
      addFile(alice, id, `banned/members/${carla.uri}.crt`, carla.identity.accountChainPem),
      addFile(alice, id, 'BADFILE', 'x'),
    ])
    await error
    expect(bob.conversation(id).roleOf(carla.uri)).not.toBe('banned')
  })

  it('testMemberCannotUnBanOther', async () => {
    const { alice, bob, carla, id } = await trioGroup(net)
    const banned = next(carla, 'conversationMemberEvent', (cid, uri, action) => cid === id && uri === bob.uri && action === 'ban')
    alice.removeConversationMember(id, bob.uri)
    await banned
    // Carla (a member) re-adds bob: her API refuses it, and her forged unban is refused by alice.
    expect(() => carla.removeConversationMember(id, bob.uri)).toThrow(expect.objectContaining({ code: 'ERR_UNAUTHORIZED' }))
    const error = next(alice, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    forge(carla, id, { type: 'member', action: 'unban', uri: bob.uri }, [addFile(carla, id, `members/${bob.uri}.crt`, bob.identity.accountChainPem)])
    await error
    expect(alice.conversation(id).roleOf(bob.uri)).toBe('banned')
  })

  it('testMemberJoinsNoBadFile', async () => {
    const { alice, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, carla)
    // In place of her join, carla (still invited) commits as text her member certificate and a bad file.
    const error = next(alice, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch', 30_000)
    instead(carla, id, { type: 'text/plain', body: 'hi' }, (c) => [{ path: `members/${carla.uri}.crt`, oid: blob(c, carla.identity.accountChainPem) }, { path: `invited/${carla.uri}`, oid: null }, { path: 'BADFILE', oid: blob(c, 'x') }])
    await error
  })

  it('testMemberJoinsInviteRemoved', async () => {
    const { alice, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, carla)
    // In place of her join, one that adds her member certificate but keeps invited/.
    const error = next(alice, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch', 30_000)
    instead(carla, id, { type: 'member', action: 'join', uri: carla.uri }, (c) => [{ path: `members/${carla.uri}.crt`, oid: blob(c, carla.identity.accountChainPem) }])
    await error
  })
})

describe('ConversationRequestTest', () => {
  it('testBanContactRestartAccount', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    bob.removeContact(alice.uri, { ban: true })
    const back = await net.restart(bob)
    expect(back.getContactDetails(alice.uri)).toMatchObject({ banned: true })
    const seen = record(back, 'swarmMessageReceived')
    alice.sendMessage(id, 'are you there?')
    await quiet(2000)
    expect(seen).toEqual([])
    expect(back.getPeers().some((p) => p.accountUri === alice.uri)).toBe(false)
  })
})
