/**
 * gitswarm as a community's relay and bootstrap node (ToxNodeOptions.relayPort, `gitswarm
 * node --relay`): on loopback, with no tox-bootstrapd anywhere — two gitswarm nodes that send
 * no UDP at all find each other (friend request through the onion, which starts at the relay)
 * and connect through it. (A c-toxcore client with UDP off does connect to this relay and its
 * onion requests and responses pass, but it never counts itself online when the onion nodes
 * behind the relay are gitswarm nodes — issue 18, open.)
 */
import { describe, expect, it } from 'vitest'
import type { ToxNode } from '../../src/transport/tox-node.js'
import { node, until } from '../transport/net.js'

/** A gitswarm node serving the relay, and a few plain UDP nodes around it (a small DHT for onion paths). */
async function community(): Promise<{ relayNode: ToxNode; relay: { host: string; port: number; publicKey: Uint8Array }; join(n: ToxNode): void }> {
  const relayNode = await node({ relayPort: 0 })
  const join = (n: ToxNode) => n.bootstrap(relayNode.address, relayNode.dhtPublicKey)
  for (let i = 0; i < 3; i++) join(await node())
  return { relayNode, relay: { host: '127.0.0.1', port: relayNode.relayServer!.address.port, publicKey: relayNode.dhtPublicKey }, join }
}

describe('gitswarm as TCP relay and bootstrap node', () => {
  it('two gitswarm nodes with no UDP at all, given only the gitswarm relay, befriend each other and connect through it', async () => {
    const { relayNode, relay, join } = await community()
    const x = await node({ udp: false, tcpRelays: [relay] })
    const y = await node({ udp: false, tcpRelays: [relay] })
    for (const n of [x, y]) join(n)
    y.on('friendRequest', (pk) => y.acceptFriendRequest(pk))
    const online = new Promise<Uint8Array>((r) => x.once('friendOnline', r))
    const t = performance.now()
    x.addFriendByToxId(y.toxId(), 'through a gitswarm relay')
    await Promise.race([online, new Promise((_, reject) => setTimeout(() => reject(new Error('not online within 30 s')), 30_000))])
    console.log(`gitswarm relay: two no-UDP gitswarm nodes online in ${((performance.now() - t) / 1000).toFixed(2)} s`)
    const xy = x.friend(y.publicKey)!
    expect(xy.connection.address.host).toMatch(/^tcp:/)
    const got: number[] = []
    y.friend(x.publicKey)!.on('lossless', (d) => got.push(d[1]!))
    for (let i = 0; i < 100; i++) xy.sendLossless(Uint8Array.of(180, i))
    await until(() => got.length === 100, '100 packets through the relay', 10_000)
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(relayNode.relayServer!.stats.relayed).toBeGreaterThanOrEqual(100)
  }, 60_000)
})
