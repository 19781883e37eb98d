/**
 * Jami's ConversationRequestTest scenarios about the contact lifecycle (reference
 * jami-swarm.md §8.3), ported: removing a contact and adding it again brings back the one
 * one-to-one conversation (never a second one), bans and their undoing, on several devices.
 */
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { befriend, invite, next, quiet, record, secondDevice, testNetwork, until } from './net.js'

const net = await testNetwork()


const ready = (a: Account, id: string) => a.getConversations().includes(id) && !a.conversationInfos(id)['syncing']

describe('ConversationRequestTest', () => {
  it('testAvoidTwoOneToOne', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    bob.removeContact(alice.uri)
    expect(bob.getConversations()).not.toContain(id)
    const back = next(bob, 'conversationReady', (cid) => cid === id, 30_000)
    bob.addContact(alice.toxId())
    await back
    expect(bob.getContactDetails(alice.uri)?.conversationId).toBe(id)
    expect(bob.getConversations().filter((c) => bob.conversation(c).mode === 0)).toEqual([id])
    // Still one conversation that works both ways.
    const got = next(alice, 'swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === 'back again')
    bob.sendMessage(id, 'back again')
    await got
  })

  it('testAvoidTwoOneToOneMultiDevices', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const bob2 = await secondDevice(net, bob, 'bob2')
    const id = await befriend(alice, bob)
    await until(() => ready(bob2, id), 'the 1:1 on bob2')
    const removed = next(bob2, 'contactRemoved', (uri) => uri === alice.uri)
    bob.removeContact(alice.uri)
    await removed
    const back = next(bob2, 'conversationReady', (cid) => cid === id, 30_000)
    bob.addContact(alice.toxId())
    await back
    for (const b of [bob, bob2]) expect(b.getContactDetails(alice.uri)?.conversationId).toBe(id)
  })

  it('testRemoveRequestBannedMultiDevices', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const bob2 = await secondDevice(net, bob, 'bob2')
    const request = next(bob, 'trustRequestReceived', (from) => from === alice.uri)
    alice.addContact(bob.toxId())
    await request
    const removed = next(bob2, 'contactRemoved', (uri, banned) => uri === alice.uri && banned)
    bob.removeContact(alice.uri, { ban: true })
    await removed
    expect(bob.getTrustRequests()).toEqual([])
    expect(bob2.getTrustRequests()).toEqual([])
    expect(bob2.getConversationRequests()).toEqual([])
  })

  it('testBanUnbanMultiDevice', async () => {
    const [alice, bob, carla] = [await net.account('alice'), await net.account('bob'), await net.account('carla')]
    const bob2 = await secondDevice(net, bob, 'bob2')
    await befriend(alice, bob)
    await befriend(alice, carla)
    const id = alice.startConversation()
    await invite(alice, id, carla)
    const requested = [next(bob, 'conversationRequestReceived', (cid) => cid === id), next(bob2, 'conversationRequestReceived', (cid) => cid === id, 30_000)]
    alice.addConversationMember(id, bob.uri)
    await Promise.all(requested)
    // Kicked while only invited, then added again.
    alice.removeConversationMember(id, bob.uri)
    expect(alice.getConversationMembers(id).find((m) => m.uri === bob.uri)?.role).toBe('banned')
    // The invitation bob holds stands for the new one.
    alice.addConversationMember(id, bob.uri)
    const both = [next(bob, 'conversationReady', (cid) => cid === id, 30_000), next(bob2, 'conversationReady', (cid) => cid === id, 30_000)]
    bob.acceptConversationRequest(id)
    await Promise.all(both)
    await until(() => alice.conversation(id).roleOf(bob.uri) === 'member', "bob's join at alice")
  })

  it('testBanUnbanGotFirstConv', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const bob2 = await secondDevice(net, bob, 'bob2')
    const id = await befriend(alice, bob)
    await until(() => ready(bob2, id), 'the 1:1 on bob2')
    const banned = next(bob2, 'contactRemoved', (uri, b) => uri === alice.uri && b)
    bob.removeContact(alice.uri, { ban: true })
    await banned
    const seen = record(bob, 'swarmMessageReceived')
    const message = alice.sendMessage(id, 'while banned')
    await quiet(1500)
    expect(seen.filter(([, m]) => m.id === message)).toEqual([])
    const added = [next(bob, 'contactAdded', (uri) => uri === alice.uri, 30_000), next(bob2, 'contactAdded', (uri) => uri === alice.uri, 30_000)]
    bob.addContact(alice.toxId())
    await Promise.all(added)
    for (const b of [bob, bob2]) expect(b.getContactDetails(alice.uri)?.conversationId).toBe(id)
    await until(() => bob.conversation(id).history().has(message), 'the message sent while banned, once unbanned')
  })

  it('testAddContactTwice', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const first = next(bob, 'trustRequestReceived', (from) => from === alice.uri)
    alice.addContact(bob.toxId())
    await first
    alice.addContact(bob.toxId())
    await quiet(1000)
    // One request, however often it is sent; once accepted, one 1:1.
    expect(bob.getTrustRequests().map((r) => r.uri)).toEqual([alice.uri])
    const readyA = next(alice, 'conversationReady')
    const readyB = next(bob, 'conversationReady')
    bob.acceptTrustRequest(alice.uri)
    const [[id]] = await Promise.all([readyA, readyB])
    await quiet(1000)
    expect(alice.getConversations()).toEqual([id])
    expect(bob.getConversations()).toEqual([id])
  })

  it('testAddContactDeleteAndReAdd', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    alice.removeContact(bob.uri)
    const back = next(alice, 'conversationReady', (cid) => cid === id, 30_000)
    alice.addContact(bob.toxId())
    await back
    expect(alice.getContactDetails(bob.uri)?.conversationId).toBe(id)
    expect(bob.getContactDetails(alice.uri)?.conversationId).toBe(id)
  })

  it('testRemoveConversationUpdateContactDetails', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    expect(bob.getContactDetails(alice.uri)?.conversationId).toBe(id)
    bob.removeConversation(id)
    expect(bob.getContactDetails(alice.uri)?.conversationId).not.toBe(id)
  })

  it('testRemoveContactRemoveTrustRequest', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const bob2 = await secondDevice(net, bob, 'bob2')
    await befriend(alice, bob)
    await until(() => bob2.getContactDetails(alice.uri)?.confirmed === true, 'the contact on bob2')
    const removed = [next(bob, 'contactRemoved', (uri) => uri === alice.uri), next(bob2, 'contactRemoved', (uri) => uri === alice.uri)]
    bob2.removeContact(alice.uri)
    await Promise.all(removed)
    expect(bob.getTrustRequests()).toEqual([])
    expect(bob2.getTrustRequests()).toEqual([])
  })

  it('testAddConversationNoPresenceThenConnects', async () => {
    const [alice, carla] = [await net.account('alice'), await net.account('carla')]
    const carlaId = carla.toxId()
    await carla.stop()
    // Both ask while carla is away: once she is back, one 1:1, the same on both sides.
    alice.addContact(carlaId)
    const back = Account.open(carla.dir)
    net.adopt(back)
    back.addContact(alice.toxId())
    await back.start({ bootstrap: net.bootstrap })
    await until(() => !!alice.getContactDetails(back.uri)?.conversationId && alice.getContactDetails(back.uri)?.conversationId === back.getContactDetails(alice.uri)?.conversationId, 'the same 1:1 in both contact details', 30_000)
    const id = alice.getContactDetails(back.uri)!.conversationId!
    await until(() => ready(alice, id) && ready(back, id), 'the 1:1 ready on both')
  })

  it('testBothRemoveReadd', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    alice.removeContact(bob.uri)
    bob.removeContact(alice.uri)
    const request = next(bob, 'trustRequestReceived', (from) => from === alice.uri, 30_000)
    alice.addContact(bob.toxId())
    await request
    const both = [next(alice, 'conversationReady', (cid) => cid === id, 30_000), next(bob, 'conversationReady', (cid) => cid === id, 30_000)]
    bob.acceptTrustRequest(alice.uri)
    await Promise.all(both)
    expect(alice.getContactDetails(bob.uri)?.conversationId).toBe(id)
    expect(bob.getContactDetails(alice.uri)?.conversationId).toBe(id)
  })
})
