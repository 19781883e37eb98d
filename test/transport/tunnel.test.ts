import { describe, expect, it } from 'vitest'
import { ConnectionFailedError } from '../../src/errors.js'
import { connectedPair, node, numbered, until } from './net.js'

describe('tunnels between gitswarm nodes over UDP on 127.0.0.1', () => {
  for (const noise of [false, true]) {
    it(`${noise ? 'Noise IK' : 'legacy'} handshake: ONLINE, a text message, 2,000 lossless in order, lossy`, async () => {
      const { ab, ba } = await connectedPair({ a: { noise }, b: { noise } })
      expect(ab.connection.noise).toBe(noise)
      expect(ba.connection.noise).toBe(noise)
      const texts: string[] = []
      ba.on('message', (t) => texts.push(t))
      ab.sendMessage('hello, swarm')
      await until(() => texts.length === 1, 'the message')
      expect(texts).toEqual(['hello, swarm'])

      const got: number[] = []
      ba.on('lossless', (d) => got.push(Buffer.from(d).readUInt32BE(1)))
      for (let i = 0; i < 2000; i++) ab.sendLossless(numbered(160 + (i % 32), i, 1 + (i % 1373)))
      await until(() => got.length === 2000, '2,000 lossless packets')
      expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i))

      const lossy: number[] = []
      ab.on('lossy', (d) => lossy.push(Buffer.from(d).readUInt32BE(1)))
      for (let i = 0; i < 50; i++) ba.sendLossy(numbered(200, i, 100))
      await until(() => lossy.length >= 45, 'lossy packets') // loopback rarely drops; lossy may
      expect(new Set(lossy).size).toBe(lossy.length)
    })
  }

  it('both sides opening at once converge on one connection', async () => {
    for (const noise of [false, true]) {
      const a = await node({ noise })
      const b = await node({ noise })
      a.addFriend(b.publicKey)
      b.addFriend(a.publicKey)
      const [ab, ba] = await Promise.all([a.connect(b.publicKey, b.dhtPublicKey, b.address, 5000), b.connect(a.publicKey, a.dhtPublicKey, a.address, 5000)])
      const got: string[] = []
      ba.on('message', (t) => got.push(t))
      ab.sendMessage('after a simultaneous open')
      await until(() => got.length === 1, 'a message after the simultaneous open')
      expect(a.netCrypto.connections()).toHaveLength(1)
      expect(b.netCrypto.connections()).toHaveLength(1)
    }
  })

  it('closing kills the connection on both sides at once', async () => {
    const { ab, ba } = await connectedPair()
    const reasons: string[] = []
    ba.on('offline', (r) => reasons.push(r))
    const t0 = performance.now()
    ab.close()
    await until(() => reasons.length === 1, 'the peer to see the kill packet', 2000)
    expect(reasons[0]).toMatch(/killed by peer/)
    expect(performance.now() - t0).toBeLessThan(1000)
  })

  it('a stranger is not accepted, and connecting to nobody fails with a typed error', async () => {
    const a = await node()
    const b = await node() // b has not added a
    const failure = await a.connect(b.publicKey, b.dhtPublicKey, b.address, 1500).catch((e) => e)
    expect(failure).toBeInstanceOf(ConnectionFailedError)
    expect(b.netCrypto.connections()).toHaveLength(0)
  })

  it('a friend that must use Noise is refused when it offers only the legacy handshake', async () => {
    const a = await node({ noise: false })
    const b = await node()
    b.addFriend(a.publicKey, { requireNoise: true })
    const failure = await a.connect(b.publicKey, b.dhtPublicKey, b.address, 1500).catch((e) => e)
    expect(failure).toBeInstanceOf(ConnectionFailedError)
    // and our side refuses to fall back when the peer does not accept Noise
    const c = await node()
    const d = await node({ noise: false })
    d.addFriend(c.publicKey)
    c.addFriend(d.publicKey, { requireNoise: true })
    const refused = await c.connect(d.publicKey, d.dhtPublicKey, d.address, 3000).catch((e) => e)
    expect(refused).toBeInstanceOf(ConnectionFailedError)
    expect(refused.data.reason).toMatch(/Noise/)
  })

  it('the window recovers from loss: 3,000 packets through a link that drops 10 %', async () => {
    const { a, ab, ba } = await connectedPair()
    let n = 0
    const send = a.udp.send.bind(a.udp)
    a.udp.send = (packet, to) => {
      if (packet[0] === 0x1b && ++n % 10 === 0) return // drop every tenth data packet
      send(packet, to)
    }
    const got: number[] = []
    ba.on('lossless', (d) => got.push(Buffer.from(d).readUInt32BE(1)))
    for (let i = 0; i < 3000; i++) ab.sendLossless(numbered(170, i, 1000))
    await until(() => got.length === 3000, '3,000 packets through loss', 20_000)
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i))
    expect(ab.connection.resent).toBeGreaterThan(0)
  })

  it('a writer waiting for room always hears drain, whoever empties the queue (acks, packet requests, the tick)', async () => {
    const { a, ab, ba } = await connectedPair()
    let n = 0
    const send = a.udp.send.bind(a.udp)
    a.udp.send = (packet, to) => {
      if (packet[0] === 0x1b && ++n % 10 === 0) return
      send(packet, to)
    }
    let got = 0
    ba.on('lossless', () => got++)
    const total = 5_000
    for (let i = 0; i < total; i++) {
      if (ab.sendLossless(numbered(170, i, 1000))) continue
      // As a channel writer does: wait for room, bounded so a lost 'drain' fails the test.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no drain after packet ${i} (queue ${ab.connection.queued})`)), 3000)
        ab.connection.once('drain', () => (clearTimeout(timer), resolve()))
      })
    }
    await until(() => got === total, `${total} packets through loss`, 30_000)
  })
})
