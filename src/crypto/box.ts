/**
 * NaCl's crypto_box as Tox uses it: X25519 key pairs, the precomputed shared key
 * (`beforenm` = HSalsa20 of the X25519 point), XSalsa20-Poly1305 with 24-byte nonces
 * (`afternm`: MAC ‖ ciphertext), big-endian nonce increments, SHA-512.
 * The hot path (sealing and opening data packets) uses libsodium through the optional
 * sodium-native addon; without it the audited pure-JS @noble/ciphers gives the same bytes.
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js'
import { InvalidArgumentError } from '../errors.js'

export const KEY_BYTES = 32
export const NONCE_BYTES = 24
export const MAC_BYTES = 16

interface Sodium {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void
}

const sodium: Sodium | undefined = (() => {
  try {
    return createRequire(import.meta.url)('sodium-native') as Sodium
  } catch {
    return undefined
  }
})()

/** Which implementation seals and opens boxes ('libsodium' or 'noble'). */
export const boxBackend = sodium ? 'libsodium' : 'noble'

export interface BoxKeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex')

function privateKeyObject(secret: Uint8Array) {
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8, secret]), format: 'der', type: 'pkcs8' })
}

// node:crypto builds a KeyObject per call (~0.3 ms each); libsodium is ~20x faster, which
// matters to a DHT node that meets hundreds of keys.
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (sodium) {
    const out = new Uint8Array(KEY_BYTES)
    sodium.crypto_scalarmult_base(out, secretKey)
    return out
  }
  return new Uint8Array(createPublicKey(privateKeyObject(secretKey)).export({ type: 'spki', format: 'der' }).subarray(12))
}

export function boxKeyPair(secretKey: Uint8Array = randomBytes(KEY_BYTES)): BoxKeyPair {
  if (secretKey.length !== KEY_BYTES) throw new InvalidArgumentError('an X25519 secret key is 32 bytes')
  return { publicKey: publicKeyOf(secretKey), secretKey: new Uint8Array(secretKey) }
}

/** The raw X25519 shared point DH(secret, public) (Noise's DH function). */
export function x25519(mySecret: Uint8Array, theirPublic: Uint8Array): Uint8Array {
  if (theirPublic.length !== KEY_BYTES) throw new InvalidArgumentError('a public key is 32 bytes')
  if (sodium) {
    const out = new Uint8Array(KEY_BYTES)
    sodium.crypto_scalarmult(out, mySecret, theirPublic) // throws on a low-order point
    return out
  }
  return new Uint8Array(
    diffieHellman({
      privateKey: privateKeyObject(mySecret),
      publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI, theirPublic]), format: 'der', type: 'spki' }),
    }),
  )
}

const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

function words(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length / 4)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true)
  return out
}

/**
 * crypto_box_beforenm(theirPublic, mySecret): HSalsa20(X25519(sk, pk), 0). Symmetric: both
 * sides get the same key. Throws on an all-zero point (a key of low order).
 */
export function sharedKey(theirPublic: Uint8Array, mySecret: Uint8Array): Uint8Array {
  if (theirPublic.length !== KEY_BYTES) throw new InvalidArgumentError('a public key is 32 bytes')
  const point = x25519(mySecret, theirPublic)
  const out = new Uint32Array(8)
  hsalsa(SIGMA, words(point), new Uint32Array(4), out)
  const key = new Uint8Array(32)
  const view = new DataView(key.buffer)
  for (let i = 0; i < 8; i++) view.setUint32(i * 4, out[i]!, true)
  return key
}

/** sharedKey, or undefined for a key of low order (from a stranger's packet: drop it). */
export function trySharedKey(theirPublic: Uint8Array, mySecret: Uint8Array): Uint8Array | undefined {
  try {
    return sharedKey(theirPublic, mySecret)
  } catch {
    return undefined
  }
}

/**
 * beforenm with many peers, each computed once. Bounded, oldest out first: anyone can make
 * a node meet new keys, and each costs an X25519.
 */
export class SharedKeyCache {
  private readonly keys = new Map<string, Uint8Array>()

  constructor(
    private readonly secretKey: Uint8Array,
    private readonly max = 4096,
  ) {}

  /** The shared key with `publicKey`; undefined for a key of low order. */
  get(publicKey: Uint8Array): Uint8Array | undefined {
    const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('hex')
    let key = this.keys.get(hex)
    if (!key) {
      key = trySharedKey(publicKey, this.secretKey)
      if (!key) return undefined
      if (this.keys.size >= this.max) this.keys.delete(this.keys.keys().next().value!)
      this.keys.set(hex, key)
    }
    return key
  }
}

/** crypto_box_afternm: MAC ‖ ciphertext. */
export function seal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): Uint8Array {
  if (sodium) {
    const out = Buffer.allocUnsafe(plain.length + MAC_BYTES)
    sodium.crypto_secretbox_easy(out, plain, nonce, key)
    return out
  }
  return xsalsa20poly1305(key, nonce).encrypt(plain)
}

/** crypto_box_open_afternm, or undefined when the box does not open. */
export function open(key: Uint8Array, nonce: Uint8Array, boxed: Uint8Array): Uint8Array | undefined {
  if (boxed.length < MAC_BYTES) return undefined
  if (sodium) {
    const out = Buffer.allocUnsafe(boxed.length - MAC_BYTES)
    return sodium.crypto_secretbox_open_easy(out, boxed, nonce, key) ? out : undefined
  }
  try {
    return xsalsa20poly1305(key, nonce).decrypt(boxed)
  } catch {
    return undefined
  }
}

// One call to the system CSPRNG per packet costs more than sealing the packet: draw from a
// pool filled 64 KiB at a time (each byte still used once).
const POOL_BYTES = 65536
let pool = Buffer.alloc(0)
let poolAt = 0

/** `n` fresh random bytes from the pooled CSPRNG (nonces, ping ids). */
export function randomBytesPooled(n: number): Uint8Array {
  if (poolAt + n > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, n))
    poolAt = 0
  }
  const out = new Uint8Array(pool.subarray(poolAt, poolAt + n))
  poolAt += n
  return out
}

export function randomNonce(): Uint8Array {
  return randomBytesPooled(NONCE_BYTES)
}

/** Adds `by` to a big-endian 24-byte nonce in place (Tox's increment_nonce_number). */
export function incrementNonce(nonce: Uint8Array, by = 1): Uint8Array {
  let carry = by
  for (let i = nonce.length - 1; i >= 0 && carry > 0; i--) {
    const sum = nonce[i]! + (carry & 0xff)
    nonce[i] = sum & 0xff
    carry = Math.floor(carry / 256) + (sum >> 8)
  }
  return nonce
}

export function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512').update(data).digest())
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}
