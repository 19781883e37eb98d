/**
 * Jami's ConversationRequestTest (reference jami-swarm.md §8.3) and SyncHistoryTest (§8.10),
 * ported: each test is named after the Jami test it follows; real accounts on a loopback
 * Tox network, second devices linked from archives.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { FRIEND_REQUEST_ID } from '../../src/transport/friends.js'
import { befriend, invite, next, offer, quiet, record, secondDevice, testNetwork, track, until } from './net.js'

const net = await testNetwork()

/** A second device of `account`, linked from its archive and started. */

describe('ConversationRequestTest', () => {
  it('testGetRequests', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(alice, bob)
    expect(bob.getConversationRequests().map((r) => r.id)).toEqual([id])
  })

  it('testDeclineRequest', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(alice, bob)
    bob.declineConversationRequest(id)
    expect(bob.getConversationRequests()).toEqual([])
  })

  it('testAddContact', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    expect(bob.conversation(id).mode).toBe(0)
    expect(bob.conversation(id).headTree().read(`members/${bob.uri}.crt`)).toBeDefined()
  })

  it('testAcceptTrustRemoveConvReq', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const request = next(bob, 'trustRequestReceived')
    alice.addContact(bob.toxId())
    await request
    expect(bob.getTrustRequests()).toHaveLength(1)
    bob.acceptTrustRequest(alice.uri)
    expect(bob.getTrustRequests()).toHaveLength(0)
  })

  it('testIncomingTrustRequestArgumentOrder', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const request = next(bob, 'trustRequestReceived')
    alice.addContact(bob.toxId())
    const [from, details] = await request
    expect(from).toBe(alice.uri)
    expect(details.toxPk).toBe(Buffer.from(alice.toxPublicKey).toString('hex'))
    bob.acceptTrustRequest(from)
  })

  it('testAddOfflineContactThenConnect', async () => {
    const [alice, carla] = [await net.account('alice'), await net.account('carla')]
    const toxId = carla.toxId()
    await carla.stop()
    alice.addContact(toxId)
    await quiet(300)
    const carla2 = Account.open(carla.dir)
    net.adopt(carla2)
    const request = next(carla2, 'trustRequestReceived', (from) => from === alice.uri, 20_000)
    await carla2.start({ bootstrap: net.bootstrap })
    await request
    const joined = next(alice, 'conversationMemberEvent', (_cid, uri, action) => uri === carla2.uri && action === 'join', 30_000)
    carla2.acceptTrustRequest(alice.uri)
    await joined
  })

  it('testDeclineTrustRequestDoNotGenerateAnother', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    // Every copy of alice's friend request that reaches bob's node (she resends it, 5 s later
    // and then backing off, until bob comes online for her — which he never will).
    const copies: number[] = []
    bob.node.tox.onion.on('data', (sender, body) => body[0] === FRIEND_REQUEST_ID && Buffer.from(sender).equals(alice.toxPublicKey) && copies.push(performance.now()))
    const request = next(bob, 'trustRequestReceived')
    alice.addContact(bob.toxId())
    await request
    bob.discardTrustRequest(alice.uri)
    const again = record(bob, 'trustRequestReceived')
    // Copies of the first send arrive together (one per node holding bob's announcement): a
    // resend is one that comes seconds later.
    await until(() => copies.some((t) => t - copies[0]! >= 4000), 'the friend request sent again (5 s on) and arrived', 20_000)
    await quiet(300)
    expect(again).toEqual([])
    expect(bob.getTrustRequests()).toEqual([])
  })

  it('testRemoveSelfDoesntRemoveConversation', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    const removed = record(alice, 'conversationRemoved')
    alice.removeContact(alice.uri)
    expect(removed).toEqual([])
    expect(existsSync(join(alice.dir, 'conversations', id))).toBe(true)
  })

  it('testRemoveContact', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const removed = next(alice, 'contactRemoved')
    alice.removeContact(bob.uri)
    expect(await removed).toEqual([bob.uri, false])
    expect(alice.getContactDetails(bob.uri)!.removed).toBeGreaterThan(0)
    expect(alice.getConversations()).not.toContain(id)
  })

  it('testBanContact', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    bob.removeContact(alice.uri, { ban: true })
    expect(bob.getContactDetails(alice.uri)).toMatchObject({ banned: true })
    const atBob = record(bob, 'swarmMessageReceived')
    alice.sendMessage(id, 'are you there?')
    await quiet()
    expect(atBob).toEqual([])
    expect(existsSync(join(bob.dir, 'conversations', id))).toBe(true)
  })

  it('testBanContactRemoveTrustRequest', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(alice, bob)
    const declined = next(bob, 'conversationRequestDeclined')
    bob.removeContact(alice.uri, { ban: true })
    expect(await declined).toEqual([id])
    expect(bob.getConversationRequests()).toEqual([])
  })

  it('testRequestBigPayload', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation({ title: 'x'.repeat(64_000) })
    const request = next(bob, 'conversationRequestReceived', (cid) => cid === id)
    alice.addConversationMember(id, bob.uri)
    const [, metadatas] = await request
    expect(metadatas['title']).toBeUndefined()
    const ready = next(bob, 'conversationReady', (cid) => cid === id)
    bob.acceptConversationRequest(id)
    await ready
  })

  it('testRemoveContactMultiDevice', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const bob2 = await secondDevice(net, bob, 'bob2')
    const id = alice.startConversation()
    const requested = next(bob2, 'conversationRequestReceived', (cid) => cid === id, 30_000)
    alice.addConversationMember(id, bob.uri)
    await requested
    const declined = [next(bob, 'conversationRequestDeclined', (cid) => cid === id), next(bob2, 'conversationRequestDeclined', (cid) => cid === id, 30_000)]
    bob.removeContact(alice.uri)
    await Promise.all(declined)
  })

  it('testRemoveConversationRemoveSyncing', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(alice, bob)
    // A control accepted the same way and not removed: both would be cloned from alice when
    // she comes back, at the same moment — once the control is ready, the other would be too.
    const control = await offer(alice, bob)
    await alice.stop()
    bob.acceptConversationRequest(id)
    bob.acceptConversationRequest(control)
    expect(bob.getConversations()).toContain(id)
    expect(bob.removeConversation(id)).toBe(true)
    expect(bob.getConversations()).not.toContain(id)
    const ready = record(bob, 'conversationReady')
    const errors = record(bob, 'onConversationError')
    const restarted = performance.now()
    const back = await net.restart(alice)
    const state = () => `the control cloned; ${Math.round(performance.now() - restarted)} ms after the restart bob sees ${JSON.stringify(bob.getPeers())}, alice sees ${JSON.stringify(back.getPeers())}, bob's errors ${JSON.stringify(errors)}`
    await until(() => ready.some(([cid]) => cid === control), state, 30_000)
    await quiet(300)
    expect(ready.map(([cid]) => cid)).toEqual([control])
  })

  it('testRemoveContactRemoveSyncing', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const request = next(bob, 'trustRequestReceived')
    alice.addContact(bob.toxId())
    await request
    const invited = next(bob, 'conversationRequestReceived')
    bob.acceptTrustRequest(alice.uri)
    const [oneToOne] = await invited
    expect(bob.getConversations()).toContain(oneToOne)
    bob.removeContact(alice.uri)
    expect(bob.getConversations()).not.toContain(oneToOne)
  })

  it('doNotLooseMetadata', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(alice, bob, { title: 'kept' })
    await alice.stop()
    bob.acceptConversationRequest(id)
    const reloaded = await net.restart(bob)
    expect(reloaded.conversationInfos(id)).toMatchObject({ syncing: 'true', title: 'kept' })
  })
})

describe('SyncHistoryTest', () => {
  it('testCreateConversationThenSync', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    const alice2 = track(net, await Account.importArchive(join(net.dir, 'a2-sync'), alice.exportArchive('p'), 'p'))
    const ready = next(alice2, 'conversationReady', (cid) => cid === id, 30_000)
    await alice2.start({ bootstrap: net.bootstrap })
    await ready
  })

  it('testCreateConversationWithOnlineDevice', async () => {
    const alice = await net.account('alice')
    const alice2 = await secondDevice(net, alice, 'a2-online')
    const ready = next(alice2, 'conversationReady', undefined, 30_000)
    const id = alice.startConversation()
    expect((await ready)[0]).toBe(id)
  })

  it('testCreateConversationWithMessagesThenAddDevice', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    for (const text of ['Message 1', 'Message 2', 'Message 3']) alice.sendMessage(id, text)
    const alice2 = track(net, await Account.importArchive(join(net.dir, 'a2-messages'), alice.exportArchive('p'), 'p'))
    const ready = next(alice2, 'conversationReady', (cid) => cid === id, 30_000)
    await alice2.start({ bootstrap: net.bootstrap })
    await ready
    const loaded = alice2.loadConversation(id, { n: 0 })
    expect(loaded).toHaveLength(4)
    expect(loaded.slice(0, 3).map((m) => m.body['body'])).toEqual(['Message 3', 'Message 2', 'Message 1'])
  })

  it('testCreateMultipleConversationThenAddDevice', async () => {
    const alice = await net.account('alice')
    const ids = [0, 1, 2, 3].map((i) => {
      const id = alice.startConversation()
      alice.sendMessage(id, `in ${i}`)
      return id
    })
    const alice2 = track(net, await Account.importArchive(join(net.dir, 'a2-multi'), alice.exportArchive('p'), 'p'))
    const ready = record(alice2, 'conversationReady')
    await alice2.start({ bootstrap: net.bootstrap })
    await until(() => ready.length === 4, 'four conversations on the new device', 30_000)
    expect(ready.map(([id]) => id).sort()).toEqual([...ids].sort())
  })

  it('testReceivesInviteThenAddDevice', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = await offer(bob, alice)
    const alice2 = track(net, await Account.importArchive(join(net.dir, 'a2-invite'), alice.exportArchive('p'), 'p'))
    await alice2.start({ bootstrap: net.bootstrap })
    expect(alice2.getConversationRequests().map((r) => r.id)).toEqual([id])
  })

  it('testRemoveConversationOnAllDevices', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    const alice2 = await secondDevice(net, alice, 'a2-remove')
    await until(() => alice2.getConversations().includes(id) && alice2.started && !alice2.conversationInfos(id)['syncing'], 'cloned on alice2', 30_000)
    const removed = next(alice2, 'conversationRemoved', (cid) => cid === id, 30_000)
    alice.removeConversation(id)
    await removed
    expect(alice2.getConversations()).not.toContain(id)
  })

  it('testSyncOneToOne', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const alice2 = track(net, await Account.importArchive(join(net.dir, 'a2-1to1'), alice.exportArchive('p'), 'p'))
    const ready = next(alice2, 'conversationReady', (cid) => cid === id, 30_000)
    await alice2.start({ bootstrap: net.bootstrap })
    await ready
  })

  it('testConversationRequestRemoved', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const alice2 = await secondDevice(net, alice, 'a2-declined')
    const id = bob.startConversation()
    const requests = [next(alice, 'conversationRequestReceived', (cid) => cid === id), next(alice2, 'conversationRequestReceived', (cid) => cid === id, 30_000)]
    bob.addConversationMember(id, alice.uri)
    await Promise.all(requests)
    const declined = [next(alice, 'conversationRequestDeclined', (cid) => cid === id), next(alice2, 'conversationRequestDeclined', (cid) => cid === id, 30_000)]
    alice.declineConversationRequest(id)
    await Promise.all(declined)
  })

  it('testSyncDeclinedRequestTwiceDoesNotRetrigger', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const alice2 = await secondDevice(net, alice, 'a2-twice')
    const id = bob.startConversation()
    const request = next(alice2, 'conversationRequestReceived', (cid) => cid === id, 30_000)
    bob.addConversationMember(id, alice.uri)
    await request
    const declined = record(alice2, 'conversationRequestDeclined')
    alice.declineConversationRequest(id)
    await until(() => declined.length === 1, 'the decline on alice2')
    // Another full sync with the same declined request: no second event.
    alice.setConversationPreferences(bob.getContactDetails(alice.uri)!.conversationId!, { x: '1' })
    await quiet(500)
    expect(declined).toHaveLength(1)
  })

  it('testConversationPreferencesMultiDevices', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    const alice2 = await secondDevice(net, alice, 'a2-prefs')
    await until(() => alice2.getConversations().includes(id), 'the conversation on alice2', 30_000)
    const updated = next(alice2, 'conversationPreferencesUpdated', (cid) => cid === id, 30_000)
    alice.setConversationPreferences(id, { foo: 'bar' })
    expect((await updated)[1]).toEqual({ foo: 'bar' })
  })

  it('testConversationPreferencesBeforeClone', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    alice.setConversationPreferences(id, { foo: 'bar' })
    const alice2 = track(net, await Account.importArchive(join(net.dir, 'a2-prefs-before'), alice.exportArchive('p'), 'p'))
    const ready = next(alice2, 'conversationReady', (cid) => cid === id, 30_000)
    await alice2.start({ bootstrap: net.bootstrap })
    await ready
    expect(alice2.getConversationPreferences(id)).toEqual({ foo: 'bar' })
  })

  it('testSyncWithoutPinnedCert', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const bob2 = await secondDevice(net, bob, 'bob2-pinned')
    await bob2.stop()
    const id = alice.startConversation()
    await invite(alice, id, bob)
    await alice.stop()
    // bob2 comes back while alice is away: it clones from bob's first device.
    const bob2again = Account.open(bob2.dir)
    net.adopt(bob2again)
    const ready = next(bob2again, 'conversationReady', (cid) => cid === id, 30_000)
    await bob2again.start({ bootstrap: net.bootstrap })
    await ready
  })
})
