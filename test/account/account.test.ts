/**
 * Accounts on a real loopback Tox network (UDP on 127.0.0.1, a gitswarm bootstrap node):
 * contacts by Tox ID both ways, the one-to-one conversation, group invitations accepted and
 * declined, live messages with their events in order, a second device linked from an
 * archive, offline delivery across a restart, and a ban that stops delivery.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, linkSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { BadPassphraseError } from '../../src/errors.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { befriend, invite, next, record, testNetwork, track, until } from './net.js'

describe('accounts on a loopback Tox network', () => {
  it('contact by Tox ID both ways, each with its one-to-one conversation', async () => {
    const net = await testNetwork()
    const [alice, bob, carol] = [await net.account('alice'), await net.account('bob'), await net.account('carol')]
    const added = record(alice, 'contactAdded')
    const ab = await befriend(alice, bob)
    const ca = await befriend(carol, alice)
    expect(added.map(([uri]) => uri)).toEqual([bob.uri, carol.uri])
    for (const [id, x, y] of [[ab, alice, bob], [ca, carol, alice]] as const) {
      expect(x.conversation(id).mode).toBe(0)
      expect(y.conversation(id).head).toBe(x.conversation(id).head)
      expect(x.getContactDetails(y.uri)).toMatchObject({ confirmed: true, conversationId: id })
      expect(y.getContactDetails(x.uri)).toMatchObject({ confirmed: true, conversationId: id })
    }
    expect(alice.getTrustRequests()).toEqual([])
    // The contact lists are in the account directory.
    const onDisk = JSON.parse(readFileSync(join(alice.dir, 'contacts.json'), 'utf8')) as Record<string, unknown>
    expect(Object.keys(onDisk).sort()).toEqual([bob.uri, carol.uri].sort())
  })

  it('two accounts adding each other at once become contacts without a question, with one one-to-one conversation', async () => {
    const net = await testNetwork()
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    // Kept as the arrays record() fills (a copy made now would stay empty whatever happens).
    const questions = { alice: record(alice, 'trustRequestReceived'), bob: record(bob, 'trustRequestReceived') }
    alice.addContact(bob.toxId())
    bob.addContact(alice.toxId())
    const same = () => alice.getContactDetails(bob.uri)?.conversationId
    await until(() => !!same() && bob.getContactDetails(alice.uri)?.conversationId === same() && bob.getConversations().length === 1 && alice.getConversations().length === 1, 'one and the same 1:1 on both')
    await new Promise((r) => setTimeout(r, 300))
    expect(alice.getConversations()).toEqual([same()])
    expect(bob.getConversations()).toEqual([same()])
    await until(() => bob.conversation(same()!).head === alice.conversation(same()!).head && [alice.uri, bob.uri].map((u) => alice.conversation(same()!).roleOf(u)).sort().join() === 'admin,member', 'both in it')
    expect(questions).toEqual({ alice: [], bob: [] })
  })

  it('group invitations accepted and declined; live messages with events in order', async () => {
    const net = await testNetwork()
    const [alice, bob, carol] = [await net.account('alice'), await net.account('bob'), await net.account('carol')]
    await befriend(alice, bob)
    await befriend(alice, carol)
    const id = alice.startConversation({ title: 'Trip' })
    const request = next(carol, 'conversationRequestReceived', (cid) => cid === id)
    await invite(alice, id, bob)
    alice.addConversationMember(id, carol.uri)
    const [, metadatas] = await request
    expect(metadatas).toMatchObject({ title: 'Trip', mode: '2', from: alice.uri })
    expect(carol.getConversationRequests().map((r) => r.id)).toEqual([id])
    const declined = next(carol, 'conversationRequestDeclined')
    carol.declineConversationRequest(id)
    expect(await declined).toEqual([id])
    expect(carol.getConversationRequests()).toEqual([])
    expect(carol.getConversations()).not.toContain(id)

    const events: string[] = []
    bob.on('swarmMessageReceived', (cid, m) => cid === id && m.type === 'text/plain' && events.push(`message ${m.body['body']}`))
    bob.on('swarmMessageUpdated', (cid, m) => cid === id && events.push(`updated ${m.body['body']}`))
    bob.on('reactionAdded', (cid, _m, r) => cid === id && events.push(`reaction ${r.emoji}`))
    bob.on('reactionRemoved', (cid) => cid === id && events.push('reaction removed'))
    const first = alice.sendMessage(id, 'one')
    alice.sendMessage(id, 'two')
    alice.editMessage(id, first, 'one, edited')
    const reaction = alice.addReaction(id, first, '👍')
    alice.removeReaction(id, reaction)
    alice.sendMessage(id, 'three')
    await until(() => events.includes('message three'), 'the last message at bob')
    expect(events).toEqual(['message one', 'message two', 'updated one, edited', 'reaction 👍', 'reaction removed', 'message three'])
    expect(bob.conversation(id).head).toBe(alice.conversation(id).head)
  })

  it('a second device linked from an archive gets the conversations, the contacts and live messages', async () => {
    const net = await testNetwork()
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const oneToOne = await befriend(alice, bob)
    const group = alice.startConversation({ title: 'Notes' })
    alice.sendMessage(group, 'first note')
    alice.setConversationPreferences(group, { color: 'blue' })
    const archive = alice.exportArchive('correct horse')
    await expect(Account.importArchive(join(net.dir, 'wrong'), archive, 'wrong horse')).rejects.toBeInstanceOf(BadPassphraseError)

    const phone = track(net, await Account.importArchive(join(net.dir, 'alice-phone'), archive, 'correct horse', { displayName: 'alice-phone' }))
    expect(phone.uri).toBe(alice.uri)
    expect(phone.deviceId).not.toBe(alice.deviceId)
    const ready = record(phone, 'conversationReady')
    const linked = next(alice, 'deviceAdded')
    await phone.start({ bootstrap: net.bootstrap })
    expect((await linked)[0]).toBe(phone.deviceId)
    await until(() => ready.length === 2, 'both conversations cloned on the new device', 30_000)
    expect(ready.map(([cid]) => cid).sort()).toEqual([oneToOne, group].sort())
    expect(phone.getConversationPreferences(group)).toEqual({ color: 'blue' })
    expect(phone.getContacts().map((c) => c.uri)).toEqual([bob.uri])
    expect(phone.loadConversation(group, { n: 1 })[0]!.body['body']).toBe('first note')

    // Bob's message reaches both of alice's devices; the phone's own message reaches the laptop.
    const atPhone = next(phone, 'swarmMessageReceived', (cid, m) => cid === oneToOne && m.body['body'] === 'hello both')
    const atLaptop = next(alice, 'swarmMessageReceived', (cid, m) => cid === oneToOne && m.body['body'] === 'hello both')
    bob.sendMessage(oneToOne, 'hello both')
    await Promise.all([atPhone, atLaptop])
    const back = next(alice, 'swarmMessageReceived', (cid, m) => cid === group && m.body['body'] === 'from the phone')
    phone.sendMessage(group, 'from the phone')
    await back
    // A preference set on one device shows on the other.
    const prefs = next(alice, 'conversationPreferencesUpdated', (cid) => cid === group)
    phone.setConversationPreferences(group, { color: 'green' })
    expect((await prefs)[1]).toEqual({ color: 'green' })
  })

  it('offline delivery: a message and an invitation wait in the outbox across restarts of both sides', async () => {
    const net = await testNetwork()
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    await bob.stop()
    await until(() => !alice.node.onlinePeers().some((p) => p.accountUri === bob.uri), 'bob gone at alice')
    const missed = alice.sendMessage(id, 'while you were away')
    const group = alice.startConversation({ title: 'Later' })
    alice.addConversationMember(group, bob.uri)
    const outbox = JSON.parse(readFileSync(join(alice.dir, 'outbox.json'), 'utf8')) as Array<{ key: string }>
    expect(outbox.map((e) => e.key).sort()).toEqual([`git:${id}`, `invite:${group}`].sort())
    const alice2 = await net.restart(alice)
    const bobAgain = Account.open(bob.dir)
    const got = next(bobAgain, 'swarmMessageReceived', (cid, m) => cid === id && m.id === missed, 30_000)
    const request = next(bobAgain, 'conversationRequestReceived', (cid) => cid === group, 30_000)
    await bobAgain.start({ bootstrap: net.bootstrap })
    track(net, bobAgain)
    await Promise.all([got, request])
    await until(() => JSON.parse(readFileSync(join(alice2.dir, 'outbox.json'), 'utf8')).length === 0, 'an empty outbox')
  })

  it('a restart after a crash: the dead node\'s run lock is taken over, its stale ref lock cleared; a second node on the directory is refused', async () => {
    const net = await testNetwork()
    const alice = await net.account('alice')
    const id = alice.startConversation({ title: 'crash' })
    const repo = alice.conversation(id).path
    await alice.stop()
    // What a SIGKILLed node leaves behind: its pid file, and a ref lock taken mid-update.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    writeFileSync(join(alice.dir, 'node.pid'), `${gone}\n`)
    linkSync(join(repo, 'gitswarm', 'lock-inode'), join(repo, 'refs', 'heads', 'main.lock'))
    const again = track(net, Account.open(alice.dir))
    await again.start({ bootstrap: net.bootstrap })
    expect(existsSync(join(repo, 'refs', 'heads', 'main.lock'))).toBe(false)
    expect(readFileSync(join(alice.dir, 'node.pid'), 'utf8').trim()).toBe(String(process.pid))
    const sent = again.sendMessage(id, 'after the crash')
    expect(again.conversation(id).head).toBe(sent)
    await expect(Account.open(alice.dir).start({ bootstrap: net.bootstrap })).rejects.toMatchObject({ name: 'LockedError', code: 'ERR_LOCKED' })
  })

  it('a ban stops delivery to the banned member, and from it', async () => {
    const net = await testNetwork()
    const [alice, bob, carol] = [await net.account('alice'), await net.account('bob'), await net.account('carol')]
    await befriend(alice, bob)
    await befriend(alice, carol)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    await invite(alice, id, carol)
    const atCarol = record(carol, 'swarmMessageReceived')
    const members = next(bob, 'conversationMemberEvent', (cid, uri, action) => cid === id && uri === carol.uri && action === 'ban')
    alice.removeConversationMember(id, carol.uri)
    await members
    expect(alice.getConversationMembers(id).find((m) => m.uri === carol.uri)?.role).toBe('banned')
    const seen = next(bob, 'swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === 'after the ban')
    alice.sendMessage(id, 'after the ban')
    await seen
    const fromCarol = carol.sendMessage(id, 'am I still here?')
    await new Promise((r) => setTimeout(r, 500))
    expect(atCarol.some(([, m]) => m.body['body'] === 'after the ban')).toBe(false)
    expect(alice.conversation(id).history().has(fromCarol)).toBe(false)
    expect(bob.conversation(id).history().has(fromCarol)).toBe(false)
    for (const a of [alice, bob, carol]) expect((await verifyRepository(a.conversation(id).path)).ok).toBe(true)
    expect(existsSync(join(alice.dir, 'conversations', id))).toBe(true)
  })
})
