/**
 * A device's Tox identity: its Ed25519 device key converted to X25519
 * (`crypto_sign_ed25519_pk_to_curve25519`), so the device certificate in the conversation
 * repository is itself the binding between a member's device and its Tox address.
 * Tox ID = public key (32) ‖ nospam (4) ‖ checksum (2), the checksum XOR-folding the first 36 bytes.
 * @module
 */
import { createHash, type KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { InvalidArgumentError } from '../errors.js'
import { keyTypeOf } from './keys.js'

function rawEd25519Public(publicKey: KeyObject): Uint8Array {
  if (keyTypeOf(publicKey) !== 'ed25519') throw new InvalidArgumentError('a Tox key needs an Ed25519 device key')
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return der.subarray(der.length - 32)
}

/** X25519 public key (Tox long-term key) of an Ed25519 device public key. */
export function toxPublicKey(devicePublic: KeyObject): Uint8Array {
  return ed25519.utils.toMontgomery(rawEd25519Public(devicePublic))
}

/** X25519 secret key matching toxPublicKey (clamped SHA-512 of the Ed25519 seed). */
export function toxSecretKey(devicePrivate: KeyObject): Uint8Array {
  if (keyTypeOf(devicePrivate) !== 'ed25519') throw new InvalidArgumentError('a Tox key needs an Ed25519 device key')
  const der = devicePrivate.export({ type: 'pkcs8', format: 'der' })
  const seed = der.subarray(der.length - 32)
  const h = createHash('sha512').update(seed).digest().subarray(0, 32)
  h[0]! &= 248
  h[31]! &= 127
  h[31]! |= 64
  return new Uint8Array(h)
}

function checksum(data: Uint8Array): [number, number] {
  const c: [number, number] = [0, 0]
  for (let i = 0; i < data.length; i++) c[i % 2] ^= data[i]!
  return c
}

/** The 38-byte Tox ID as 76 upper-case hex digits. */
export function toxId(publicKey: Uint8Array, nospam: Uint8Array | number = 0): string {
  if (publicKey.length !== 32) throw new InvalidArgumentError('a Tox public key is 32 bytes')
  const ns = typeof nospam === 'number' ? Buffer.from([nospam >>> 24, (nospam >>> 16) & 255, (nospam >>> 8) & 255, nospam & 255]) : Buffer.from(nospam)
  if (ns.length !== 4) throw new InvalidArgumentError('nospam is 4 bytes')
  const body = Buffer.concat([Buffer.from(publicKey), ns])
  return Buffer.concat([body, Buffer.from(checksum(body))]).toString('hex').toUpperCase()
}

/** Splits and checks a Tox ID; throws InvalidArgumentError on a bad length or checksum. */
export function parseToxId(id: string): { publicKey: Uint8Array; nospam: Uint8Array } {
  if (!/^[0-9A-Fa-f]{76}$/.test(id)) throw new InvalidArgumentError('a Tox ID is 76 hex digits', { id })
  const bytes = Buffer.from(id, 'hex')
  const [a, b] = checksum(bytes.subarray(0, 36))
  if (bytes[36] !== a || bytes[37] !== b) throw new InvalidArgumentError('bad Tox ID checksum', { id })
  return { publicKey: new Uint8Array(bytes.subarray(0, 32)), nospam: new Uint8Array(bytes.subarray(32, 36)) }
}
