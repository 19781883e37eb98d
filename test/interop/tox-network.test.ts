/**
 * Finding friends on a real Tox network on loopback: Debian's tox-bootstrapd (LAN discovery
 * off), our c-toxcore 0.2.18 test peer, and gitswarm nodes bootstrapped only from the daemon.
 * (a) c-toxcore sends a friend request to a gitswarm Tox ID; accepted, they connect and
 * exchange custom packets. (b) gitswarm befriends c-toxcore by Tox ID. (c) two gitswarm nodes
 * find each other through the network. (d) two gitswarm nodes, one of which sends no UDP at
 * all, connect through the daemon's TCP relay. Each is bounded in time; the times are printed.
 * Needs libtoxcore-dev, pkg-config, gcc and toxcore-utils; skipped without them, except in CI.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Bootstrapd, CPeer, cPeerUnavailable } from '../../bench/c-peer.js'
import type { ToxNode } from '../../src/transport/tox-node.js'
import { node, until } from '../transport/net.js'

const missing = cPeerUnavailable() ?? Bootstrapd.unavailable()
if (missing && process.env['CI'] === 'true') throw new Error(`CI must install the c-toxcore interop prerequisites: ${missing}`)
if (missing) console.warn(`skipping Tox network interop tests: ${missing} (apt-get install libtoxcore-dev toxcore-utils pkg-config gcc)`)

const running: Array<{ stop(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()))
})

let nextPort = 33800 + Math.floor(Math.random() * 50) * 4
async function network(): Promise<{ bsd: Bootstrapd; join: (n: ToxNode) => void }> {
  const bsd = await Bootstrapd.start(nextPort, nextPort + 1)
  nextPort += 4
  running.push(bsd)
  return { bsd, join: (n) => n.bootstrap({ host: '127.0.0.1', port: bsd.port }, Buffer.from(bsd.dhtPk, 'hex')) }
}

async function cPeerOn(bsd: Bootstrapd): Promise<CPeer> {
  const c = await CPeer.start('peer', 300)
  running.push(c)
  c.send(`bootstrap ${bsd.port} ${bsd.dhtPk}`)
  return c
}

const seconds = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`

describe.skipIf(missing !== undefined)('friends found through a real Tox network (tox-bootstrapd + c-toxcore)', () => {
  it('(a) c-toxcore sends a friend request to a gitswarm Tox ID; accepted, they connect and exchange packets', async () => {
    const { bsd, join } = await network()
    const c = await cPeerOn(bsd)
    const n = await node()
    join(n)
    const requests: string[] = []
    n.on('friendRequest', (pk, message) => {
      requests.push(message)
      expect(Buffer.from(pk).equals(c.realPk)).toBe(true)
      n.acceptFriendRequest(pk)
    })
    const t = performance.now()
    const online = new Promise<Uint8Array>((r) => n.once('friendOnline', r))
    c.send(`add ${n.toxId()} hello from c-toxcore`)
    await Promise.race([online, new Promise((_, reject) => setTimeout(() => reject(new Error('not online within 30 s')), 30_000))])
    console.log(`(a) c-toxcore → gitswarm friend request, accepted and online: ${seconds(t)}`)
    expect(requests).toEqual(['hello from c-toxcore'])
    await c.waitFor(/^FRIEND 0 CONNECTION (udp|tcp)$/, 10_000)
    const friend = n.friend(c.realPk)!
    c.send('echo on')
    const echoed: number[] = []
    friend.on('lossless', (d) => echoed.push(d[1]!))
    for (let i = 0; i < 20; i++) friend.sendLossless(Uint8Array.of(170, i, 0, 0, 0))
    await until(() => echoed.length === 20, '20 custom packets echoed by c-toxcore', 10_000)
    expect(echoed).toEqual(Array.from({ length: 20 }, (_, i) => i))
  }, 60_000)

  it('(b) gitswarm befriends c-toxcore by its Tox ID and they connect', async () => {
    const { bsd, join } = await network()
    const c = await cPeerOn(bsd)
    c.send('autoaccept on')
    const n = await node()
    join(n)
    const t = performance.now()
    const online = new Promise<Uint8Array>((r) => n.once('friendOnline', r))
    n.addFriendByToxId(c.toxId, 'hello from gitswarm')
    await c.waitFor(/^REQUEST [0-9A-F]{64} hello from gitswarm$/, 30_000)
    await Promise.race([online, new Promise((_, reject) => setTimeout(() => reject(new Error('not online within 30 s')), 30_000))])
    await c.waitFor(/^FRIEND 0 CONNECTION (udp|tcp)$/, 10_000)
    console.log(`(b) gitswarm → c-toxcore friend request, accepted and online: ${seconds(t)}`)
    const texts: string[] = []
    n.friend(c.realPk)!.on('message', (m) => texts.push(m))
    n.friend(c.realPk)!.sendMessage('ping')
    await until(() => texts.includes('ping'), 'the echoed message', 5000)
  }, 60_000)

  it('(c) two gitswarm nodes bootstrapped only from tox-bootstrapd find each other and connect over Noise', async () => {
    const { join } = await network()
    const x = await node()
    const y = await node()
    join(x)
    join(y)
    y.on('friendRequest', (pk, message) => {
      expect(message).toBe('hi, it is x')
      y.acceptFriendRequest(pk)
    })
    const t = performance.now()
    const online = new Promise<Uint8Array>((r) => x.once('friendOnline', r))
    x.addFriendByToxId(y.toxId(), 'hi, it is x')
    await Promise.race([online, new Promise((_, reject) => setTimeout(() => reject(new Error('not online within 30 s')), 30_000))])
    console.log(`(c) gitswarm ↔ gitswarm through the network: ${seconds(t)}`)
    expect(x.friend(y.publicKey)!.connection.noise).toBe(true)
  }, 60_000)

  it('(d) a node that sends no UDP at all connects to another through the tox-bootstrapd TCP relay', async () => {
    const { bsd, join } = await network()
    const relay = { host: '127.0.0.1', port: bsd.tcpPort, publicKey: Buffer.from(bsd.dhtPk, 'hex') }
    const x = await node({ udp: false, tcpRelays: [relay] })
    const y = await node()
    let udpSent = 0
    const send = x.udp.send.bind(x.udp)
    x.udp.send = (p, to) => ((udpSent += 1), send(p, to))
    join(x)
    join(y)
    y.on('friendRequest', (pk) => y.acceptFriendRequest(pk))
    const t = performance.now()
    const online = new Promise<Uint8Array>((r) => x.once('friendOnline', r))
    x.addFriendByToxId(y.toxId(), 'through the relay')
    await Promise.race([online, new Promise((_, reject) => setTimeout(() => reject(new Error('not online within 30 s')), 30_000))])
    console.log(`(d) gitswarm (no UDP) ↔ gitswarm through the TCP relay: ${seconds(t)}`)
    const friend = x.friend(y.publicKey)!
    expect(friend.connection.address.host).toMatch(/^tcp:/)
    const got: number[] = []
    y.friend(x.publicKey)!.on('lossless', (d) => got.push(d[1]!))
    for (let i = 0; i < 100; i++) friend.sendLossless(Uint8Array.of(180, i))
    await until(() => got.length === 100, '100 packets through the relay', 10_000)
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(udpSent).toBe(0)
  }, 60_000)
})
