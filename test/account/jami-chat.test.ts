/**
 * Jami's scenarios about message status, read receipts, profiles and presence (reference
 * jami-swarm.md §8.1, §8.3, §8.10), ported: each test is named after the Jami test it follows;
 * real accounts on a loopback Tox network, second devices linked from archives.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { befriend, invite, next, quiet, record, secondDevice, testNetwork, track, until } from './net.js'

const net = await testNetwork()


async function pair(): Promise<{ alice: Account; bob: Account; id: string }> {
  const [alice, bob] = [await net.account('alice'), await net.account('bob')]
  await befriend(alice, bob)
  const id = alice.startConversation()
  await invite(alice, id, bob)
  return { alice, bob, id }
}

describe('ConversationTest', () => {
  it('testSetMessageDisplayedTwice', async () => {
    const { alice, bob, id } = await pair()
    const displayed = next(bob, 'accountMessageStatusChanged', (cid, uri, m, s) => cid === id && uri === alice.uri && m === id && s === 3)
    alice.setMessageDisplayed(id, id)
    await displayed
    const seen = record(bob, 'accountMessageStatusChanged')
    expect(alice.setMessageDisplayed(id, id)).toBe(false)
    await quiet(2000)
    expect(seen.filter(([, uri]) => uri === alice.uri)).toEqual([])
  })

  it('testSetMessageDisplayedPreference', async () => {
    const { alice, bob, id } = await pair()
    alice.updateSettings({ sendReadReceipt: false })
    const seen = record(bob, 'accountMessageStatusChanged')
    alice.setMessageDisplayed(id, id)
    await quiet(2000)
    expect(seen.filter(([, uri, , s]) => uri === alice.uri && s === 3)).toEqual([])
  })

  it('testSetMessageDisplayedAfterClone', async () => {
    const { alice, id } = await pair()
    alice.setMessageDisplayed(id, id)
    const alice2 = await secondDevice(net, alice, 'alice2')
    await until(() => alice2.getConversations().includes(id) && !alice2.conversationInfos(id)['syncing'], 'the clone on alice2')
    await until(() => alice2.getConversationMembers(id).find((m) => m.uri === alice.uri)?.lastDisplayed === id, 'lastDisplayed on alice2')
  })

  it('testCheckProfileInTrustRequest', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    alice.updateProfile({ displayName: 'Alice Liddell' })
    const request = next(bob, 'trustRequestReceived', (from) => from === alice.uri)
    alice.addContact(bob.toxId())
    const [, details] = await request
    // A Tox friend request carries at most 1,016 bytes: the profile's name, not its picture.
    expect(details.name).toBe('Alice Liddell')
  })

  it('testCloneFromMultipleDevice', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const bob2 = await secondDevice(net, bob, 'bob2')
    const id = await befriend(alice, bob)
    await until(() => bob2.getConversations().includes(id) && !bob2.conversationInfos(id)['syncing'], 'the 1:1 on bob2')
    alice.removeContact(bob.uri)
    const errors = record(alice, 'onConversationError')
    const back = next(alice, 'conversationReady', (cid) => cid === id, 30_000)
    alice.addContact(bob.toxId())
    await back
    // One 1:1 per contact (jami-daemon#924): the same one on alice, bob and bob2.
    for (const a of [alice, bob, bob2]) expect(a.getContactDetails(a === alice ? bob.uri : alice.uri)?.conversationId).toBe(id)
    expect(errors).toEqual([])
  })
})

/** Alice's device is lost: a new one is made from `archive`, with nothing left of the old one. */
async function restore(alice: Account, archive: Buffer): Promise<Account> {
  await alice.stop()
  rmSync(alice.dir, { recursive: true, force: true })
  const alice2 = track(net, await Account.importArchive(join(net.dir, `alice2-${Math.random().toString(36).slice(2, 8)}`), archive, 'pass', { displayName: 'alice2' }))
  return alice2
}

describe('SyncHistoryTest', () => {
  it('testSyncCreateAccountExportDeleteReimportOldBackup', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const archive = alice.exportArchive('pass')
    // The conversation comes after the backup.
    const id = alice.startConversation()
    await invite(alice, id, bob)
    const alice2 = await restore(alice, archive)
    const request = next(alice2, 'conversationRequestReceived', (cid) => cid === id, 30_000)
    await alice2.start({ bootstrap: net.bootstrap })
    await until(() => alice2.getPeers().some((p) => p.accountUri === bob.uri), 'alice2 and bob linked', 30_000)
    bob.sendMessage(id, 'anyone there?')
    await request
    const ready = next(alice2, 'conversationReady', (cid) => cid === id, 30_000)
    alice2.acceptConversationRequest(id)
    await ready
    const got = next(bob, 'swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === 'me, again')
    alice2.sendMessage(id, 'me, again')
    await got
  })

  it('testSyncCreateAccountExportDeleteReimportWithConvId', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    const alice2 = await restore(alice, alice.exportArchive('pass'))
    // Ready without anything asked: cloned from bob, the only device left that has it.
    const ready = next(alice2, 'conversationReady', (cid) => cid === id, 30_000)
    await alice2.start({ bootstrap: net.bootstrap })
    await ready
    const got = next(bob, 'swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === 'restored')
    alice2.sendMessage(id, 'restored')
    await got
  })

  it('testSyncCreateAccountExportDeleteReimportWithConvReq', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    await befriend(alice, bob)
    const id = bob.startConversation()
    const request = next(alice, 'conversationRequestReceived', (cid) => cid === id)
    bob.addConversationMember(id, alice.uri)
    await request
    const alice2 = await restore(alice, alice.exportArchive('pass'))
    await alice2.start({ bootstrap: net.bootstrap })
    expect(alice2.getConversationRequests().map((r) => r.id)).toEqual([id])
    const joined = next(bob, 'conversationMemberEvent', (cid, uri, action) => cid === id && uri === alice.uri && action === 'join', 30_000)
    await until(() => alice2.getPeers().some((p) => p.accountUri === bob.uri), 'alice2 and bob linked', 30_000)
    alice2.acceptConversationRequest(id)
    await joined
  })

  it('testProfileReceivedMultiDevice', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    alice.updateProfile({ displayName: 'Alice' })
    bob.updateProfile({ displayName: 'Bob' })
    const atAlice = next(alice, 'profileReceived', (uri) => uri === bob.uri)
    const atBob = next(bob, 'profileReceived', (uri) => uri === alice.uri)
    await befriend(alice, bob)
    await Promise.all([atAlice, atBob])
    const alice2 = track(net, await Account.importArchive(join(net.dir, `alice2-${Math.random().toString(36).slice(2, 8)}`), alice.exportArchive('pass'), 'pass', { displayName: 'alice2' }))
    const own = next(alice2, 'profileReceived', (uri) => uri === alice.uri, 30_000)
    const contact = next(alice2, 'profileReceived', (uri) => uri === bob.uri, 30_000)
    await alice2.start({ bootstrap: net.bootstrap })
    await Promise.all([own, contact])
    expect(alice2.getProfile()?.displayName).toBe('Alice')
    expect(alice2.getProfile(bob.uri)?.displayName).toBe('Bob')
  })

  it('testLastInteractionAfterClone', async () => {
    const { alice, bob, id } = await pair()
    const messages = [bob.sendMessage(id, 'msg1'), bob.sendMessage(id, 'msg2'), bob.sendMessage(id, 'msg3')]
    await until(() => alice.conversation(id).history().has(messages[2]!), 'the messages at alice')
    alice.setMessageDisplayed(id, messages[2]!)
    const alice2 = await secondDevice(net, alice, 'alice2')
    await until(() => alice2.getConversations().includes(id) && !alice2.conversationInfos(id)['syncing'], 'the clone on alice2')
    await until(() => alice2.getConversationMembers(id).find((m) => m.uri === alice.uri)?.lastDisplayed === messages[2], 'lastDisplayed on alice2')
  })

  it('testLastInteractionAfterSomeMessages', async () => {
    const { alice, bob, id } = await pair()
    const alice2 = await secondDevice(net, alice, 'alice2')
    await until(() => alice2.getConversations().includes(id) && !alice2.conversationInfos(id)['syncing'], 'the clone on alice2')
    const messages = [bob.sendMessage(id, 'msg1'), bob.sendMessage(id, 'msg2'), bob.sendMessage(id, 'msg3')]
    await until(() => alice.conversation(id).history().has(messages[2]!) && alice2.conversation(id).history().has(messages[2]!), 'the messages on both devices')
    const onAlice2 = next(alice2, 'accountMessageStatusChanged', (cid, uri, m, s) => cid === id && uri === alice.uri && m === messages[2] && s === 3)
    const onAlice = next(alice, 'accountMessageStatusChanged', (cid, uri, m, s) => cid === id && uri === alice.uri && m === messages[2] && s === 3)
    alice.setMessageDisplayed(id, messages[2]!)
    await Promise.all([onAlice, onAlice2])
    expect(alice2.getConversationMembers(id).find((m) => m.uri === alice.uri)?.lastDisplayed).toBe(messages[2])
  })
})
