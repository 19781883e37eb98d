/**
 * What chat apps show, over real accounts on a loopback Tox network: message status and read
 * receipts (with a member offline, and turned off), typing and its 12 s expiry, presence as a
 * device stops and starts, profiles (and their bounds), and revoking a lost device.
 */
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { LimitExceededError, InvalidArgumentError, InvalidStateError } from '../../src/errors.js'
import { duplexPair } from '../../src/git/duplex-pair.js'
import { editTree } from '../../src/git/tree.js'
import { writeSignedCommit } from '../../src/swarm/commit-writer.js'
import { Conversation, MAIN_REF } from '../../src/swarm/conversation.js'
import { befriend, invite, next, quiet, record, secondDevice, testNetwork, until } from './net.js'

const net = await testNetwork()

/** A PNG header and some bytes: what the avatar check wants to see. */
const png = (size: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(size - 8, 7)])

async function group(names: string[]): Promise<{ id: string; accounts: Account[] }> {
  const accounts: Account[] = []
  for (const n of names) accounts.push(await net.account(n))
  const [host, ...rest] = accounts
  const id = host!.startConversation()
  for (const a of rest) {
    await befriend(host!, a)
    await invite(host!, id, a)
  }
  return { id, accounts }
}


describe('message status and read receipts', () => {
  it('a displayed message reaches the author as status 3, older messages inherit it, lastDisplayed shows it', async () => {
    const { id, accounts } = await group(['alice', 'bob'])
    const [alice, bob] = accounts as [Account, Account]
    const first = bob.sendMessage(id, 'one')
    const second = bob.sendMessage(id, 'two')
    await until(() => alice.conversation(id).history().has(second), 'the messages at alice')
    const receipt = next(bob, 'accountMessageStatusChanged', (cid, uri, _m, status) => cid === id && uri === alice.uri && status === 3)
    expect(alice.setMessageDisplayed(id, second)).toBe(true)
    expect(await receipt).toEqual([id, alice.uri, second, 3])
    expect(bob.getConversationMembers(id).find((m) => m.uri === alice.uri)?.lastDisplayed).toBe(second)
    const statuses = bob.loadConversation(id)
    expect(statuses.find((m) => m.id === first)?.status?.[alice.uri]).toBe(3)
    expect(statuses.find((m) => m.id === second)?.status).toEqual({ [alice.uri]: 3, [bob.uri]: 3 })
    // Marking an older message does not move the pointer back, nor send anything.
    expect(alice.setMessageDisplayed(id, first)).toBe(false)
    expect(() => alice.setMessageDisplayed(id, 'f'.repeat(40))).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND' }))
  })

  it('a message fetched by a member is status 2 for it at the author', async () => {
    const { id, accounts } = await group(['alice', 'bob'])
    const [alice, bob] = accounts as [Account, Account]
    const sent = next(bob, 'accountMessageStatusChanged', (cid, uri, _m, status) => cid === id && uri === alice.uri && status === 2)
    const message = bob.sendMessage(id, 'fetch me')
    const [, , messageId] = await sent
    await until(() => alice.conversation(id).history().has(message), 'the message at alice')
    expect(bob.getMessageStatus(id, message)[alice.uri]).toBeGreaterThanOrEqual(2)
    expect(messageId).toBe(message)
  })

  it('a receipt for a member that is offline waits in the outbox and arrives when it returns', async () => {
    const { id, accounts } = await group(['alice', 'bob', 'carla'])
    let [alice, bob, carla] = accounts as [Account, Account, Account]
    const message = bob.sendMessage(id, 'hello all')
    await until(() => alice.conversation(id).history().has(message) && carla.conversation(id).history().has(message), 'the message everywhere')
    await carla.stop()
    const atBob = next(bob, 'accountMessageStatusChanged', (cid, uri, m, s) => cid === id && uri === alice.uri && m === message && s === 3)
    alice.setMessageDisplayed(id, message)
    await atBob
    expect(alice.store.outbox.value.filter((e) => e.key === `displayed:${id}`).length).toBeGreaterThan(0)
    const back = Account.open(carla.dir)
    const atCarla = next(back, 'accountMessageStatusChanged', (cid, uri, m, s) => cid === id && uri === alice.uri && m === message && s === 3, 30_000)
    net.adopt(back)
    await back.start({ bootstrap: net.bootstrap })
    await atCarla
    carla = back
    expect(carla.getConversationMembers(id).find((m) => m.uri === alice.uri)?.lastDisplayed).toBe(message)
  })

  it('with sendReadReceipt off, receipts are neither sent nor shown', async () => {
    const { id, accounts } = await group(['alice', 'bob'])
    const [alice, bob] = accounts as [Account, Account]
    const message = bob.sendMessage(id, 'private reading')
    await until(() => alice.conversation(id).history().has(message), 'the message at alice')
    alice.updateSettings({ sendReadReceipt: false })
    const seen = record(bob, 'accountMessageStatusChanged')
    alice.setMessageDisplayed(id, message)
    await quiet(1500)
    expect(seen.filter(([, uri, , s]) => uri === alice.uri && s === 3)).toEqual([])
    // Off at the receiver: bob turns it off, alice's receipt (now on again) is not shown.
    alice.updateSettings({ sendReadReceipt: true })
    bob.updateSettings({ sendReadReceipt: false })
    const later = alice.sendMessage(id, 'reply')
    await until(() => bob.conversation(id).history().has(later), 'the reply at bob')
    alice.setMessageDisplayed(id, later)
    await quiet(1500)
    expect(seen.filter(([, uri, , s]) => uri === alice.uri && s === 3)).toEqual([])
    expect(() => alice.updateSettings({ sendReadReceipt: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})

describe('typing', () => {
  it('setIsComposing reaches members; false ends it; sendComposing off sends nothing', async () => {
    const { id, accounts } = await group(['alice', 'bob'])
    const [alice, bob] = accounts as [Account, Account]
    const typing = next(bob, 'composingStatusChanged', (cid, uri, c) => cid === id && uri === alice.uri && c)
    alice.setIsComposing(id, true)
    await typing
    expect(bob.getComposing(id)).toEqual([alice.uri])
    const stopped = next(bob, 'composingStatusChanged', (cid, uri, c) => cid === id && uri === alice.uri && !c)
    alice.setIsComposing(id, false)
    await stopped
    expect(bob.getComposing(id)).toEqual([])
    alice.updateSettings({ sendComposing: false })
    const seen = record(bob, 'composingStatusChanged')
    alice.setIsComposing(id, true)
    await quiet(1000)
    expect(seen).toEqual([])
    alice.setIsComposing(id, false)
  })

  it('a typing state expires after 12 s unless renewed', async () => {
    const { id, accounts } = await group(['alice', 'bob'])
    const [alice, bob] = accounts as [Account, Account]
    const typing = next(bob, 'composingStatusChanged', (cid, uri, c) => cid === id && uri === alice.uri && c)
    alice.setIsComposing(id, true)
    await typing
    const started = Date.now()
    // Renewed once after 3 s: the 12 s count from there.
    await quiet(3000)
    alice.setIsComposing(id, true)
    const [, , composing] = await next(bob, 'composingStatusChanged', (cid, uri) => cid === id && uri === alice.uri, 20_000)
    const lasted = Date.now() - started
    expect(composing).toBe(false)
    expect(lasted).toBeGreaterThanOrEqual(14_500)
    expect(lasted).toBeLessThan(17_000)
  }, 30_000)
})

describe('presence', () => {
  it('a contact is 2 while connected, 0 once its device stops, 2 again when it starts', async () => {
    const alice = await net.account('alice')
    const bob = await net.account('bob')
    await befriend(alice, bob)
    await until(() => alice.getPresence(bob.uri) === 2, 'bob connected at alice')
    expect(alice.getContactDetails(bob.uri)?.presence).toBe(2)
    const gone = next(alice, 'presenceChanged', (uri, status) => uri === bob.uri && status === 0)
    await bob.stop()
    await gone
    expect(alice.getContactDetails(bob.uri)?.presence).toBe(0)
    const back = next(alice, 'presenceChanged', (uri, status) => uri === bob.uri && status === 2, 30_000)
    await net.restart(bob)
    await back
  })
})

describe('profiles', () => {
  it('a profile reaches contacts and own devices; avatars over the bound or not images are refused whole', async () => {
    const alice = await net.account('alice')
    const bob = await net.account('bob')
    await befriend(alice, bob)
    const atBob = next(bob, 'profileReceived', (uri) => uri === alice.uri)
    const avatar = png(2000)
    const set = alice.updateProfile({ displayName: 'Alice A.', avatar })
    await atBob
    expect(bob.getProfile(alice.uri)).toEqual({ displayName: 'Alice A.', avatar: avatar.toString('base64'), updated: set.updated })
    const before = alice.getProfile()
    expect(() => alice.updateProfile({ avatar: png(32 * 1024 + 1) })).toThrow(LimitExceededError)
    expect(() => alice.updateProfile({ avatar: Buffer.from('not an image at all') })).toThrow(InvalidArgumentError)
    expect(() => alice.updateProfile({ displayName: 'a\nb' })).toThrow(InvalidArgumentError)
    expect(alice.getProfile()).toEqual(before)
    // A device linked later gets it from its own account.
    const profile = next(alice, 'deviceAdded')
    const alice2 = await secondDevice(net, alice, 'alice2')
    await profile
    await until(() => alice2.getProfile()?.displayName === 'Alice A.', 'the profile on alice2')
    // A change reaches the contact again; the newer wins.
    const again = next(bob, 'profileReceived', (uri) => uri === alice.uri)
    alice2.updateProfile({ displayName: 'Alice (phone)' })
    await again
    expect(bob.getProfile(alice.uri)?.displayName).toBe('Alice (phone)')
    await until(() => alice.getProfile()?.displayName === 'Alice (phone)', 'the change back on alice')
  })
})

describe('revoking a device', () => {
  it("a revoked phone's new commit is refused by members, its sync:// by own devices, and it learns it and stops", async () => {
    const alice = await net.account('alice')
    const bob = await net.account('bob')
    await befriend(alice, bob)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    const phone = await secondDevice(net, alice, 'phone')
    await until(() => phone.getConversations().includes(id) && !phone.conversationInfos(id)['syncing'] && phone.conversation(id).head === alice.conversation(id).head, 'the group on the phone')
    phone.sendMessage(id, 'from the phone')
    await until(() => bob.conversation(id).head === phone.conversation(id).head, 'the phone message at bob')
    // The phone is lost: offline when the revocation is made.
    await phone.stop()
    const devices = next(alice, 'knownDevicesChanged')
    const ended = next(alice, 'deviceRevocationEnded')
    await alice.revokeDevice(phone.deviceId)
    expect(await ended).toEqual([phone.deviceId, 0])
    expect(Object.keys((await devices)[0])).toEqual([alice.deviceId])
    expect(alice.getKnownDevices()).toEqual({ [alice.deviceId]: 'alice' })
    await until(() => bob.conversation(id).headTree().read(`CRLs/${alice.uri}`) !== undefined, 'the CRL at bob')
    // Whoever holds the phone writes on its old head (which lacks the CRL), after the revocation.
    const phoneConv = Conversation.open(phone.store.repositoryPath(id), { identity: phone.identity })
    const parent = phoneConv.head
    const tree = editTree(phoneConv.repo.objects, phoneConv.view.commit(parent).fields.tree, [])
    const late = writeSignedCommit(phoneConv.repo.objects, phone.identity, { tree, parents: [parent], message: { type: 'text/plain', body: 'still here' }, time: Math.floor(Date.now() / 1000) + 5 })
    phoneConv.repo.refs.update(MAIN_REF, late, parent)
    for (const member of [alice, bob]) {
      const [server, client] = duplexPair()
      const serving = phoneConv.serve(server)
      const result = await member.conversation(id).syncFrom(client, phone.deviceId).catch((err: Error) => ({ error: err }))
      client.end()
      await serving.catch(() => {})
      const rule = 'rejection' in result ? result.rejection?.rule : (result as { error: { data?: { rule?: string } } }).error?.data?.rule
      expect(rule).toBe('device.revoked')
      expect(member.conversation(id).history().has(late)).toBe(false)
    }
    phoneConv.close()
    // The phone comes back while bob is away (members refuse it too, and would tell it first):
    // its own account refuses it, sync:// included, and tells it why.
    await bob.stop()
    const back = Account.open(phone.dir)
    net.adopt(back)
    const refused = next(alice, 'peerError', (e) => /revoked/.test(e.message), 30_000)
    const revoked = next(back, 'deviceRevoked', () => true, 30_000)
    await back.start({ bootstrap: net.bootstrap })
    await refused
    expect(await revoked).toEqual([phone.deviceId])
    await until(() => !back.started, 'the phone stopping')
    expect(alice.getPeers().some((p) => p.deviceId === phone.deviceId)).toBe(false)
    await expect(back.start({ bootstrap: net.bootstrap })).rejects.toThrow(InvalidStateError)
  }, 60_000)
})
