/**
 * Conversations synced between devices over Tox on 127.0.0.1: clone and pull through git
 * channels, only for members and invited accounts, never from a banned account's device.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ChannelRefusedError, UnauthorizedError } from '../../src/errors.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { devicePeer, SwarmNode } from '../../src/account/swarm-node.js'
import { account, tempDir } from '../helpers.js'

const dir = tempDir()
const nodes: SwarmNode[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()))
})

async function start(name: string): Promise<SwarmNode> {
  const n = await SwarmNode.start(await account(name))
  nodes.push(n)
  return n
}

async function link(a: SwarmNode, b: SwarmNode): Promise<void> {
  b.addPeer(a.asPeer)
  await a.connect(b.asPeer, { address: b.tox.address, dhtPublicKey: b.tox.dhtPublicKey })
}

describe('conversations over Tox', () => {
  it('an invited device clones, joins, and the host pulls its join; over Noise', async () => {
    const [alice, bob] = [await start('alice'), await start('bob')]
    expect(Buffer.from(devicePeer(bob.identity).toxPublicKey).equals(bob.tox.publicKey)).toBe(true)
    await link(alice, bob)
    expect(alice.tox.friend(bob.tox.publicKey)!.connection.noise).toBe(true)
    const conv = Conversation.create(alice.identity, { path: join(dir, 'a1') })
    conv.addMember(bob.identity.uri)
    conv.sendMessage('welcome')
    alice.host(conv)
    const copy = await bob.clone(conv.id, alice.asPeer, join(dir, 'b1'))
    expect(copy.head).toBe(conv.head)
    const joined = copy.join()
    expect(await alice.pull(conv.id, bob.asPeer)).toMatchObject({ result: 'fast-forward', head: joined })
  })

  it('a stranger is refused, and nobody fetches from a banned account', async () => {
    const [alice, bob, mallory] = [await start('alice'), await start('bob'), await start('mallory')]
    await link(alice, bob)
    await link(mallory, alice)
    const conv = Conversation.create(alice.identity, { path: join(dir, 'a2') })
    conv.addMember(bob.identity.uri)
    alice.host(conv)
    const refused = await mallory.clone(conv.id, alice.asPeer, join(dir, 'm2')).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ChannelRefusedError)
    expect((refused as ChannelRefusedError).data).toMatchObject({ reason: 'unauthorised' })
    const copy = await bob.clone(conv.id, alice.asPeer, join(dir, 'b2'))
    copy.join()
    await alice.pull(conv.id, bob.asPeer)
    conv.banMember(bob.identity.uri)
    const notFetched = await alice.pull(conv.id, bob.asPeer).catch((e: unknown) => e)
    expect(notFetched).toBeInstanceOf(UnauthorizedError)
    const notServed = await bob.pull(conv.id, alice.asPeer).catch((e: unknown) => e)
    expect(notServed).toBeInstanceOf(ChannelRefusedError)
  })

  it('served git channels are released: 300 pulls on one connection (more than the 256 channels a connection holds)', async () => {
    const [alice, bob] = [await start('alice'), await start('bob')]
    await link(alice, bob)
    const conv = Conversation.create(alice.identity, { path: join(dir, 'a3') })
    conv.addMember(bob.identity.uri)
    alice.host(conv)
    const copy = await bob.clone(conv.id, alice.asPeer, join(dir, 'b3'))
    for (let i = 0; i < 300; i++) {
      if (i % 50 === 0) conv.sendMessage(`message ${i}`)
      await bob.pull(conv.id, alice.asPeer)
    }
    expect(copy.head).toBe(conv.head)
  })
})
