/**
 * gitswarm as a community's relay and bootstrap node (ToxNodeOptions.relayPort, `gitswarm
 * node --relay`): on loopback, with no tox-bootstrapd anywhere — two gitswarm nodes that send
 * no UDP at all find each other (friend request through the onion, which starts at the relay)
 * and connect through it; a c-toxcore 0.2.18 client with UDP off, given only the gitswarm
 * relay (and gitswarm nodes as its onion nodes), befriends a gitswarm node through it and
 * exchanges packets. Needs the c-toxcore test peer for the second; skipped without it, except
 * in CI.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CPeer, cPeerUnavailable } from '../../bench/c-peer.js'
import type { ToxNode } from '../../src/transport/tox-node.js'
import { node, until } from '../transport/net.js'

const cMissing = cPeerUnavailable()
if (cMissing && process.env['CI'] === 'true') throw new Error(`CI must build the c-toxcore test peer: ${cMissing}`)

const running: Array<{ stop(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()))
})

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

  it.skipIf(cMissing !== undefined)('a c-toxcore client with UDP off, given only the gitswarm relay, befriends a gitswarm node through it', async () => {
    const { relayNode, relay, join } = await community()
    const g = await node({ udp: false, tcpRelays: [relay] })
    join(g)
    const c = await CPeer.start('peer', 120, [], { env: { TOXPEER_NOUDP: '1' } })
    running.push(c)
    const key = Buffer.from(relay.publicKey).toString('hex')
    c.send(`relay ${relay.port} ${key}`)
    c.send(`bootstrap ${relayNode.address.port} ${key}`)
    await c.waitFor(/^RELAY 0$/, 5000)
    g.on('friendRequest', (pk) => g.acceptFriendRequest(pk))
    const online = new Promise<Uint8Array>((r) => g.once('friendOnline', r))
    const t = performance.now()
    c.send(`add ${g.toxId()} hello through a gitswarm relay`)
    await Promise.race([online, new Promise((_, reject) => setTimeout(() => reject(new Error(`not online within 60 s; c-toxcore printed: ${c.lines.slice(-8).join(' | ')}`)), 60_000))])
    await c.waitFor(/^FRIEND 0 CONNECTION tcp$/, 20_000)
    console.log(`gitswarm relay: c-toxcore (no UDP) → gitswarm online in ${((performance.now() - t) / 1000).toFixed(2)} s`)
    const friend = g.friend(c.realPk)!
    expect(friend.connection.address.host).toMatch(/^tcp:/)
    friend.sendLossless(Buffer.from([160, 0, 0, 0, 1, 42]))
    await c.waitFor(/^LOSSLESS 6 1$/, 10_000)
    expect(relayNode.relayServer!.stats.relayed).toBeGreaterThan(0)
  }, 120_000)
})
