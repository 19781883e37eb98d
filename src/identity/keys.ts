/**
 * Key pairs and raw signatures. Ed25519 is the default for new identities; RSA (PKCS#1 v1.5
 * with SHA-512, as Jami signs commits) is created for interop and verified everywhere.
 * All on node:crypto, which beats wasm and pure-JS implementations here.
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { InvalidArgumentError, InvalidCertificateError } from '../errors.js'

/** The key types accounts and devices can have. */
export type KeyType = 'ed25519' | 'rsa'

/** A private key with its public key. */
export interface KeyPair {
  type: KeyType
  privateKey: KeyObject
  publicKey: KeyObject
}

export interface GenerateKeyOptions {
  /** 32-byte seed: makes an Ed25519 key deterministic (fixtures, tests). */
  seed?: Uint8Array
  /** RSA modulus length (default 4096, as Jami). */
  bits?: number
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** A new key pair: Ed25519 (gitswarm's default) or RSA (as older Jami accounts). */
export function generateKeyPair(type: KeyType = 'ed25519', options: GenerateKeyOptions = {}): KeyPair {
  if (type === 'ed25519') {
    if (options.seed) {
      if (options.seed.length !== 32) throw new InvalidArgumentError('an Ed25519 seed is 32 bytes')
      const privateKey = createPrivateKey({
        key: Buffer.concat([ED25519_PKCS8_PREFIX, options.seed]),
        format: 'der',
        type: 'pkcs8',
      })
      return { type, privateKey, publicKey: createPublicKey(privateKey) }
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    return { type, privateKey, publicKey }
  }
  if (type === 'rsa') {
    if (options.seed) throw new InvalidArgumentError('RSA keys cannot be derived from a seed; load a fixed key instead')
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: options.bits ?? 4096 })
    return { type, privateKey, publicKey }
  }
  throw new InvalidArgumentError(`unknown key type "${String(type)}"`)
}

/** The key type of a public or private key, or throws for anything gitswarm does not sign with. */
export function keyTypeOf(key: KeyObject): KeyType {
  const t = key.asymmetricKeyType
  if (t === 'ed25519' || t === 'rsa') return t
  throw new InvalidCertificateError(`unsupported key type "${t}"`, { keyType: t })
}

export function keyPairFromPrivate(privateKey: KeyObject): KeyPair {
  return { type: keyTypeOf(privateKey), privateKey, publicKey: createPublicKey(privateKey) }
}

/** DER SubjectPublicKeyInfo, the bytes Jami's ids hash. */
export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' })
}

/** Signs `data` the way Jami does for the key's type (raw Ed25519, or RSA PKCS#1 v1.5 SHA-512). */
export function signData(privateKey: KeyObject, data: Uint8Array): Buffer {
  return keyTypeOf(privateKey) === 'ed25519' ? sign(null, data, privateKey) : sign('sha512', data, privateKey)
}

export function verifyData(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return keyTypeOf(publicKey) === 'ed25519'
      ? verify(null, data, publicKey, signature)
      : verify('sha512', data, publicKey, signature)
  } catch {
    return false
  }
}
