/**
 * Certificate revocation lists: an account revokes one of its devices by signing a CRL that
 * lists the device certificate's serial. Parsed with a small DER reader and verified with
 * node:crypto, synchronously, so the (pure) rules engine can consult it.
 * @module
 */
import { verify } from 'node:crypto'
import { InvalidCertificateError } from '../errors.js'
import type { CertificateInfo } from './certificate.js'
import { children, decodeOid, decodeTime, readTlv } from './der.js'
import { keyTypeOf } from './keys.js'

export interface RevocationList {
  issuerDer: Buffer
  thisUpdate: Date
  /** serial → revocation date */
  revoked: Map<bigint, Date>
  /** The signed part and the signature, to check against the issuer's key. */
  tbs: Buffer
  signatureOid: string
  signature: Buffer
}

function derInteger(value: Buffer): bigint {
  if (value.length === 0) return 0n
  let v = BigInt('0x' + value.toString('hex'))
  if (value[0]! & 0x80) v -= 1n << BigInt(value.length * 8)
  return v
}

function fromPem(data: Buffer): Buffer {
  const text = data.toString('latin1')
  const m = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(text)
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : data
}

export function parseCrl(data: Uint8Array): RevocationList {
  try {
    const der = fromPem(Buffer.from(data))
    const top = children(readTlv(der).value)
    const [tbsTlv, algTlv, sigTlv] = top
    if (!tbsTlv || !algTlv || !sigTlv || sigTlv.tag !== 0x03) throw new Error('not a CertificateList')
    const tbs = children(tbsTlv.value)
    let i = 0
    if (tbs[i]?.tag === 0x02) i++ // version
    i++ // signature algorithm
    const issuer = tbs[i++]!
    const thisUpdate = decodeTime(tbs[i++]!)
    if (tbs[i] && (tbs[i]!.tag === 0x17 || tbs[i]!.tag === 0x18)) i++ // nextUpdate
    const revoked = new Map<bigint, Date>()
    if (tbs[i]?.tag === 0x30) {
      for (const entry of children(tbs[i]!.value)) {
        const [serial, date] = children(entry.value)
        if (!serial || !date) throw new Error('bad revoked entry')
        revoked.set(derInteger(serial.value), decodeTime(date))
      }
    }
    const algOid = decodeOid(children(algTlv.value)[0]!.value)
    return { issuerDer: issuer.raw, thisUpdate, revoked, tbs: tbsTlv.raw, signatureOid: algOid, signature: sigTlv.value.subarray(1) }
  } catch (err) {
    if (err instanceof InvalidCertificateError) throw err
    throw new InvalidCertificateError(`unparsable CRL: ${(err as Error).message}`)
  }
}

const RSA_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
}
const ED25519_OID = '1.3.101.112'

/** True when the CRL's signature verifies with the issuing account certificate's key. */
export function isCrlSignedBy(crl: RevocationList, issuer: CertificateInfo): boolean {
  try {
    if (crl.signatureOid === ED25519_OID) {
      return keyTypeOf(issuer.publicKey) === 'ed25519' && verify(null, crl.tbs, issuer.publicKey, crl.signature)
    }
    const hash = RSA_HASHES[crl.signatureOid]
    return hash !== undefined && keyTypeOf(issuer.publicKey) === 'rsa' && verify(hash, crl.tbs, issuer.publicKey, crl.signature)
  } catch {
    return false
  }
}

/** The revocation date of `cert` in `crl`, or undefined when it is not revoked. */
export function revocationOf(crl: RevocationList, cert: CertificateInfo): Date | undefined {
  return crl.revoked.get(cert.serial)
}
