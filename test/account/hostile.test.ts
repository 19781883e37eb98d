/**
 * Hostile and bad input between accounts, over a loopback Tox network: garbage and oversized
 * frames, announcements of commits that fail validation, invitations to unknown or fake
 * conversations, request floods, a stranger fetching, a banned member announcing, and an
 * announcer that vanishes mid-fetch. Never a crash, never a partial write.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { encodeFrame, MAX_FRAME_BYTES } from '../../src/account/frames.js'
import { REQUESTS_PER_MINUTE } from '../../src/account/network.js'
import { ChannelRefusedError } from '../../src/errors.js'
import { textMessage } from '../../src/swarm/messages.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { addFile, befriend, forge, invite, next, quiet, record, testNetwork, track, until } from './net.js'

const net = await testNetwork()
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** The raw `msg:` channel `from` writes to `to` on (test access to the node's private link). */
function rawChannel(from: Account, to: Account): Duplex {
  const links = (from.node as unknown as { links: Map<string, { out?: Duplex }> }).links
  const out = links.get(hex(to.toxPublicKey))?.out
  if (!out) throw new Error('no msg: channel between them')
  return out
}

describe('hostile peers', () => {
  it('garbage frames are reported and dropped; the connection keeps working', async () => {
    const [alice, mallory] = [await net.account('alice'), await net.account('mallory')]
    const id = await befriend(mallory, alice)
    const errors = record(alice, 'peerError')
    const raw = rawChannel(mallory, alice)
    const junk = Buffer.from('not json at all {{{')
    const head = Buffer.alloc(4)
    head.writeUInt32BE(junk.length)
    raw.write(Buffer.concat([head, junk]))
    raw.write(encodeFrame({ t: 'application/im-gitmessage-id', commit: 'zz', id: 'short' }))
    raw.write(encodeFrame({ t: 'application/invite+json', conversationId: 42 }))
    raw.write(encodeFrame({ t: 'something/unknown', x: 1 }))
    await until(() => errors.length >= 3, 'three reported frames')
    expect(errors.map(([e]) => e.code)).toEqual(['ERR_PROTOCOL', 'ERR_PROTOCOL', 'ERR_PROTOCOL'])
    const got = next(alice, 'swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === 'still here')
    mallory.sendMessage(id, 'still here')
    await got
  })

  it('an oversized frame ends that channel (the stream is out of step), nothing is buffered for it', async () => {
    const [alice, mallory, bob] = [await net.account('alice'), await net.account('mallory'), await net.account('bob')]
    await befriend(mallory, alice)
    const withBob = await befriend(alice, bob)
    const error = next(alice, 'peerError', (e) => /exceeds/.test(e.message))
    const head = Buffer.alloc(4)
    head.writeUInt32BE(MAX_FRAME_BYTES * 64)
    const raw = rawChannel(mallory, alice)
    raw.write(head)
    raw.write(Buffer.alloc(200_000, 7))
    await error
    // Alice is unharmed: her other contacts still reach her.
    const got = next(alice, 'swarmMessageReceived', (cid, m) => cid === withBob && m.body['body'] === 'hi')
    bob.sendMessage(withBob, 'hi')
    await got
  })

  it('sync:// is for the account\'s own devices: refused to others; garbage from an own device is reported, changes nothing', async () => {
    const [alice, mallory] = [await net.account('alice'), await net.account('mallory')]
    await befriend(alice, mallory)
    const mux = (mallory.node as unknown as { links: Map<string, { mux: { open(name: string): Promise<Duplex> } }> }).links.get(hex(alice.toxPublicKey))!.mux
    const refused = await mux.open(`sync://${mallory.deviceId}`).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ChannelRefusedError)
    expect((refused as ChannelRefusedError).data['reason']).toBe('unauthorised')

    const phone = track(net, await Account.importArchive(join(net.dir, 'alice-phone-hostile'), alice.exportArchive('pw'), 'pw'))
    const linked = next(alice, 'deviceAdded')
    await phone.start({ bootstrap: net.bootstrap })
    await linked
    await until(() => !!(phone.node as unknown as { links: Map<string, { syncOut?: Duplex }> }).links.get(hex(alice.toxPublicKey))?.syncOut, 'the sync channel')
    const sync = (phone.node as unknown as { links: Map<string, { syncOut: Duplex }> }).links.get(hex(alice.toxPublicKey))!.syncOut
    const errors = record(alice, 'peerError')
    const before = readFileSync(join(alice.dir, 'conversations.json'), 'utf8')
    const head = Buffer.alloc(4)
    head.writeUInt32BE(5)
    sync.write(Buffer.concat([head, Buffer.from('{{{{{')]))
    sync.write(encodeFrame({ t: 'application/x-gitswarm-sync', conversations: { nothex: { created: 'x' }, ['a'.repeat(40)]: 7 }, requests: [1, 2], contacts: 'no' }))
    await until(() => errors.length >= 1, 'the garbage reported')
    await quiet(300)
    expect(readFileSync(join(alice.dir, 'conversations.json'), 'utf8')).toBe(before)
    // The oversized one ends the channel; alice is unharmed.
    head.writeUInt32BE(MAX_FRAME_BYTES + 1)
    sync.write(head)
    await until(() => errors.some(([e]) => /exceeds/.test(e.message)), 'the oversized frame reported')
    const oneToOne = alice.getContactDetails(mallory.uri)!.conversationId!
    const got = next(mallory, 'swarmMessageReceived', (cid, m) => cid === oneToOne && m.body['body'] === 'unharmed')
    alice.sendMessage(oneToOne, 'unharmed')
    await got
  })

  it('an announced commit that fails validation is rejected with its rule; nothing merged, the repository intact', async () => {
    const [alice, mallory] = [await net.account('alice'), await net.account('mallory')]
    await befriend(alice, mallory)
    const id = alice.startConversation()
    await invite(alice, id, mallory)
    const head = alice.conversation(id).head
    const error = next(alice, 'onConversationError', (cid, e) => cid === id && e.code === 'invalid-fetch')
    const bad = forge(mallory, id, textMessage('hi'), [addFile(mallory, id, 'admins/evil.crt', 'x')])
    const [, e] = await error
    expect(e).toMatchObject({ commit: bad, peer: mallory.deviceId })
    // A text message that adds a file (admins/evil.crt): exactly that rule.
    expect(e.rule).toBe('files.unexpected')
    expect(alice.conversation(id).head).toBe(head)
    expect(alice.conversation(id).repo.refs.resolve(`refs/remotes/${mallory.deviceId}/main`)).toBeUndefined()
    expect((await verifyRepository(alice.conversation(id).path)).ok).toBe(true)
  })

  it('an invitation to a conversation the inviter does not have ends unrecoverable, nothing written', async () => {
    const [alice, mallory] = [await net.account('alice'), await net.account('mallory')]
    await befriend(mallory, alice)
    const fake = 'ab'.repeat(20)
    const request = next(alice, 'conversationRequestReceived', (cid) => cid === fake)
    mallory.node.send(hex(alice.toxPublicKey), { t: 'application/invite+json', conversationId: fake, metadatas: { title: 'free money' }, received: Math.floor(Date.now() / 1000) })
    await request
    const error = next(alice, 'onConversationError', (cid) => cid === fake)
    alice.acceptConversationRequest(fake)
    expect((await error)[1].code).toBe('unrecoverable')
    expect(alice.getConversations()).not.toContain(fake)
    expect(existsSync(join(alice.dir, 'conversations', fake))).toBe(false)
  })

  it('an invitation whose inviter serves another conversation under its id is refused', async () => {
    const [alice, mallory] = [await net.account('alice'), await net.account('mallory')]
    await befriend(mallory, alice)
    const real = mallory.startConversation()
    mallory.addConversationMember(real, alice.uri)
    await next(alice, 'conversationRequestReceived', (cid) => cid === real)
    // Mallory claims a second id and answers its git channel with the first conversation.
    const claimed = 'cd'.repeat(20)
    const conv = mallory.conversation(real)
    const node = mallory.node as unknown as { conversations: Map<string, unknown> }
    node.conversations.set(claimed, conv)
    const request = next(alice, 'conversationRequestReceived', (cid) => cid === claimed)
    mallory.node.send(hex(alice.toxPublicKey), { t: 'application/invite+json', conversationId: claimed, metadatas: {}, received: Math.floor(Date.now() / 1000) })
    await request
    const error = next(alice, 'onConversationError', (cid) => cid === claimed)
    alice.acceptConversationRequest(claimed)
    expect((await error)[1].code).toBe('invalid-fetch')
    expect(existsSync(join(alice.dir, 'conversations', claimed))).toBe(false)
  })

  it('an invitation to a conversation one is already in is ignored', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const requests = record(bob, 'conversationRequestReceived')
    alice.node.send(hex(bob.toxPublicKey), { t: 'application/invite+json', conversationId: id, metadatas: {}, received: Math.floor(Date.now() / 1000) })
    await quiet()
    expect(requests).toEqual([])
    expect(bob.getConversationRequests()).toEqual([])
  })

  it('a request flood from one peer is cut at the rate limit, with one clear event', async () => {
    const [alice, mallory] = [await net.account('alice'), await net.account('mallory')]
    await befriend(alice, mallory)
    const errors = record(alice, 'peerError')
    const requests = record(alice, 'conversationRequestReceived')
    const now = Math.floor(Date.now() / 1000)
    for (let i = 0; i < 200; i++) {
      mallory.node.send(hex(alice.toxPublicKey), { t: 'application/invite+json', conversationId: i.toString(16).padStart(40, '0'), metadatas: {}, received: now })
    }
    await until(() => errors.length > 0, 'the flood reported')
    await quiet(500)
    expect(requests.length).toBe(REQUESTS_PER_MINUTE)
    expect(alice.getConversationRequests()).toHaveLength(REQUESTS_PER_MINUTE)
    expect(errors.filter(([e]) => /flood/.test(e.message))).toHaveLength(1)
  })

  it('a non-member asking to fetch is refused; a banned member announcing is not fetched from', async () => {
    const [alice, bob, mallory] = [await net.account('alice'), await net.account('bob'), await net.account('mallory')]
    await befriend(alice, bob)
    await befriend(alice, mallory)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    const alicePeer = { accountUri: alice.uri, deviceId: alice.deviceId, toxPublicKey: alice.toxPublicKey }
    const refused = await mallory.node.clone(id, alicePeer, join(net.dir, 'stolen')).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ChannelRefusedError)
    expect((refused as ChannelRefusedError).data['reason']).toBe('unauthorised')
    expect(existsSync(join(net.dir, 'stolen'))).toBe(false)

    alice.removeConversationMember(id, bob.uri)
    const error = next(alice, 'onConversationError', (cid, e) => cid === id && e.code === 'unauthorized')
    const fromBob = bob.sendMessage(id, 'banned but talking')
    await error
    expect(alice.conversation(id).history().has(fromBob)).toBe(false)
  })

  it('an announcer that vanishes mid-fetch: the commit is fetched from another member', async () => {
    const [alice, bob, mallory] = [await net.account('alice'), await net.account('bob'), await net.account('mallory')]
    await befriend(alice, bob)
    await befriend(alice, mallory)
    const id = alice.startConversation()
    await invite(alice, id, bob)
    await invite(alice, id, mallory)
    await until(() => bob.node.onlinePeers().some((p) => p.accountUri === mallory.uri), 'bob and mallory linked', 15_000)
    // Bob writes without announcing; mallory gets it, then announces it to alice and dies while serving her.
    const commit = bob.conversation(id).sendMessage('only bob and mallory have this')
    await mallory.node.pull(id, { accountUri: bob.uri, deviceId: bob.deviceId, toxPublicKey: bob.toxPublicKey })
    const served = mallory.conversation(id)
    const serve = served.serve.bind(served)
    served.serve = (stream, options) => {
      setTimeout(() => void mallory.stop(), 1)
      return serve(stream, options)
    }
    const got = next(alice, 'swarmMessageReceived', (cid, m) => cid === id && m.id === commit, 15_000)
    mallory.node.send(hex(alice.toxPublicKey), { t: 'application/im-gitmessage-id', id, commit, deviceId: mallory.deviceId })
    await got
  })
})
