/**
 * Every packet parser of the transport and the DHT framing, fuzzed with fast-check (10,000
 * inputs each, fixed seeds; `npm run fuzz` 100,000): random bytes, the right length with
 * random content, and real packets with bytes flipped. None may throw; forged input must be
 * refused. Positive controls first — freshly made valid packets of every kind, with random
 * fields, must parse back to those fields — so a parser that refuses everything fails. Then the whole
 * node: random and mutated datagrams thrown at a live connection leave it working, and
 * replayed data packets in any order are never delivered twice.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { boxKeyPair, sharedKey } from '../../src/crypto/box.js'
import { decodeDhtPk, dhtRequestReceiver, encodeDhtPk, encodeDhtRequest, openDhtRequest } from '../../src/dht/dht-request.js'
import { packNode, unpackNodes } from '../../src/dht/packed-node.js'
import { decodeDhtFrame, encodeDhtPacket, nodesResponsePlain, openDhtFrame, parseNodesRequest, parseNodesResponse, parsePing } from '../../src/dht/packets.js'
import { CookieJar } from '../../src/transport/net-crypto/cookies.js'
import { acceptNoise, noiseInitiate } from '../../src/transport/net-crypto/noise-handshake.js'
import { COOKIE_REQUEST_BYTES, COOKIE_RESPONSE_BYTES, dataPlain, decodeCookieRequest, decodeCookieResponse, encodeCookieRequest, encodeCookieResponse, encodeHandshake, HANDSHAKE_BYTES, openHandshake, parseDataPlain, splitHandshake } from '../../src/transport/net-crypto/packets.js'
import { parseRequest, ReceiveWindow } from '../../src/transport/net-crypto/windows.js'
import { ChannelMux, opensEvenIds, type Channel } from '../../src/transport/channels.js'
import { connectedPair, numbered, until } from './net.js'
import { sameUpToKeyEncoding } from '../fuzz-keys.js'

/** Inputs per property: 10,000 in the suite, FUZZ_RUNS (100,000 in `npm run fuzz`) when set. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000)
const params = (seed: number) => ({ numRuns: RUNS, seed })
/** Positive controls build real packets (crypto each time): a tenth as many. */
const controls = (seed: number) => ({ numRuns: Math.max(100, Math.round(RUNS / 10)), seed })

/** Random bytes, or bytes of one of the lengths that matter, or `valid` with flipped bytes. */
function packets(valid: Uint8Array, lengths: number[] = [valid.length]): fc.Arbitrary<Uint8Array> {
  const mutated = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
    const copy = new Uint8Array(valid)
    for (const [at, x] of flips) copy[at]! ^= x
    return copy
  })
  return fc.oneof(
    fc.uint8Array({ maxLength: 2048 }),
    fc.constantFrom(...lengths).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    mutated,
    fc.nat(valid.length).map((n) => valid.subarray(0, n)),
  )
}

const us = boxKeyPair()
const them = boxKeyPair()
const shared = sharedKey(them.publicKey, us.secretKey)

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
const same = (a: Uint8Array | undefined, b: Uint8Array) => expect(Buffer.from(a ?? [])).toEqual(Buffer.from(b))
const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((o) => o.join('.'))
const nodeInfo = fc.record({ host: ipv4, port: fc.integer({ min: 1, max: 65535 }), publicKey: bytes(32) })

describe('positive controls: fresh valid packets of every kind parse back to their fields', () => {
  it('cookie request, cookie response, cookies, handshake', () => {
    const sharedFor = (pk: Uint8Array) => sharedKey(pk, them.secretKey)
    const jar = new CookieJar()
    fc.assert(fc.property(bytes(8), bytes(32), bytes(112), bytes(24), bytes(64), bytes(19), (echoId, realPk, cookie, nonce, hash, extra) => {
      const req = decodeCookieRequest(encodeCookieRequest(shared, us.publicKey, realPk, echoId), sharedFor)
      same(req?.echoId, echoId)
      same(req?.senderRealPk, realPk)
      same(req?.senderDhtPk, us.publicKey)
      const res = decodeCookieResponse(encodeCookieResponse(shared, cookie, echoId, extra), shared)
      same(res?.cookie, cookie)
      same(res?.echoId, echoId)
      same(res?.extra, extra)
      const issued = jar.issue(realPk, us.publicKey)
      same(jar.open(issued)?.realPk, realPk)
      const content = { baseNonce: nonce, sessionPk: realPk, cookieHash: hash, otherCookie: cookie }
      const parts = splitHandshake(encodeHandshake(shared, cookie, content))!
      same(parts.cookie, cookie)
      const opened = openHandshake(shared, parts.nonce, parts.boxed)
      same(opened?.baseNonce, nonce)
      same(opened?.cookieHash, hash)
      same(opened?.otherCookie, cookie)
    }), controls(101))
  })

  it('Noise message 1', () => {
    const jar = new CookieJar()
    fc.assert(fc.property(fc.constant(0), () => {
      const initiator = boxKeyPair()
      const message = noiseInitiate({ localStatic: initiator, remoteStatic: them.publicKey, localEphemeral: boxKeyPair() }, jar.issue(initiator.publicKey, us.publicKey), us.publicKey).message!
      same(acceptNoise(message, jar, them)?.initiatorRealPk, initiator.publicKey)
    }), { ...controls(102), numRuns: Math.max(50, Math.round(RUNS / 100)) })
  })

  it('data packet plain text', () => {
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.integer({ min: 16, max: 254 }), fc.uint8Array({ maxLength: 1300 }), (start, number, id, rest) => {
      const data = Buffer.concat([Uint8Array.of(id), rest])
      const d = parseDataPlain(dataPlain(start >>> 0, number >>> 0, data))
      expect(d && { bufferStart: d.bufferStart, packetNumber: d.packetNumber }).toEqual({ bufferStart: start >>> 0, packetNumber: number >>> 0 })
      same(d?.data, data)
    }), controls(103))
  })

  it('DHT frames, packed nodes, DHT requests and DHT-PK announcements', () => {
    const sharedWith = (pk: Uint8Array) => sharedKey(pk, them.secretKey)
    const realShared = sharedKey(them.publicKey, us.secretKey)
    fc.assert(fc.property(fc.array(nodeInfo, { minLength: 1, maxLength: 4 }), bytes(8), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (nodes, pingId, noReplay) => {
      const frame = decodeDhtFrame(encodeDhtPacket(4, us.publicKey, shared, nodesResponsePlain(nodes, pingId)))!
      const res = parseNodesResponse(openDhtFrame(frame, sharedWith(frame.senderPk)!)!)
      expect(res?.nodes.map((n) => `${n.host}:${n.port}`)).toEqual(nodes.map((n) => `${n.host}:${n.port}`))
      same(res?.pingId, pingId)
      const packed = Buffer.concat(nodes.map((n) => packNode(n)))
      expect(unpackNodes(packed, nodes.length)?.nodes.map((n) => Buffer.from(n.publicKey).toString('hex'))).toEqual(nodes.map((n) => Buffer.from(n.publicKey).toString('hex')))
      const body = encodeDhtPk({ senderRealPk: us.publicKey, noReplay, senderDhtPk: us.publicKey, nodes }, realShared)
      const request = openDhtRequest(encodeDhtRequest(them.publicKey, us.publicKey, shared, 0x9c, body), sharedWith)
      expect(request?.requestId).toBe(0x9c)
      const a = decodeDhtPk(request!.data, sharedWith)
      expect(a?.noReplay).toBe(noReplay)
      expect(a?.nodes).toHaveLength(nodes.length)
    }), controls(104))
  })
})

describe('packet parsers survive fuzzed inputs (10,000 each in the suite)', () => {
  it('cookie request', () => {
    const valid = encodeCookieRequest(shared, us.publicKey, us.publicKey, new Uint8Array(8))
    const sharedFor = (pk: Uint8Array) => sharedKey(pk, them.secretKey)
    fc.assert(fc.property(packets(valid, [COOKIE_REQUEST_BYTES]), (p) => {
      const r = decodeCookieRequest(p, sharedFor)
      if (r) expect(sameUpToKeyEncoding(p, valid, [32])).toBe(true)
    }), params(1))
  })

  it('cookie response', () => {
    const valid = encodeCookieResponse(shared, new Uint8Array(112), new Uint8Array(8))
    fc.assert(fc.property(packets(valid, [COOKIE_RESPONSE_BYTES, COOKIE_RESPONSE_BYTES + 19]), (p) => {
      const r = decodeCookieResponse(p, shared)
      if (r) expect(Buffer.from(p.subarray(0, COOKIE_RESPONSE_BYTES)).equals(valid)).toBe(true)
    }), params(2))
  })

  it('cookies', () => {
    const jar = new CookieJar()
    const valid = jar.issue(us.publicKey, them.publicKey)
    fc.assert(fc.property(packets(valid, [112]), (p) => {
      if (jar.open(p)) expect(Buffer.from(p).equals(valid)).toBe(true)
    }), params(3))
  })

  it('handshake', () => {
    const valid = encodeHandshake(shared, new Uint8Array(112), { baseNonce: new Uint8Array(24), sessionPk: us.publicKey, cookieHash: new Uint8Array(64), otherCookie: new Uint8Array(112) })
    fc.assert(fc.property(packets(valid, [HANDSHAKE_BYTES]), (p) => {
      const parts = splitHandshake(p)
      if (!parts) return
      // The cookie in front is opaque here (its issuer's box authenticates it); the rest must be intact.
      if (openHandshake(shared, parts.nonce, parts.boxed)) expect(Buffer.from(p.subarray(113)).equals(valid.subarray(113))).toBe(true)
    }), params(4))
  })

  it('Noise message 1', () => {
    const jar = new CookieJar()
    const cookie = jar.issue(us.publicKey, us.publicKey)
    const valid = noiseInitiate({ localStatic: us, remoteStatic: them.publicKey, localEphemeral: boxKeyPair() }, cookie, us.publicKey).message!
    fc.assert(fc.property(packets(valid), (p) => {
      if (acceptNoise(p, jar, them)) expect(Buffer.from(p).equals(valid)).toBe(true)
    }), params(5))
  })

  it('data packet plain text and packet requests', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1400 }), fc.nat(), fc.nat(40_000), (p, from, span) => {
      const d = parseDataPlain(p)
      if (d) expect(d.data.length).toBeGreaterThan(0)
      const { missing, received } = parseRequest(p, from >>> 0, ((from >>> 0) + span) >>> 0)
      expect(missing.length + received.length).toBeLessThanOrEqual(span)
    }), params(6))
  })

  it('receive window: duplicates and far-off numbers are never delivered', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 200 }), (numbers) => {
      const w = new ReceiveWindow()
      let delivered = 0
      for (const n of numbers) delivered += w.accept(n, Uint8Array.of(160, n & 255)).length
      expect(delivered).toBeLessThanOrEqual(new Set(numbers).size)
      expect(w.request().length).toBeLessThanOrEqual(1373)
    }), params(7))
  })

  it('DHT frames: ping and nodes requests and responses', () => {
    const node = { host: '127.0.0.1', port: 33445, publicKey: them.publicKey }
    const valid = encodeDhtPacket(4, us.publicKey, shared, nodesResponsePlain([node, node], new Uint8Array(8)))
    fc.assert(fc.property(packets(valid), (p) => {
      const frame = decodeDhtFrame(p)
      const plain = frame && openDhtFrame(frame, sharedKey(frame.senderPk, them.secretKey))
      if (!plain) return
      // Tox does not authenticate the kind byte: the plain text must still be ours.
      expect(sameUpToKeyEncoding(p.subarray(1), valid.subarray(1), [31])).toBe(true)
      parsePing(plain, 0)
      parseNodesRequest(plain)
      expect(parseNodesResponse(plain)?.nodes).toHaveLength(2)
    }), params(8))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (plain) => {
      parsePing(plain, 1)
      parseNodesRequest(plain)
      const r = parseNodesResponse(plain)
      if (r) expect(r.nodes.length).toBeLessThanOrEqual(4)
    }), params(9))
  })

  it('packed nodes', () => {
    const valid = Buffer.concat([packNode({ host: '127.0.0.1', port: 1, publicKey: us.publicKey }), packNode({ host: '::1', port: 2, publicKey: us.publicKey, tcp: true })])
    fc.assert(fc.property(packets(valid), fc.nat(8), fc.boolean(), (p, n, tcp) => {
      const r = unpackNodes(p, n, tcp)
      if (r) {
        expect(r.next).toBeLessThanOrEqual(p.length)
        for (const node of r.nodes) expect(node.publicKey).toHaveLength(32)
      }
    }), params(10))
  })

  it('DHT requests and DHT-PK announcements', () => {
    const realShared = sharedKey(them.publicKey, us.secretKey)
    const body = encodeDhtPk({ senderRealPk: us.publicKey, noReplay: 5n, senderDhtPk: us.publicKey, nodes: [{ host: '127.0.0.1', port: 9, publicKey: us.publicKey }] }, realShared)
    const valid = encodeDhtRequest(them.publicKey, us.publicKey, shared, 0x9c, body)
    const sharedWith = (pk: Uint8Array) => sharedKey(pk, them.secretKey)
    fc.assert(fc.property(packets(valid), (p) => {
      if (!dhtRequestReceiver(p)) return
      const r = openDhtRequest(p, sharedWith)
      if (!r) return
      // The receiver key routes the packet and is not authenticated; the rest is.
      expect(sameUpToKeyEncoding(p.subarray(33), valid.subarray(33), [31])).toBe(true)
      expect(decodeDhtPk(r.data, sharedWith)?.noReplay).toBe(5n)
    }), params(11))
    fc.assert(fc.property(packets(body), (p) => {
      const a = decodeDhtPk(p, sharedWith)
      if (a) expect(sameUpToKeyEncoding(p, body, [31])).toBe(true)
    }), params(12))
  })
})

describe('the channel multiplexer under 10,000 fuzzed frames', () => {
  it('never throws, and channels still open and carry data afterwards', async () => {
    const { a, b, ab, ba } = await connectedPair()
    const ma = new ChannelMux(ab, { evenIds: opensEvenIds(a.publicKey, b.publicKey), authorize: () => true })
    const mb = new ChannelMux(ba, { evenIds: opensEvenIds(b.publicKey, a.publicKey), authorize: () => true })
    const device = 'a'.repeat(64)
    const accepted: Channel[] = []
    mb.on('channel', (c) => c.on('error', () => {}))
    ma.on('channel', (c) => accepted.push(c))
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 1373 }).map((x) => Buffer.concat([Uint8Array.of(160), x])),
      fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 64 })).map(([op, id, body]) => Buffer.concat([Uint8Array.of(160, op, 0, id), body])),
      fc.tuple(fc.integer({ min: 0, max: 8 }), fc.nat(3)).map(([id, i]) => Buffer.concat([Uint8Array.of(160, 1, 0, id, 0, 0, 16, 0), Buffer.from([`sync://${device}`, `msg:${device}`, 'x', ''][i]!)])),
    )
    fc.assert(fc.property(frame, (f) => {
      ba.emit('lossless', f)
    }), params(15))
    expect(ba.online).toBe(true)
    // (the forged frames used a's channel numbers, which a's own mux knows nothing of: open from b)
    const ch = await mb.open(`git://${device}/${'c'.repeat(40)}`)
    const there = accepted.find((c) => c.id === ch.id)!
    const chunks: Buffer[] = []
    there.on('data', (d: Buffer) => chunks.push(d))
    ch.end(Buffer.alloc(100_000, 7))
    await until(() => Buffer.concat(chunks).length === 100_000, 'data on a channel opened after the fuzzing')
  })
})

describe('a live connection under fuzzed datagrams', () => {
  it('10,000 random and mutated datagrams leave both nodes working', async () => {
    const { a, b, ab, ba } = await connectedPair()
    const captured: Buffer[] = []
    const send = a.udp.send.bind(a.udp)
    a.udp.send = (p, to) => (captured.push(Buffer.from(p)), send(p, to))
    for (let i = 0; i < 50; i++) ab.sendLossless(numbered(160, i, 300))
    const got: number[] = []
    ba.on('lossless', (d) => got.push(Buffer.from(d).readUInt32BE(1)))
    await until(() => got.length === 50, 'the first 50 packets')
    const kinds = [0x00, 0x01, 0x02, 0x04, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x20]
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 1500 }),
      fc.tuple(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 1500 })).map(([k, rest]) => Buffer.concat([Uint8Array.of(k), rest])),
      fc.tuple(fc.constantFrom(...captured), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([p, at, x]) => {
        const copy = Buffer.from(p)
        copy[at % copy.length]! ^= x
        return copy
      }),
    )
    // Low-order public keys (all zero, one) make X25519 fail: in every key position.
    const lowOrder = fc.tuple(fc.constantFrom(...kinds), fc.constantFrom(0, 1), fc.uint8Array({ minLength: 200, maxLength: 400 })).map(([k, v, rest]) => {
      const p = Buffer.concat([Uint8Array.of(k), rest])
      p.fill(0, 1, 65)
      p[1] = v
      p[33] = v
      return p
    })
    const from = a.address
    fc.assert(fc.property(fc.oneof(datagram, lowOrder), (p) => {
      b.udp.dispatch(Buffer.from(p), from)
    }), params(13))
    expect(b.udp.failed).toBe(0)
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i))
    // still connected, still in order
    for (let i = 50; i < 100; i++) ab.sendLossless(numbered(160, i, 300))
    await until(() => got.length === 100, 'packets after the fuzzing')
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(ba.online && ab.online).toBe(true)
  })

  it('replayed data packets, in any order and any number of times, are delivered once', async () => {
    const { a, b, ab, ba } = await connectedPair()
    const captured: Buffer[] = []
    const send = a.udp.send.bind(a.udp)
    a.udp.send = (p, to) => {
      if (p[0] === 0x1b) captured.push(Buffer.from(p))
      send(p, to)
    }
    const got: number[] = []
    ba.on('lossless', (d) => got.push(Buffer.from(d).readUInt32BE(1)))
    for (let i = 0; i < 200; i++) ab.sendLossless(numbered(161, i, 200))
    await until(() => got.length === 200, '200 packets')
    const from = a.address
    fc.assert(fc.property(fc.array(fc.nat(captured.length - 1), { minLength: 1, maxLength: 50 }), (picks) => {
      for (const i of picks) b.udp.dispatch(Buffer.from(captured[i]!), from)
    }), params(14))
    await new Promise((r) => setTimeout(r, 50))
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })
})
