/**
 * The first frame on every `msg:` channel: who this device is. It carries the account's
 * certificate chain and the device certificate; the receiver checks that the device
 * certificate is issued by the account certificate (itself issued by its CA when one is
 * sent), that neither has expired, and that the device key, converted to X25519, is the Tox
 * key the connection was authenticated with. Only then is the peer known by its account URI:
 * the Noise handshake proved the Tox key, the certificates bind it to the account.
 * @module
 */
import { ProtocolError } from '../errors.js'
import { isSignedBy, notExpiredAt, parseCertificate, parseCertificates } from '../identity/certificate.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { toxPublicKey } from '../identity/tox.js'
import { take, type Frame } from './frames.js'

export const HELLO = 'application/x-gitswarm-hello'

/** A device on the other end of a connection, verified. */
export interface VerifiedPeer {
  accountUri: string
  deviceId: string
  /** Tox public key, hex. */
  toxPk: string
  /** The display name it sent (not verified: names are not in certificates). */
  name: string
  /** Tox keys (hex) of the other devices of its account, as it tells them. */
  devices: string[]
  /** The PEM it sent, for callers that pin certificates. */
  accountChainPem: string
  deviceCertPem: string
}

export function helloFrame(identity: DeviceIdentity, devices: string[]): Frame {
  return { t: HELLO, v: 1, chain: identity.accountChainPem, cert: identity.deviceCertPem, name: identity.displayName, devices }
}

/** Checks a hello against the Tox key of the connection it came over; throws ProtocolError. */
export function verifyHello(frame: Frame, connectionToxPk: Uint8Array, nowSeconds = Math.floor(Date.now() / 1000)): VerifiedPeer {
  const who = Buffer.from(connectionToxPk).toString('hex')
  const fail = (reason: string): never => {
    throw new ProtocolError(who, `bad hello: ${reason}`)
  }
  if (frame.t !== HELLO) fail(`the first frame is "${String(frame.t).slice(0, 64)}", not a hello`)
  const chainPem = take.string(frame['chain'], 16_384) ?? fail('no account certificate chain')
  const certPem = take.string(frame['cert'], 8192) ?? fail('no device certificate')
  let chain, device
  try {
    chain = parseCertificates(chainPem)
    device = parseCertificate(certPem)
  } catch (err) {
    return fail((err as Error).message)
  }
  const [account, ca] = chain
  if (!account) return fail('empty account chain')
  if (ca && !isSignedBy(account, ca)) fail('the account certificate is not issued by its CA')
  if (!isSignedBy(device, account)) fail('the device certificate is not issued by the account certificate')
  if (!notExpiredAt(device, nowSeconds) || !notExpiredAt(account, nowSeconds)) fail('a certificate has expired')
  let key: Uint8Array
  try {
    key = toxPublicKey(device.publicKey)
  } catch {
    return fail('the device key is not Ed25519, it has no Tox key')
  }
  if (!Buffer.from(key).equals(Buffer.from(connectionToxPk))) fail('the device certificate is for another Tox key than this connection')
  const devices = Array.isArray(frame['devices']) ? frame['devices'].map((d) => take.hex(d, 64)).filter((d): d is string => !!d && d !== who).slice(0, 64) : []
  return {
    accountUri: account.keyId,
    deviceId: device.longKeyId,
    toxPk: who,
    name: (take.string(frame['name'], 256) ?? '').replace(/[<>\n\r\0]/g, ''),
    devices,
    accountChainPem: chainPem,
    deviceCertPem: certPem,
  }
}
