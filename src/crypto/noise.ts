/**
 * Noise_IK_25519_ChaChaPoly_SHA512 (noiseprotocol.org, revision 34): the handshake state
 * machine for the pattern
 *     <- s
 *     ...
 *     -> e, es, s, ss
 *     <- e, ee, se
 * The responder's static key is known in advance (a Tox friend's long-term key), and the
 * transport keys depend on ephemeral-static DH both ways, so a stolen long-term key cannot
 * be used to impersonate anyone *to* its owner (KCI resistance), unlike Tox's handshake.
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto'
import { x25519, type BoxKeyPair } from './box.js'

export const PROTOCOL_NAME = 'Noise_IK_25519_ChaChaPoly_SHA512'
const HASHLEN = 64

function hash(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha512')
  for (const p of parts) h.update(p)
  return h.digest()
}

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha512', key)
  for (const p of parts) h.update(p)
  return h.digest()
}

/** Noise's HKDF with two outputs. */
export function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Buffer, Buffer] {
  const temp = hmac(chainingKey, ikm)
  const out1 = hmac(temp, Uint8Array.of(1))
  const out2 = hmac(temp, out1, Uint8Array.of(2))
  return [out1, out2]
}

function nonceOf(n: number): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64LE(BigInt(n), 4)
  return nonce
}

export function aeadEncrypt(key: Uint8Array, n: number, ad: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonceOf(n), { authTagLength: 16 })
  c.setAAD(ad, { plaintextLength: plain.length })
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
}

export function aeadDecrypt(key: Uint8Array, n: number, ad: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < 16) return undefined
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonceOf(n), { authTagLength: 16 })
    d.setAAD(ad, { plaintextLength: sealed.length - 16 })
    d.setAuthTag(sealed.subarray(sealed.length - 16))
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()])
  } catch {
    return undefined
  }
}

/** Noise's SymmetricState (with its CipherState inside). */
export class SymmetricState {
  h: Buffer
  ck: Buffer
  private k: Buffer | undefined
  private n = 0

  constructor(prologue: Uint8Array) {
    const name = Buffer.from(PROTOCOL_NAME)
    this.h = name.length <= HASHLEN ? Buffer.concat([name, Buffer.alloc(HASHLEN - name.length)]) : hash(name)
    this.ck = this.h
    this.mixHash(prologue)
  }

  mixHash(data: Uint8Array): void {
    this.h = hash(this.h, data)
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm)
    this.ck = ck
    this.k = k.subarray(0, 32)
    this.n = 0
  }

  encryptAndHash(plain: Uint8Array): Buffer {
    const out = this.k ? aeadEncrypt(this.k, this.n++, this.h, plain) : Buffer.from(plain)
    this.mixHash(out)
    return out
  }

  decryptAndHash(sealed: Uint8Array): Buffer | undefined {
    const out = this.k ? aeadDecrypt(this.k, this.n++, this.h, sealed) : Buffer.from(sealed)
    if (!out) return undefined
    this.mixHash(sealed)
    return out
  }

  /** The two transport keys: initiator → responder, responder → initiator. */
  split(): [Uint8Array, Uint8Array] {
    const [a, b] = hkdf2(this.ck, new Uint8Array(0))
    return [a.subarray(0, 32), b.subarray(0, 32)]
  }
}

export interface IkMessage1 {
  ephemeral: Uint8Array
  encryptedStatic: Uint8Array
  encryptedPayload: Uint8Array
}

/** Initiator: writes `-> e, es, s, ss` with `payload`; returns the state for the reply. */
export function writeMessage1(prologue: Uint8Array, s: BoxKeyPair, e: BoxKeyPair, rs: Uint8Array, payload: Uint8Array): { message: IkMessage1; state: SymmetricState } {
  const st = new SymmetricState(prologue)
  st.mixHash(rs)
  st.mixHash(e.publicKey)
  st.mixKey(x25519(e.secretKey, rs))
  const encryptedStatic = st.encryptAndHash(s.publicKey)
  st.mixKey(x25519(s.secretKey, rs))
  const encryptedPayload = st.encryptAndHash(payload)
  return { message: { ephemeral: e.publicKey, encryptedStatic, encryptedPayload }, state: st }
}

/** Responder: reads message 1; returns the initiator's static key, the payload and the state. */
export function readMessage1(prologue: Uint8Array, s: BoxKeyPair, m: IkMessage1): { remoteStatic: Uint8Array; payload: Uint8Array; state: SymmetricState } | undefined {
  const st = new SymmetricState(prologue)
  st.mixHash(s.publicKey)
  st.mixHash(m.ephemeral)
  try {
    st.mixKey(x25519(s.secretKey, m.ephemeral))
    const rs = st.decryptAndHash(m.encryptedStatic)
    if (!rs || rs.length !== 32) return undefined
    st.mixKey(x25519(s.secretKey, rs))
    const payload = st.decryptAndHash(m.encryptedPayload)
    if (!payload) return undefined
    return { remoteStatic: new Uint8Array(rs), payload, state: st }
  } catch {
    return undefined // a low-order or malformed key
  }
}

/** Responder: writes `<- e, ee, se` with `payload`; returns the transport keys (send, receive). */
export function writeMessage2(st: SymmetricState, e: BoxKeyPair, re: Uint8Array, rs: Uint8Array, payload: Uint8Array): { ephemeral: Uint8Array; encryptedPayload: Uint8Array; send: Uint8Array; receive: Uint8Array } {
  st.mixHash(e.publicKey)
  st.mixKey(x25519(e.secretKey, re))
  st.mixKey(x25519(e.secretKey, rs))
  const encryptedPayload = st.encryptAndHash(payload)
  const [i2r, r2i] = st.split()
  return { ephemeral: e.publicKey, encryptedPayload, send: r2i, receive: i2r }
}

/** Initiator: reads message 2; returns the payload and the transport keys (send, receive). */
export function readMessage2(st: SymmetricState, s: BoxKeyPair, e: BoxKeyPair, m: { ephemeral: Uint8Array; encryptedPayload: Uint8Array }): { payload: Uint8Array; send: Uint8Array; receive: Uint8Array } | undefined {
  try {
    st.mixHash(m.ephemeral)
    st.mixKey(x25519(e.secretKey, m.ephemeral))
    st.mixKey(x25519(s.secretKey, m.ephemeral))
    const payload = st.decryptAndHash(m.encryptedPayload)
    if (!payload) return undefined
    const [i2r, r2i] = st.split()
    return { payload, send: i2r, receive: r2i }
  } catch {
    return undefined
  }
}
