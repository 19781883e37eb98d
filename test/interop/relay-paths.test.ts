/**
 * Paths through a real tox-bootstrapd TCP relay on loopback, chosen by the node itself: a node
 * whose UDP gets no answers (every datagram it sends is dropped — nothing told it) reaches a
 * friend through its relay; when its UDP starts getting through, the connection moves to
 * direct UDP under a stream of lossless packets, none lost or reordered. The same in the
 * network lab with NAT routers: test/net. Needs tox-bootstrapd (toxcore-utils); skipped
 * without it, except in CI.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Bootstrapd } from '../../bench/c-peer.js'
import type { ToxNode } from '../../src/transport/tox-node.js'
import { node, until } from '../transport/net.js'

const missing = Bootstrapd.unavailable()
if (missing && process.env['CI'] === 'true') throw new Error(`CI must install tox-bootstrapd: ${missing}`)

const running: Array<{ stop(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()))
})

let nextPort = 34100 + Math.floor(Math.random() * 50) * 4

/** A node whose UDP datagrams are all dropped until `release()` (as a router that drops UDP). */
async function silencedNode(relay: { host: string; port: number; publicKey: Uint8Array }): Promise<{ n: ToxNode; release(): void; sent: () => number }> {
  const n = await node({ tcpRelays: [relay] })
  let blocked = true
  let sent = 0
  const send = n.udp.send.bind(n.udp)
  n.udp.send = (p, to) => {
    if (blocked) return
    sent++
    send(p, to)
  }
  return { n, release: () => (blocked = false), sent: () => sent }
}

describe.skipIf(missing !== undefined)('paths through a TCP relay, chosen by the node', () => {
  it('a node whose UDP gets no answers reaches its friend through its relay, with no option set; once UDP gets through it moves to direct UDP mid-stream', async () => {
    const bsd = await Bootstrapd.start(nextPort, nextPort + 1)
    nextPort += 4
    running.push(bsd)
    const relay = { host: '127.0.0.1', port: bsd.tcpPort, publicKey: Buffer.from(bsd.dhtPk, 'hex') }
    const x = await silencedNode(relay)
    const y = await node()
    for (const n of [x.n, y]) n.bootstrap({ host: '127.0.0.1', port: bsd.port }, Buffer.from(bsd.dhtPk, 'hex'))
    y.on('friendRequest', (pk) => y.acceptFriendRequest(pk))
    const t = performance.now()
    const online = new Promise<Uint8Array>((r) => x.n.once('friendOnline', r))
    x.n.addFriendByToxId(y.toxId(), 'no UDP gets through here')
    await Promise.race([online, new Promise((_, reject) => setTimeout(() => reject(new Error('not online within 30 s')), 30_000))])
    const onRelayMs = performance.now() - t
    const xy = x.n.friend(y.publicKey)!
    expect(xy.connection.address.host).toMatch(/^tcp:/)

    // A stream of lossless packets across the move.
    const got: number[] = []
    y.friend(x.n.publicKey)!.on('lossless', (d) => got.push((d[1]! << 8) | d[2]!))
    let sentPackets = 0
    const pump = setInterval(() => {
      for (let i = 0; i < 5 && sentPackets < 3000; i++, sentPackets++) xy.sendLossless(Buffer.from([180, sentPackets >> 8, sentPackets & 0xff]))
    }, 5)
    try {
      await until(() => sentPackets >= 500, 'the first packets on the relay', 10_000)
      const released = performance.now()
      x.release()
      await until(() => !xy.connection.address.host.startsWith('tcp:') && !y.friend(x.n.publicKey)!.connection.address.host.startsWith('tcp:'), 'both sides on direct UDP', 30_000)
      const movedMs = performance.now() - released
      await until(() => got.length === 3000, () => `3000 packets delivered (got ${got.length}, sent ${sentPackets}, last ${got.at(-1)}, x at ${JSON.stringify(xy.connection.address)} y at ${JSON.stringify(y.friend(x.n.publicKey)?.connection.address)}, moved after ${((performance.now() - released) / 1000).toFixed(1)} s)`, 30_000)
      console.log(`relay: online through the relay ${(onRelayMs / 1000).toFixed(2)} s; UDP released → both on ${xy.connection.address.host}:${xy.connection.address.port} in ${(movedMs / 1000).toFixed(2)} s`)
    } finally {
      clearInterval(pump)
    }
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i))
    expect(xy.connection.address.host).toBe('127.0.0.1')
    expect(x.sent()).toBeGreaterThan(0)
  }, 90_000)
})
