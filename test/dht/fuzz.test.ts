/**
 * The DHT-side parsers added for the onion, friend requests and TCP relays, fuzzed with
 * fast-check (10,000 inputs each, fixed seeds): random bytes, right lengths with random
 * content, and real packets with bytes flipped. None may throw; forged content never opens.
 */
import { createServer, type AddressInfo } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { boxKeyPair, incrementNonce, open, randomNonce, seal, sharedKey, trySharedKey } from '../../src/crypto/box.js'
import { parseDhtPkPlain, dhtPkPlain } from '../../src/dht/dht-request.js'
import {
  announceSendback,
  createOnionPacket,
  dataRequestToResponse,
  decodeAnnounceRequest,
  decodeAnnounceResponse,
  decodeDataResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeDataRequest,
  openReturn,
  peelLayer,
  sealReturn,
  unpackIpPort,
  RETURN_3,
  type OnionPath,
} from '../../src/dht/onion-packets.js'
import { TcpRelayClient } from '../../src/transport/tcp-relay.js'
import { node, until } from '../transport/net.js'
import { sameUpToKeyEncoding } from '../fuzz-keys.js'

/** Inputs per property: 10,000 in the suite, FUZZ_RUNS (100,000 in `npm run fuzz`) when set. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000)
const params = (seed: number) => ({ numRuns: RUNS, seed })

function packets(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const mutated = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
    const copy = new Uint8Array(valid)
    for (const [at, x] of flips) copy[at]! ^= x
    return copy
  })
  return fc.oneof(fc.uint8Array({ maxLength: 1500 }), fc.uint8Array({ minLength: valid.length, maxLength: valid.length }), mutated, fc.nat(valid.length).map((n) => valid.subarray(0, n)))
}

const relay = boxKeyPair()
const hops = [boxKeyPair(), boxKeyPair(), boxKeyPair()]
const addr = (i: number) => ({ host: '127.0.0.1', port: 40000 + i })
const shareWith = (kp: { secretKey: Uint8Array }) => (pk: Uint8Array) => trySharedKey(pk, kp.secretKey)

describe('onion parsers survive 10,000 fuzzed inputs each', () => {
  const sender = boxKeyPair()
  const k2 = boxKeyPair()
  const k3 = boxKeyPair()
  const path: OnionPath = {
    nodes: [{ ...addr(0), publicKey: hops[0]!.publicKey }, { ...addr(1), publicKey: hops[1]!.publicKey }, { ...addr(2), publicKey: hops[2]!.publicKey }],
    publicKeys: [sender.publicKey, k2.publicKey, k3.publicKey],
    sharedKeys: [sharedKey(hops[0]!.publicKey, sender.secretKey), sharedKey(hops[1]!.publicKey, k2.secretKey), sharedKey(hops[2]!.publicKey, k3.secretKey)],
  }

  it('request layers (0x80) and sealed return paths', () => {
    const valid = createOnionPacket(path, addr(9), Uint8Array.of(0x83, 1, 2, 3))!
    const peeled = peelLayer(valid, shareWith(hops[0]!))!
    expect(peeled.next).toEqual(addr(1))
    fc.assert(fc.property(packets(valid), (p) => {
      const layer = peelLayer(p, shareWith(hops[0]!))
      // kind, nonce and key are bound by the box; only an intact packet opens
      if (layer) expect(sameUpToKeyEncoding(p.subarray(1), valid.subarray(1), [55])).toBe(true)
    }), params(21))
    const secret = new Uint8Array(32).fill(9)
    const ret = sealReturn(secret, addr(5), new Uint8Array(59))
    fc.assert(fc.property(packets(ret), (p) => {
      const o = openReturn(secret, p)
      if (o) expect(o.to).toEqual(addr(5))
    }), params(22))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      unpackIpPort(b)
    }), params(23))
  })

  it('announce requests and responses', () => {
    const d = boxKeyPair()
    const req = Buffer.concat([encodeAnnounceRequest(sharedKey(d.publicKey, sender.secretKey), { senderPk: sender.publicKey, pingId: new Uint8Array(32), searchedPk: sender.publicKey, dataPk: k2.publicKey, sendback: new Uint8Array(8) }), new Uint8Array(RETURN_3)])
    expect(decodeAnnounceRequest(req, shareWith(d))).toBeDefined()
    fc.assert(fc.property(packets(req), (p) => {
      const r = decodeAnnounceRequest(p, shareWith(d))
      if (r) expect(Buffer.from(p.subarray(0, p.length - RETURN_3)).equals(req.subarray(0, req.length - RETURN_3))).toBe(true)
    }), params(24))
    const shared = sharedKey(d.publicKey, sender.secretKey)
    const res = encodeAnnounceResponse(shared, new Uint8Array(8), { isStored: 2, value: new Uint8Array(32), nodes: [{ ...addr(3), publicKey: k3.publicKey }] })
    fc.assert(fc.property(packets(res), (p) => {
      if (!announceSendback(p)) return
      const r = decodeAnnounceResponse(p, shared)
      if (r) expect(Buffer.from(p.subarray(9)).equals(res.subarray(9))).toBe(true)
    }), params(25))
  })

  it('data route requests and responses, DHT-PK and friend request bodies', () => {
    const dest = boxKeyPair()
    const dataKeys = boxKeyPair()
    const temp = boxKeyPair()
    const body = Buffer.concat([Uint8Array.of(0x20, 1, 2, 3, 4), Buffer.from('hello')])
    const req = Buffer.concat([encodeDataRequest(dest.publicKey, sender.publicKey, sharedKey(dest.publicKey, sender.secretKey), body, { publicKey: temp.publicKey, shared: sharedKey(dataKeys.publicKey, temp.secretKey) }), new Uint8Array(RETURN_3)])
    const response = dataRequestToResponse(req)!.response
    const decode = (p: Uint8Array) => decodeDataResponse(p, shareWith(dataKeys), shareWith(dest))
    expect(Buffer.from(decode(response)!.body).equals(body)).toBe(true)
    fc.assert(fc.property(packets(req), (p) => {
      dataRequestToResponse(p)
    }), params(26))
    fc.assert(fc.property(packets(response), (p) => {
      const r = decode(p)
      if (r) expect(sameUpToKeyEncoding(p, response, [56])).toBe(true)
    }), params(27))
    const dhtPk = dhtPkPlain({ noReplay: 7n, senderDhtPk: sender.publicKey, nodes: [{ ...addr(1), publicKey: k2.publicKey }, { ...addr(2), publicKey: k3.publicKey, tcp: true }] })
    expect(parseDhtPkPlain(dhtPk, sender.publicKey)?.nodes).toHaveLength(2)
    fc.assert(fc.property(packets(dhtPk), (p) => {
      const a = parseDhtPkPlain(p, sender.publicKey)
      if (a) expect(a.nodes.length).toBeLessThanOrEqual(4)
    }), params(28))
  })

  it('a live node takes 10,000 onion-kind datagrams and random friend-request and DHT-PK bodies', async () => {
    const n = await node()
    const requests: string[] = []
    n.on('friendRequest', (pk, m) => requests.push(`${Buffer.from(pk).toString('hex')} ${m}`))
    const kinds = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x8c, 0x8d, 0x8e, 0x20]
    fc.assert(fc.property(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 1500 }), (k, rest) => {
      n.udp.dispatch(Buffer.concat([Uint8Array.of(k), rest]), addr(7))
    }), params(29))
    // What must come through: a friend request (0x20) with our nospam and a 1-1016 byte
    // message, each sender once — computed here from each input, not from the code under test.
    const expected: string[] = []
    const senders = new Set<string>()
    let refusedForNospam = 0
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 1100 }), fc.boolean(), fc.boolean(), (pk, rest, nospamRight, again) => {
      const body = Buffer.concat([Uint8Array.of(rest[0]! & 1 ? 0x9c : 0x20), nospamRight ? n.nospam : rest.subarray(0, 4), rest.subarray(4)])
      const key = Buffer.from(pk).toString('hex')
      const wellFormed = body[0] === 0x20 && body.length > 5 && body.length <= 5 + 1016
      const ourNospam = Buffer.from(body.subarray(1, 5)).equals(n.nospam)
      if (wellFormed && ourNospam && !senders.has(key)) expected.push(`${key} ${Buffer.from(body.subarray(5)).toString('utf8')}`)
      if (wellFormed && !ourNospam) refusedForNospam++
      if (wellFormed && ourNospam) senders.add(key)
      n.onion.emit('data', pk, body)
      // The same request again right away: a repeat, never a second event.
      if (again) n.onion.emit('data', pk, body)
    }), params(30))
    expect(n.udp.failed).toBe(0)
    expect(expected.length).toBeGreaterThan(RUNS / 8)
    expect(refusedForNospam).toBeGreaterThan(RUNS / 8)
    expect(requests).toEqual(expected)
  })
})

describe('the TCP relay client against a hostile relay', () => {
  it('10,000 random frames after a valid handshake: never a throw; a frame that does not decrypt closes the link', async () => {
    let frames: Uint8Array[] = []
    const server = createServer((socket) => {
      let got = Buffer.alloc(0)
      socket.on('data', (chunk) => {
        got = Buffer.concat([got, chunk])
        if (got.length < 128 || !frames.length) return
        const clientPk = got.subarray(0, 32)
        const shared = sharedKey(clientPk, relay.secretKey)
        const plain = open(shared, got.subarray(32, 56), got.subarray(56, 128))!
        const temp = boxKeyPair()
        const base = randomNonce()
        const nonce = randomNonce()
        socket.write(Buffer.concat([nonce, seal(shared, nonce, Buffer.concat([temp.publicKey, base]))]))
        const session = sharedKey(plain.subarray(0, 32), temp.secretKey)
        for (const f of frames) {
          const boxed = seal(session, base, f)
          incrementNonce(base)
          const len = Buffer.alloc(2)
          len.writeUInt16BE(boxed.length)
          socket.write(Buffer.concat([len, boxed]))
        }
        socket.write(Buffer.from([0, 40, ...new Uint8Array(40)])) // a frame that does not decrypt
        frames = []
      })
      socket.on('error', () => {})
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    frames = fc.sample(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.tuple(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 40 })).map(([id, b]) => Buffer.concat([Uint8Array.of(id), b]))), { numRuns: RUNS, seed: 31 })
    const client = await TcpRelayClient.connect({ host: '127.0.0.1', port, publicKey: relay.publicKey }, boxKeyPair())
    const closed = new Promise<string>((r) => client.once('closed', r))
    const reason = await closed
    expect(reason).toMatch(/did not decrypt/)
    server.close()
    await until(() => client.closed, 'the client to close')
  })
})
