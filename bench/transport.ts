/**
 * Issue #5 figures, on loopback: time to connect with a known address, round-trip latency,
 * bulk custom lossless packets for a fixed duration and a 64 MiB stream over one channel —
 * between two gitswarm nodes, next to two c-toxcore instances (test/interop/toxpeer.c in
 * bench mode: one process, 1,373-byte packets as fast as c-toxcore takes them) for the same
 * duration. Both sides of each pair run in one process on one thread.
 * @module
 */
import { createHash } from 'node:crypto'
import { ChannelMux, opensEvenIds, type Channel } from '../src/transport/channels.js'
import type { Friend } from '../src/transport/messenger.js'
import { ToxNode } from '../src/transport/tox-node.js'
import { cPeerUnavailable, CPeer } from './c-peer.js'
import { median, type Figure } from './util.js'

const PACKET = 1373

async function pair(noise = true): Promise<{ a: ToxNode; b: ToxNode; ab: Friend; ba: Friend; connectMs: number }> {
  const a = await ToxNode.start({ host: '127.0.0.1', noise })
  const b = await ToxNode.start({ host: '127.0.0.1', noise })
  b.addFriend(a.publicKey)
  const t = performance.now()
  const online = b.waitOnline(a.publicKey)
  const ab = await a.connect(b.publicKey, b.dhtPublicKey, b.address)
  const ba = await online
  return { a, b, ab, ba, connectMs: performance.now() - t }
}

/** Bytes of custom lossless packets delivered in `seconds`, the sender kept one window ahead. */
async function losslessFor(ab: Friend, ba: Friend, seconds: number): Promise<number> {
  let bytes = 0
  ba.on('lossless', (d) => (bytes += d.length))
  const packet = Buffer.alloc(PACKET, 7)
  packet[0] = 160
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    while (ab.connection.queued < 256) ab.sendLossless(packet)
    await new Promise((r) => setImmediate(r))
  }
  const delivered = bytes
  ba.removeAllListeners('lossless')
  return delivered
}

async function roundTrips(ab: Friend, ba: Friend, n: number): Promise<number[]> {
  ba.on('lossless', (d) => ba.sendLossless(d))
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await new Promise<void>((resolve) => {
      ab.once('lossless', () => resolve())
      ab.sendLossless(Buffer.from([161, i & 255, 0, 0, 0]))
    })
    samples.push(performance.now() - t)
  }
  ba.removeAllListeners('lossless')
  return samples
}

async function streamOverChannel(ab: Friend, ba: Friend, a: ToxNode, b: ToxNode, bytes: number): Promise<{ ms: number; intact: boolean }> {
  const ma = new ChannelMux(ab, { evenIds: opensEvenIds(a.publicKey, b.publicKey) })
  const mb = new ChannelMux(ba, { evenIds: opensEvenIds(b.publicKey, a.publicKey), authorize: () => true })
  const incoming = new Promise<Channel>((r) => mb.once('channel', r))
  const t = performance.now()
  const ch = await ma.open(`git://${'a'.repeat(64)}/${'c'.repeat(40)}`)
  const there = await incoming
  const sent = createHash('sha256')
  const got = createHash('sha256')
  let received = 0
  const done = new Promise<void>((resolve) => {
    there.on('data', (d: Buffer) => (got.update(d), (received += d.length)))
    there.on('end', resolve)
  })
  const chunk = Buffer.alloc(64 * 1024)
  for (let at = 0; at < bytes; at += chunk.length) {
    chunk.fill(at & 255)
    sent.update(chunk)
    if (!ch.write(chunk)) await new Promise((r) => ch.once('drain', r))
  }
  ch.end()
  await done
  return { ms: performance.now() - t, intact: received === bytes && sent.digest('hex') === got.digest('hex') }
}

async function cToxcore(seconds: number): Promise<{ bytes: number; ms: number; connectMs: number } | undefined> {
  const peer = await CPeer.start('bench', seconds)
  try {
    const connected = await peer.waitFor(/^CONNECTED /, 60_000)
    const total = await peer.waitFor(/^TOTAL /, (seconds + 30) * 1000)
    const [, bytes, ms] = total.split(' ')
    return { bytes: Number(bytes), ms: Number(ms), connectMs: Number(connected.split(' ')[1]) }
  } finally {
    await peer.stop()
  }
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000)

export async function benchTransport(options: { seconds: number; streamBytes: number }): Promise<Figure[]> {
  const figures: Figure[] = []
  // Connect times: fresh pairs, Noise and legacy.
  const connects: Record<string, number[]> = { noise: [], legacy: [] }
  for (let i = 0; i < 10; i++) {
    for (const noise of [true, false]) {
      const p = await pair(noise)
      connects[noise ? 'noise' : 'legacy']!.push(p.connectMs)
      await Promise.all([p.a.close(), p.b.close()])
    }
  }
  const { a, b, ab, ba } = await pair(true)
  try {
    const rtt = (await roundTrips(ab, ba, 2000)).sort((x, y) => x - y)
    const lossless = await losslessFor(ab, ba, options.seconds)
    const stream = await streamOverChannel(ab, ba, a, b, options.streamBytes)
    const c = cPeerUnavailable() ? undefined : await cToxcore(options.seconds)
    const cStream = c && Math.ceil(stream.ms / 1000) !== options.seconds ? await cToxcore(Math.max(1, Math.ceil(stream.ms / 1000))) : c
    const cRate = c && mbps(c.bytes, c.ms)
    const ours = mbps(lossless, options.seconds * 1000)
    figures.push(
      { what: 'connect, known address (Noise IK), median of 10', value: `${median(connects['noise']!).toFixed(1)} ms`, target: '≤ 1 s', met: median(connects['noise']!) <= 1000, note: c ? `c-toxcore ↔ c-toxcore: ${(c.connectMs / 1000).toFixed(1)} s (DHT bootstrap included)` : '' },
      { what: 'connect, known address (legacy), median of 10', value: `${median(connects['legacy']!).toFixed(1)} ms`, target: '≤ 1 s', met: median(connects['legacy']!) <= 1000 },
      { what: 'round trip, custom lossless packet (2,000)', value: `median ${median(rtt).toFixed(3)} ms, p99 ${rtt[Math.floor(rtt.length * 0.99)]!.toFixed(3)} ms`, target: '', met: undefined },
      {
        what: `custom lossless packets, ${options.seconds} s`,
        value: `${ours.toFixed(1)} MB/s (${(lossless / 1e6).toFixed(0)} MB)`,
        target: '≥ 1.0x c-toxcore',
        met: cRate === undefined ? undefined : ours >= cRate,
        note: cRate === undefined ? 'c-toxcore not measured: ' + cPeerUnavailable() : `c-toxcore ${cRate.toFixed(2)} MB/s (${(c!.bytes / 1e6).toFixed(1)} MB): ${(ours / cRate).toFixed(1)}x`,
      },
    )
    const streamRate = mbps(options.streamBytes, stream.ms)
    const cStreamRate = cStream && mbps(cStream.bytes, cStream.ms)
    figures.push({
      what: `${options.streamBytes >> 20} MiB stream over one channel`,
      value: `${(stream.ms / 1000).toFixed(2)} s, ${streamRate.toFixed(1)} MB/s${stream.intact ? '' : ' CORRUPT'}`,
      target: '≥ 1.0x c-toxcore',
      met: cStreamRate === undefined ? undefined : streamRate >= cStreamRate && stream.intact,
      note: cStreamRate === undefined ? '' : `c-toxcore over ${Math.round(cStream!.ms / 1000)} s: ${cStreamRate.toFixed(2)} MB/s: ${(streamRate / cStreamRate).toFixed(1)}x`,
    })
  } finally {
    await Promise.all([a.close(), b.close()])
  }
  return figures
}
