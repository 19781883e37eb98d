/**
 * Jami's ConversationMembersEventTest (reference jami-swarm.md §8.2), ported: each test is
 * named after the Jami test it follows; real accounts on a loopback Tox network.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { memberMessage } from '../../src/swarm/messages.js'
import { addFile, befriend, forge, invite, next, offer, quiet, record, testNetwork, trio, until } from './net.js'

const net = await testNetwork()


const roles = (a: { getConversationMembers(id: string): Array<{ uri: string; role: string }> }, id: string) =>
  Object.fromEntries(a.getConversationMembers(id).map((m) => [m.uri, m.role]))

describe('ConversationMembersEventTest', () => {
  it('testAddInvalidUri', async () => {
    const alice = await net.account('alice')
    const added = record(alice, 'contactAdded')
    expect(() => alice.addContact('Shitty/Uri')).toThrow()
    expect(added).toEqual([])
    expect(alice.getConversations()).toEqual([])
  })

  it('testRemoveConversationNoMember', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    expect(alice.removeConversation(id)).toBe(true)
    expect(existsSync(join(alice.dir, 'conversations', id))).toBe(false)
    expect(alice.getConversations()).toEqual([])
  })

  it('testRemoveConversationWithMember', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    const left = next(bob, 'swarmMessageReceived', (cid, m) => cid === id && m.type === 'member' && m.body['action'] === 'remove')
    expect(alice.removeConversation(id)).toBe(true)
    await left
    expect(roles(bob, id)[alice.uri]).toBeUndefined()
    // The repository stays while peers may fetch the leave, and is erased at the next start.
    const again = await net.restart(alice)
    expect(existsSync(join(again.dir, 'conversations', id))).toBe(false)
  })

  it('testAddMember', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    const request = next(bob, 'conversationRequestReceived', (cid) => cid === id)
    alice.addConversationMember(id, bob.uri)
    expect(alice.conversation(id).headTree().read(`invited/${bob.uri}`)).toBeDefined()
    await request
    const ready = next(bob, 'conversationReady', (cid) => cid === id)
    bob.acceptConversationRequest(id)
    await ready
    const tree = bob.conversation(id).headTree()
    expect(tree.read(`members/${bob.uri}.crt`)).toBeDefined()
    expect(tree.read(`invited/${bob.uri}`)).toBeUndefined()
  })

  it('testMemberAddedNoBadFile', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    const request = next(bob, 'conversationRequestReceived', (cid) => cid === id)
    forge(alice, id, memberMessage('add', bob.uri), [addFile(alice, id, `invited/${bob.uri}`, ''), addFile(alice, id, 'BADFILE', 'x')])
    alice.addConversationMember(id, bob.uri)
    await request
    const error = next(bob, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    bob.acceptConversationRequest(id)
    await error
    expect(bob.getConversations()).not.toContain(id)
  })

  it('testAddOfflineMemberThenConnects', async () => {
    const [alice, carla] = [await net.account('alice'), await net.account('carla')]
    await befriend(alice, carla)
    await carla.stop()
    const id = alice.startConversation()
    alice.addConversationMember(id, carla.uri)
    expect(roles(alice, id)[carla.uri]).toBe('invited')
    const carla2 = await net.restart(carla)
    await next(carla2, 'conversationRequestReceived', (cid) => cid === id, 30_000)
    const ready = next(carla2, 'conversationReady', (cid) => cid === id)
    carla2.acceptConversationRequest(id)
    await ready
  })

  it('testAddAcceptOfflineThenConnects', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(alice, bob)
    await alice.stop()
    const ready = record(bob, 'conversationReady')
    bob.acceptConversationRequest(id)
    await quiet(500)
    expect(ready).toEqual([])
    const ok = next(bob, 'conversationReady', (cid) => cid === id, 30_000)
    await net.restart(alice)
    await ok
  })

  it('testGetMembers', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    const request = next(bob, 'conversationRequestReceived', (cid) => cid === id)
    alice.addConversationMember(id, bob.uri)
    expect(roles(alice, id)).toEqual({ [alice.uri]: 'admin', [bob.uri]: 'invited' })
    await request
    bob.acceptConversationRequest(id)
    await until(() => roles(alice, id)[bob.uri] === 'member', 'bob a member at alice')
    expect(roles(alice, id)).toEqual({ [alice.uri]: 'admin', [bob.uri]: 'member' })
    expect(Object.keys(roles(bob, id))).toHaveLength(2)
  })

  it('testRemoveMember', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    const own = record(alice, 'swarmMessageReceived')
    alice.removeConversationMember(id, bob.uri)
    expect(own.map(([, m]) => m.type)).toEqual(['vote', 'member'])
    expect(roles(alice, id)[bob.uri]).toBe('banned')
  })

  it('testRemovedMemberDoesNotReceiveMessageFromAdmin', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    alice.removeConversationMember(id, bob.uri)
    const atBob = record(bob, 'swarmMessageReceived')
    alice.sendMessage(id, 'hi')
    await quiet()
    expect(atBob.filter(([, m]) => m.body['body'] === 'hi')).toEqual([])
  })

  it('testRemovedMemberDoesNotReceiveMessageFromPeer', async () => {
    const { alice, bob, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    await invite(alice, id, carla)
    const banned = next(carla, 'conversationMemberEvent', (cid, uri, action) => cid === id && uri === bob.uri && action === 'ban')
    alice.removeConversationMember(id, bob.uri)
    await banned
    const atBob = record(bob, 'swarmMessageReceived')
    const atAlice = next(alice, 'swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === 'hi')
    carla.sendMessage(id, 'hi')
    await atAlice
    await quiet()
    expect(atBob.filter(([, m]) => m.body['body'] === 'hi')).toEqual([])
  })

  it('testRemoveInvitedMember', async () => {
    const { alice, bob, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, carla)
    const request = next(bob, 'conversationRequestReceived', (cid) => cid === id)
    alice.addConversationMember(id, bob.uri)
    await request
    const atCarla = next(carla, 'conversationMemberEvent', (cid, uri, action) => cid === id && uri === bob.uri && action === 'ban')
    alice.removeConversationMember(id, bob.uri)
    await atCarla
    expect(roles(alice, id)[bob.uri]).toBe('banned')
    expect(roles(carla, id)[bob.uri]).toBe('banned')
  })

  it('testMemberTryToRemoveAdmin', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    expect(() => bob.removeConversationMember(id, alice.uri)).toThrow(/admin/)
    expect(Object.keys(roles(bob, id))).toHaveLength(2)
  })

  it('testBannedMemberCannotSendMessage', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    alice.removeConversationMember(id, bob.uri)
    const atAlice = record(alice, 'swarmMessageReceived')
    bob.sendMessage(id, 'hi')
    await quiet()
    expect(atAlice.filter(([, m]) => m.body['body'] === 'hi')).toEqual([])
  })

  it('testAdminCanReAddMember', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    alice.removeConversationMember(id, bob.uri)
    const own = record(alice, 'swarmMessageReceived')
    alice.addConversationMember(id, bob.uri)
    expect(own.map(([, m]) => m.type)).toEqual(['vote', 'member'])
    expect(roles(alice, id)[bob.uri]).toBe('member')
  })

  it('testMemberCannotBanOther', async () => {
    const { alice, bob, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    await invite(alice, id, carla)
    const error = next(alice, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    forge(carla, id, { type: 'member', action: 'ban', uri: bob.uri }, [addFile(carla, id, `banned/members/${bob.uri}.crt`, bob.identity.accountChainPem)])
    await error
    const got = next(bob, 'swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === 'still fine')
    alice.sendMessage(id, 'still fine')
    await got
  })

  it('testCheckAdminFakeAVoteIsDetected', async () => {
    const { alice, bob, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    await invite(alice, id, carla)
    const error = next(bob, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    forge(alice, id, { type: 'member', action: 'ban', uri: carla.uri }, [addFile(alice, id, `banned/members/${carla.uri}.crt`, carla.identity.accountChainPem)])
    await error
  })

  it('testAdminCannotKickThemselves', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    expect(() => alice.removeConversationMember(id, alice.uri)).toThrow()
    expect(alice.getConversationMembers(id)).toHaveLength(1)
  })

  it('testCommitUnauthorizedUser', async () => {
    const { alice, bob, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    // carla is no member, yet writes a message into a copy of the conversation and announces it.
    await befriend(bob, carla)
    const error = next(bob, 'onConversationError', (cid, e) => cid === id && e.code === 'unauthorized')
    carla.node.send(Buffer.from(bob.toxPublicKey).toString('hex'), { t: 'application/im-gitmessage-id', id, commit: 'f'.repeat(40), deviceId: carla.deviceId })
    await error
  })

  it('testMemberAddedNoCertificate', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    const error = next(alice, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    forge(bob, id, memberMessage('join', bob.uri))
    await error
  })

  it('testFailAddMemberInOneToOne', async () => {
    const { alice, bob, carla } = await trio(net)
    const oneToOne = alice.getContactDetails(bob.uri)!.conversationId!
    const head = alice.conversation(oneToOne).head
    expect(() => alice.addConversationMember(oneToOne, carla.uri)).toThrow()
    expect(alice.conversation(oneToOne).head).toBe(head)
  })

  it('testOneToOneFetchWithNewMemberRefused', async () => {
    const { alice, bob, carla } = await trio(net)
    const oneToOne = alice.getContactDetails(bob.uri)!.conversationId!
    const error = next(bob, 'onConversationError', (cid, e) => cid === oneToOne && e.code === 'invalid-fetch')
    forge(alice, oneToOne, memberMessage('add', carla.uri), [addFile(alice, oneToOne, `invited/${carla.uri}`, '')])
    await error
  })

  it('testConversationMemberEvent', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    const events = record(alice, 'conversationMemberEvent')
    await invite(alice, id, bob)
    await until(() => events.length === 2, 'add and join at alice')
    expect(events).toEqual([[id, bob.uri, 'add'], [id, bob.uri, 'join']])
  })

  it('testGetConversationsMembersWhileSyncing', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(alice, bob)
    await alice.stop()
    bob.acceptConversationRequest(id)
    expect(bob.getConversationMembers(id).map((m) => m.uri).sort()).toEqual([alice.uri, bob.uri].sort())
  })

  it('testGetConversationMembersWithSelfOneOne', async () => {
    const alice = await net.account('alice')
    expect(() => alice.addContact(alice.toxId())).toThrow(/own/)
    expect(alice.getConversations()).toEqual([])
  })

  it('testBanFromNewDevice', async () => {
    const { alice, bob, carla } = await trio(net)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    await invite(alice, id, carla)
    await carla.stop()
    alice.removeConversationMember(id, bob.uri)
    const carla2 = await net.restart(carla)
    await until(() => roles(carla2, id)[bob.uri] === 'banned', 'the ban at carla after she returns', 30_000)
  })
})
