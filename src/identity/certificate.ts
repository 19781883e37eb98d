/**
 * Reading certificates as Jami stores them (a PEM list, or DER) and answering what the rules
 * ask: whose key is this, who issued it, is it a CA, was it valid at a time, did X sign it.
 * node:crypto's X509Certificate does the parsing and verification synchronously (0.3 ms a
 * cert) and tolerates the negative serial numbers real Jami certificates carry.
 * @module
 */
import { X509Certificate, type KeyObject } from 'node:crypto'
import { InvalidCertificateError } from '../errors.js'
import { accountUriOf, deviceIdOf } from './ids.js'
import { keyTypeOf, spkiDer, type KeyType } from './keys.js'

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

/** What a certificate says: subject and issuer ids, names, validity, key. */
export interface CertificateInfo {
  /** The parsed certificate (node:crypto). */
  x509: X509Certificate
  publicKey: KeyObject
  keyType: KeyType
  /** Hex SHA-1 of the SPKI: the account URI when this is an account certificate. */
  keyId: string
  /** Hex SHA-256 of the SPKI: the device id when this is a device certificate. */
  longKeyId: string
  /** `UID` attribute of the subject DN ('' when absent). */
  subjectUid: string
  /** `UID` attribute of the issuer DN: for a device certificate, its account URI. */
  issuerUid: string
  commonName: string
  isCA: boolean
  notBefore: Date
  notAfter: Date
  /** Serial number as a (possibly negative) integer. */
  serial: bigint
  /** DER of the whole certificate. */
  der: Buffer
}

function dnAttribute(dn: string, key: string): string {
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0 && line.slice(0, eq) === key) return line.slice(eq + 1)
  }
  return ''
}

export function serialToBigInt(hex: string): bigint {
  const neg = hex.startsWith('-')
  const digits = neg ? hex.slice(1) : hex
  if (!/^[0-9A-Fa-f]+$/.test(digits)) throw new InvalidCertificateError(`bad serial number ${hex}`)
  const v = BigInt('0x' + digits)
  return neg ? -v : v
}

function describe(x509: X509Certificate): CertificateInfo {
  const publicKey = x509.publicKey
  const keyType = keyTypeOf(publicKey)
  const spki = spkiDer(publicKey)
  return {
    x509,
    publicKey,
    keyType,
    keyId: accountUriOf(spki),
    longKeyId: deviceIdOf(spki),
    subjectUid: dnAttribute(x509.subject, 'UID'),
    issuerUid: dnAttribute(x509.issuer, 'UID'),
    commonName: dnAttribute(x509.subject, 'CN'),
    isCA: x509.ca,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    serial: serialToBigInt(x509.serialNumber),
    der: x509.raw,
  }
}

/**
 * Parses every certificate in a Jami cert file: concatenated PEM blocks, or a single DER
 * certificate (OpenDHT accepts both). The first is the subject; the rest its issuers.
 */
export function parseCertificates(data: Uint8Array | string): CertificateInfo[] {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1')
  const blocks = text.match(PEM_RE)
  try {
    if (blocks && blocks.length > 0) return blocks.map((b) => describe(new X509Certificate(b)))
    if (typeof data !== 'string' && data.length > 0 && data[0] === 0x30) return [describe(new X509Certificate(Buffer.from(data)))]
  } catch (err) {
    if (err instanceof InvalidCertificateError) throw err
    throw new InvalidCertificateError(`unparsable certificate: ${(err as Error).message}`)
  }
  throw new InvalidCertificateError('no certificate found')
}

export function parseCertificate(data: Uint8Array | string): CertificateInfo {
  return parseCertificates(data)[0]!
}

/** True when `child`'s signature verifies with `issuer`'s public key. */
export function isSignedBy(child: CertificateInfo, issuer: CertificateInfo): boolean {
  try {
    return child.x509.verify(issuer.publicKey)
  } catch {
    return false
  }
}

/** True when the certificate has not expired at `unixSeconds` (Jami checks the end only). */
export function notExpiredAt(cert: CertificateInfo, unixSeconds: number): boolean {
  return cert.notAfter.getTime() >= unixSeconds * 1000
}

/** PEM text of one certificate, 64-column base64 as GnuTLS writes it. */
export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64')
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}
