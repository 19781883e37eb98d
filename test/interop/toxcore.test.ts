/**
 * Interop with the real c-toxcore 0.2.18 (Debian's libtoxcore-dev): our own small C peer
 * (toxpeer.c, built here) and a gitswarm node handshake on 127.0.0.1 in both directions,
 * exchange ONLINE, a text message, 1,000 custom lossless packets each way (complete and in
 * order) and lossy packets, stay up on ALIVE for 40 s, and kill the connection cleanly.
 * Needs libtoxcore-dev, pkg-config and a C compiler; skipped without them, except in CI.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { buildCPeer, cPeerUnavailable, CPeer } from '../../bench/c-peer.js'
import { MESSENGER, type Friend } from '../../src/transport/messenger.js'
import { node, numbered, until } from '../transport/net.js'

const missing = cPeerUnavailable()
if (missing && process.env['CI'] === 'true') throw new Error(`CI must install the c-toxcore interop prerequisites: ${missing}`)
if (missing) console.warn(`skipping c-toxcore interop tests: ${missing} (apt-get install libtoxcore-dev pkg-config gcc)`)

const peers: CPeer[] = []
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()))
})

async function cPeer(): Promise<CPeer> {
  buildCPeer()
  const p = await CPeer.start('peer', 300)
  peers.push(p)
  return p
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase()
const seqs = (c: CPeer, kind: string) => c.lines.filter((l) => l.startsWith(`${kind} `)).map((l) => Number(l.split(' ')[2]))

/** Text, 1,000 lossless packets each way in order, lossy packets each way. */
async function exchange(c: CPeer, friend: Friend): Promise<void> {
  const texts: string[] = []
  friend.on('message', (t) => texts.push(t))
  friend.sendMessage('hello from gitswarm')
  await c.waitFor(/^MESSAGE hello from gitswarm$/, 5000)
  await until(() => texts.includes('hello from gitswarm'), 'the echoed message', 5000)
  c.send('message hello from c-toxcore')
  await until(() => texts.includes('hello from c-toxcore'), 'a message from c-toxcore', 5000)

  c.send('echo off')
  const fromC: number[] = []
  friend.on('lossless', (d) => fromC.push(Buffer.from(d).readUInt32BE(1)))
  c.send('lossless 1000 1000')
  await c.waitFor(/^SENT lossless 1000$/, 30_000)
  await until(() => fromC.length >= 1000, '1,000 lossless packets from c-toxcore', 15_000)
  expect(fromC).toEqual(Array.from({ length: 1000 }, (_, i) => i))

  for (let i = 0; i < 1000; i++) friend.sendLossless(numbered(160, i, 1 + ((i * 37) % 1373)))
  await until(() => c.count(/^LOSSLESS /) >= 1000, '1,000 lossless packets at c-toxcore', 15_000)
  expect(seqs(c, 'LOSSLESS')).toEqual(Array.from({ length: 1000 }, (_, i) => i))

  const lossyFromC: number[] = []
  friend.on('lossy', (d) => lossyFromC.push(Buffer.from(d).readUInt32BE(1)))
  c.send('lossy 100 200')
  await c.waitFor(/^SENT lossy 100$/, 10_000)
  for (let i = 0; i < 100; i++) friend.sendLossy(numbered(200, i, 200))
  await until(() => lossyFromC.length >= 90 && c.count(/^LOSSY /) >= 90, 'lossy packets both ways (loopback may drop a few)', 5000)
  expect(new Set(lossyFromC).size).toBe(lossyFromC.length)
}

describe.skipIf(missing !== undefined)('c-toxcore 0.2.18 interop', () => {
  it('gitswarm initiates: ONLINE, messages, 1,000 lossless each way, lossy, 40 s on ALIVE, kill', async () => {
    const c = await cPeer()
    const n = await node()
    c.send(`friend ${hex(n.publicKey)}`)
    await c.waitFor(/^FRIEND_ADDED 0 0$/, 2000)
    const info: number[] = []
    const friendSeen = new Promise<Friend>((resolve) => n.once('friend', resolve))
    const connecting = n.connect(c.realPk, Buffer.from(c.dhtPk, 'hex'), { host: '127.0.0.1', port: c.port }, 10_000)
    ;(await friendSeen).on('info', (id) => info.push(id))
    const friend = await connecting
    expect(friend.connection.noise).toBe(false) // c-toxcore does not speak the upgrade
    await c.waitFor(/^FRIEND 0 CONNECTION udp$/, 5000)
    await exchange(c, friend)
    // c-toxcore announces its status when the friend comes online; we accept it.
    await until(() => info.includes(MESSENGER.userStatus), 'a USERSTATUS packet from c-toxcore', 5000)

    // 40 s with nothing but ALIVE packets (every 8 s; either side drops the other after 32 s).
    const offline: string[] = []
    friend.on('offline', (r) => offline.push(r))
    await new Promise((r) => setTimeout(r, 40_000))
    expect(offline).toEqual([])
    expect(friend.online).toBe(true)
    expect(c.count(/CONNECTION none/)).toBe(0)
    friend.sendMessage('still there')
    await c.waitFor(/^MESSAGE still there$/, 5000)

    friend.close()
    await c.waitFor(/^FRIEND 0 CONNECTION none$/, 3000)
  }, 90_000)

  it('c-toxcore initiates after our DHT-PK announcement: ONLINE, messages, 1,000 lossless each way, its kill', async () => {
    const c = await cPeer()
    const n = await node()
    c.send(`friend ${hex(n.publicKey)}`)
    await c.waitFor(/^FRIEND_ADDED 0 0$/, 2000)
    n.addFriend(c.realPk)
    let initiatedByUs = false
    const origConnect = n.netCrypto.connect.bind(n.netCrypto)
    n.netCrypto.connect = (...args) => ((initiatedByUs = true), origConnect(...args))
    const online = n.waitOnline(c.realPk, 15_000)
    const announce = () => n.announceTo(c.realPk, Buffer.from(c.dhtPk, 'hex'), { host: '127.0.0.1', port: c.port })
    announce()
    const again = setInterval(announce, 2000)
    const friend = await online.finally(() => clearInterval(again))
    expect(initiatedByUs).toBe(false)
    await c.waitFor(/^FRIEND 0 CONNECTION udp$/, 5000)
    await exchange(c, friend)

    const offline: string[] = []
    friend.on('offline', (r) => offline.push(r))
    c.send('delete')
    await until(() => offline.length === 1, 'the kill from c-toxcore', 3000)
    expect(offline[0]).toMatch(/killed by peer/)
  }, 60_000)

  it('both sides open at once (our handshake and c-toxcore\'s cross) and end with one working connection', async () => {
    const c = await cPeer()
    const n = await node()
    c.send(`friend ${hex(n.publicKey)}`)
    await c.waitFor(/^FRIEND_ADDED 0 0$/, 2000)
    n.addFriend(c.realPk)
    const at = { host: '127.0.0.1', port: c.port }
    // Who sent which handshake packet (0x18 cookie request, 0x1a handshake), seen on the wire.
    // The moment c-toxcore's cookie request arrives — it has begun its handshake — we begin
    // ours, before our node has read it: the two handshakes cross.
    const sent: number[] = []
    const received: number[] = []
    let connecting: Promise<Friend> | undefined
    const dispatch = n.udp.dispatch.bind(n.udp)
    n.udp.dispatch = (packet, from) => {
      if (from.port === c.port && (packet[0] === 0x18 || packet[0] === 0x1a)) {
        received.push(packet[0])
        if (packet[0] === 0x18) connecting ??= n.connect(c.realPk, Buffer.from(c.dhtPk, 'hex'), at, 10_000)
      }
      dispatch(packet, from)
    }
    const send = n.udp.send.bind(n.udp)
    n.udp.send = (packet, to) => {
      if (to.port === c.port && (packet[0] === 0x18 || packet[0] === 0x1a)) sent.push(packet[0])
      send(packet, to)
    }
    n.announceTo(c.realPk, Buffer.from(c.dhtPk, 'hex'), at) // c-toxcore starts its handshake…
    await until(() => connecting !== undefined, 'c-toxcore beginning its handshake', 10_000)
    const friend = await connecting! // …and we started ours at once
    expect(received).toContain(0x18) // c-toxcore initiated
    expect(received).toContain(0x1a)
    expect(sent.indexOf(0x18)).toBeGreaterThanOrEqual(0) // so did we, before answering it
    expect(sent[0]).toBe(0x18)
    expect(sent).toContain(0x1a)
    await c.waitFor(/^FRIEND 0 CONNECTION udp$/, 5000)
    const texts: string[] = []
    friend.on('message', (m) => texts.push(m))
    friend.sendMessage('both opened')
    await c.waitFor(/^MESSAGE both opened$/, 5000)
    await until(() => texts.includes('both opened'), 'the echo', 5000)
    expect(n.netCrypto.connections()).toHaveLength(1)
  }, 30_000)
})
