/**
 * Jami's identifiers: account URI = hex SHA-1 of the account key's SPKI DER (GnuTLS key id),
 * device id = hex SHA-256 of the device key's SPKI DER. Lower-case hex everywhere.
 * @module
 */
import { createHash, type KeyObject } from 'node:crypto'
import { spkiDer } from './keys.js'

const URI_RE = /^[0-9a-f]{40}$/
const DEVICE_RE = /^[0-9a-f]{64}$/

/** An account URI: hex SHA-1 of the account's public key (as Jami). */
export function accountUriOf(publicKey: KeyObject | Uint8Array): string {
  const der = publicKey instanceof Uint8Array ? publicKey : spkiDer(publicKey)
  return createHash('sha1').update(der).digest('hex')
}

/** A device id: hex SHA-256 of the device's public key (as Jami). */
export function deviceIdOf(publicKey: KeyObject | Uint8Array): string {
  const der = publicKey instanceof Uint8Array ? publicKey : spkiDer(publicKey)
  return createHash('sha256').update(der).digest('hex')
}

/** 40 lower-case hex digits, not all zero (Jami's `InfoHash` refuses the zero hash). */
export function isAccountUri(value: unknown): value is string {
  return typeof value === 'string' && URI_RE.test(value) && !/^0+$/.test(value)
}

/** Whether a value has the shape of a device id (64 lower-case hex digits, or 40 for older Jami devices). */
export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_RE.test(value) && !/^0+$/.test(value)
}
