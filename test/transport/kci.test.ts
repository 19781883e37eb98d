/**
 * Key-compromise impersonation (KCI): an attacker who stole Alice's long-term private key tries
 * to impersonate Bob *to Alice*. Against Tox's legacy handshake it works — the handshake is
 * authenticated only by box(Alice, Bob), which Alice's key alone computes. Against the Noise IK
 * upgrade it fails: the session keys also mix DH(Bob's static, Alice's ephemeral), which needs
 * Bob's key; and a friend marked Noise-only refuses the legacy downgrade. The attacker here is
 * hand-written from the packet codecs, on a real UDP socket; a control run with Bob's real key
 * shows the same attacker code does get through, so its failure is the protocol's doing.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { boxKeyPair, equalBytes, incrementNonce, randomNonce, seal, sha512, sharedKey, x25519, type BoxKeyPair } from '../../src/crypto/box.js'
import { SymmetricState } from '../../src/crypto/noise.js'
import { MESSENGER } from '../../src/transport/messenger.js'
import { NOISE_ACCEPT, NOISE_HANDSHAKE, PROLOGUE } from '../../src/transport/net-crypto/noise-handshake.js'
import { COOKIE_RESPONSE, CRYPTO_DATA, dataPlain, decodeCookieResponse, encodeCookieRequest, encodeHandshake, HANDSHAKE, NOISE_OFFER, openHandshake, splitHandshake } from '../../src/transport/net-crypto/packets.js'
import type { ToxNode } from '../../src/transport/tox-node.js'
import { UdpEndpoint } from '../../src/transport/udp.js'
import { node, until } from './net.js'

/**
 * What the attacker holds: one static secret and the other party's public key. With Alice's
 * stolen secret and Bob's public key, DH(aliceSk, bobPk) = DH(bobSk, alicePk): every static–static
 * computation works. A DH of Bob's secret with a fresh key of Alice's does not.
 */
interface Stolen {
  /** The identity the attacker claims (Bob's public key). */
  claimedPk: Uint8Array
  secret: Uint8Array
  /** The static public key that pairs with `secret` (Bob's when it is Alice's secret, and vice versa). */
  counterpartPk: Uint8Array
}

class Attacker {
  private readonly dht = boxKeyPair()
  private readonly session: BoxKeyPair = boxKeyPair()
  private readonly inbox: Buffer[] = []
  private sendKey: Uint8Array | undefined
  private nonce: Uint8Array | undefined
  private number = 0

  private constructor(
    private readonly udp: UdpEndpoint,
    private readonly alice: ToxNode,
    private readonly stolen: Stolen,
  ) {
    for (const kind of [COOKIE_RESPONSE, HANDSHAKE, NOISE_HANDSHAKE, CRYPTO_DATA]) udp.on(kind, (p) => this.inbox.push(p))
  }

  static async start(alice: ToxNode, stolen: Stolen): Promise<Attacker> {
    return new Attacker(await UdpEndpoint.bind(), alice, stolen)
  }

  private async next(kind: number, timeoutMs = 1500): Promise<Buffer | undefined> {
    const end = performance.now() + timeoutMs
    while (performance.now() < end) {
      const i = this.inbox.findIndex((p) => p[0] === kind)
      if (i >= 0) return this.inbox.splice(i, 1)[0]
      await new Promise((r) => setTimeout(r, 5))
    }
    return undefined
  }

  private async cookie(offerNoise: boolean): Promise<{ cookie: Uint8Array; noiseAccepted: boolean }> {
    const shared = sharedKey(this.alice.dhtPublicKey, this.dht.secretKey)
    const echo = randomBytes(8)
    this.udp.send(encodeCookieRequest(shared, this.dht.publicKey, this.stolen.claimedPk, echo, offerNoise ? NOISE_OFFER : undefined), this.alice.address)
    const res = decodeCookieResponse((await this.next(COOKIE_RESPONSE))!, shared)!
    expect(equalBytes(res.echoId, echo)).toBe(true)
    return { cookie: res.cookie, noiseAccepted: equalBytes(res.extra.subarray(0, NOISE_ACCEPT.length), NOISE_ACCEPT) }
  }

  /** The legacy handshake as "Bob"; true if Alice answered it (she then has a session with us). */
  async legacy(): Promise<boolean> {
    const { cookie } = await this.cookie(false)
    const realShared = sharedKey(this.stolen.counterpartPk, this.stolen.secret) // = box(Alice, Bob): the KCI step
    const base = randomNonce()
    this.udp.send(encodeHandshake(realShared, cookie, { baseNonce: base, sessionPk: this.session.publicKey, cookieHash: sha512(cookie), otherCookie: randomBytes(112) }), this.alice.address)
    const answer = await this.next(HANDSHAKE)
    if (!answer) return false
    const parts = splitHandshake(answer)!
    const content = openHandshake(realShared, parts.nonce, parts.boxed)
    if (!content) return false
    this.sendKey = sharedKey(content.sessionPk, this.session.secretKey)
    this.nonce = base
    return true
  }

  /** Noise IK message 1 as "Bob"; true if we could complete the handshake from Alice's message 2. */
  async noise(): Promise<{ answered: boolean; completed: boolean }> {
    const { cookie, noiseAccepted } = await this.cookie(true)
    expect(noiseAccepted).toBe(true)
    const e = boxKeyPair()
    const st = new SymmetricState(PROLOGUE)
    st.mixHash(this.alice.publicKey)
    st.mixHash(e.publicKey)
    st.mixKey(x25519(e.secretKey, this.alice.publicKey))
    const encryptedStatic = st.encryptAndHash(this.stolen.claimedPk)
    st.mixKey(x25519(this.stolen.secret, this.stolen.counterpartPk)) // ss: the KCI step again
    const ourBase = randomNonce()
    const encryptedPayload = st.encryptAndHash(Buffer.concat([ourBase, this.dht.publicKey]))
    this.udp.send(Buffer.concat([Uint8Array.of(NOISE_HANDSHAKE, 1), cookie, e.publicKey, encryptedStatic, encryptedPayload]), this.alice.address)
    const reply = await this.next(NOISE_HANDSHAKE)
    if (!reply) return { answered: false, completed: false }
    const re = reply.subarray(2, 34)
    st.mixHash(re)
    st.mixKey(x25519(e.secretKey, re))
    st.mixKey(x25519(this.stolen.secret, re)) // se: needs Bob's static secret
    const payload = st.decryptAndHash(reply.subarray(34))
    // Whether or not message 2 opened, use the keys this state gives and try to talk.
    this.sendKey = st.split()[0]
    this.nonce = ourBase
    return { answered: true, completed: payload !== undefined }
  }

  /** Sends a lossless data packet with our session (ONLINE, then a message). */
  sendLossless(data: Uint8Array): void {
    const body = seal(this.sendKey!, this.nonce!, dataPlain(0, this.number++, data))
    this.udp.send(Buffer.concat([Uint8Array.of(CRYPTO_DATA, this.nonce![22]!, this.nonce![23]!), body]), this.alice.address)
    incrementNonce(this.nonce!)
  }

  close(): Promise<void> {
    return this.udp.close()
  }
}

const aliceSecret = () => new Uint8Array(randomBytes(32))

/** Alice with a friend Bob; returns what Alice heard from "Bob" after the attacker's try. */
async function attack(options: { noise: boolean; requireNoise: boolean; attackerHasBobsKey?: boolean; method: 'legacy' | 'noise' }) {
  const aliceSk = aliceSecret()
  const alice = await node({ secretKey: aliceSk, noise: options.noise })
  const bob = boxKeyPair()
  alice.addFriend(bob.publicKey, { requireNoise: options.requireNoise })
  const heard: string[] = []
  let online = false
  alice.on('friend', (f) => {
    f.on('online', () => (online = true))
    f.on('message', (t) => heard.push(t))
  })
  const stolen: Stolen = options.attackerHasBobsKey
    ? { claimedPk: bob.publicKey, secret: bob.secretKey, counterpartPk: alice.publicKey }
    : { claimedPk: bob.publicKey, secret: aliceSk, counterpartPk: bob.publicKey }
  const attacker = await Attacker.start(alice, stolen)
  try {
    let handshake: unknown
    handshake = options.method === 'legacy' ? await attacker.legacy() : await attacker.noise()
    if (handshake === true || (handshake as { answered?: boolean }).answered) {
      attacker.sendLossless(Uint8Array.of(MESSENGER.online))
      attacker.sendLossless(Buffer.concat([Uint8Array.of(MESSENGER.message), Buffer.from('this is Bob, trust me')]))
    }
    await until(() => heard.length > 0, 'a message', 1500).catch(() => undefined)
    return { handshake, online, heard, connection: alice.netCrypto.get(bob.publicKey)?.state }
  } finally {
    await attacker.close()
  }
}

describe('KCI: impersonating Bob to Alice with Alice\'s stolen long-term key', () => {
  it('succeeds against the legacy Tox handshake', async () => {
    const r = await attack({ noise: false, requireNoise: false, method: 'legacy' })
    expect(r.handshake).toBe(true)
    expect(r.online).toBe(true)
    expect(r.heard).toEqual(['this is Bob, trust me'])
    expect(r.connection).toBe('established')
  })

  it('fails against the Noise IK handshake: message 2 does not open, Alice never hears "Bob"', async () => {
    const r = await attack({ noise: true, requireNoise: true, method: 'noise' })
    expect(r.handshake).toEqual({ answered: true, completed: false })
    expect(r.online).toBe(false)
    expect(r.heard).toEqual([])
    expect(r.connection).not.toBe('established')
  })

  it('fails when the attacker falls back to the legacy handshake with a Noise-only friend', async () => {
    const r = await attack({ noise: true, requireNoise: true, method: 'legacy' })
    expect(r.handshake).toBe(false)
    expect(r.heard).toEqual([])
  })

  it('control: the same attacker code holding Bob\'s real key gets through Noise', async () => {
    const r = await attack({ noise: true, requireNoise: true, method: 'noise', attackerHasBobsKey: true })
    expect(r.handshake).toEqual({ answered: true, completed: true })
    expect(r.heard).toEqual(['this is Bob, trust me'])
  })
})
