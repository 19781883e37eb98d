/**
 * Issuing certificates in Jami's layout: a self-signed account CA ("Jami CA"), the account
 * certificate it issues ("Jami", CA:TRUE — it signs devices), and device certificates
 * ("Jami device", no extensions) issued by the account. Each subject carries a `UID` attribute
 * with the hex SHA-1 key id, so a device certificate's issuer UID is its account URI.
 * Creation goes through @peculiar/x509 (WebCrypto, async), loaded only when a cert is made.
 * @module
 */
import { createHash, randomBytes, webcrypto, type KeyObject } from 'node:crypto'
import { parseCertificate, type CertificateInfo } from './certificate.js'
import { accountUriOf } from './ids.js'
import { keyTypeOf, spkiDer } from './keys.js'

export const UID_OID = '0.9.2342.19200300.100.1.1'
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000

type X509Module = typeof import('@peculiar/x509')
let x509Module: Promise<X509Module> | undefined

/** @peculiar/x509 needs a Reflect polyfill before it loads, and a WebCrypto provider. */
export async function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    await import('reflect-metadata')
    const x509 = await import('@peculiar/x509')
    // Node's webcrypto is the WebCrypto the library types as the DOM's Crypto (absent or different, by lib).
    x509.cryptoProvider.set(webcrypto as never)
    return x509
  })()
  return x509Module
}

/** WebCrypto algorithm for signing certificates with this key (Jami's RSA certs use SHA-384). */
export function certSigningAlgorithm(key: KeyObject): { name: string; hash?: string } {
  return keyTypeOf(key) === 'ed25519' ? { name: 'Ed25519' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' }
}

async function toCryptoKeys(privateKey: KeyObject, publicKey: KeyObject) {
  const alg = certSigningAlgorithm(privateKey)
  const subtle = webcrypto.subtle
  const priv = await subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign'])
  const pub = await subtle.importKey('spki', spkiDer(publicKey), certSigningAlgorithm(publicKey), true, ['verify'])
  return { priv, pub, alg }
}

export interface IssueOptions {
  /** Start of validity (default now). */
  notBefore?: Date
  /** End of validity (default notBefore + 10 years, as OpenDHT). */
  notAfter?: Date
  /** Serial number as positive hex (default: 8 random bytes; derived from the key when `deterministic`). */
  serial?: string
  /** Derive the serial from the subject key instead of randomness (byte-identical fixtures). */
  deterministic?: boolean
}

function serialFor(subjectKey: KeyObject, opts: IssueOptions): string {
  if (opts.serial) return opts.serial
  const bytes = opts.deterministic
    ? createHash('sha256').update(spkiDer(subjectKey)).digest().subarray(0, 8)
    : randomBytes(8)
  bytes[0]! &= 0x7f
  bytes[0]! |= 0x01
  return Buffer.from(bytes).toString('hex')
}

function name(cn: string, uid: string): Array<Record<string, string[]>> {
  return [{ CN: [cn] }, { [UID_OID]: [uid] }]
}

interface IssueParams {
  subjectKey: KeyObject
  subjectCn: string
  issuer: { cn: string; key: KeyObject; privateKey: KeyObject }
  ca: boolean
  opts: IssueOptions
}

async function issue(p: IssueParams): Promise<CertificateInfo> {
  const x509 = await loadX509()
  const signer = await toCryptoKeys(p.issuer.privateKey, p.issuer.key)
  const subjectPub = await webcrypto.subtle.importKey('spki', spkiDer(p.subjectKey), certSigningAlgorithm(p.subjectKey), true, ['verify'])
  const notBefore = p.opts.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000)
  const notAfter = p.opts.notAfter ?? new Date(notBefore.getTime() + TEN_YEARS_MS)
  const extensions = p.ca
    ? [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(subjectPub),
      ]
    : []
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialFor(p.subjectKey, p.opts),
    subject: name(p.subjectCn, accountUriOf(p.subjectKey)),
    issuer: name(p.issuer.cn, accountUriOf(p.issuer.key)),
    notBefore,
    notAfter,
    signingAlgorithm: signer.alg,
    publicKey: subjectPub,
    signingKey: signer.priv,
    extensions,
  })
  return parseCertificate(Buffer.from(cert.rawData))
}

/** A self-signed account CA certificate (`CN=Jami CA`). */
export function issueCaCertificate(caPublic: KeyObject, caPrivate: KeyObject, opts: IssueOptions = {}): Promise<CertificateInfo> {
  return issue({ subjectKey: caPublic, subjectCn: 'Jami CA', issuer: { cn: 'Jami CA', key: caPublic, privateKey: caPrivate }, ca: true, opts })
}

/** The account certificate (`CN=Jami`, CA:TRUE) issued by the account CA. */
export function issueAccountCertificate(
  accountPublic: KeyObject,
  caPublic: KeyObject,
  caPrivate: KeyObject,
  opts: IssueOptions = {},
): Promise<CertificateInfo> {
  return issue({ subjectKey: accountPublic, subjectCn: 'Jami', issuer: { cn: 'Jami CA', key: caPublic, privateKey: caPrivate }, ca: true, opts })
}

/** A device certificate (`CN=Jami device`, no extensions) issued by the account certificate. */
export function issueDeviceCertificate(
  devicePublic: KeyObject,
  accountPublic: KeyObject,
  accountPrivate: KeyObject,
  opts: IssueOptions = {},
): Promise<CertificateInfo> {
  return issue({ subjectKey: devicePublic, subjectCn: 'Jami device', issuer: { cn: 'Jami', key: accountPublic, privateKey: accountPrivate }, ca: false, opts })
}

/** Creates a CRL signed by the account key revoking the given certificate serials. */
export async function issueCrl(
  accountPublic: KeyObject,
  accountPrivate: KeyObject,
  revoked: ReadonlyArray<{ serial: bigint; date: Date }>,
  opts: { thisUpdate?: Date; nextUpdate?: Date } = {},
): Promise<Buffer> {
  const x509 = await loadX509()
  const signer = await toCryptoKeys(accountPrivate, accountPublic)
  const thisUpdate = opts.thisUpdate ?? new Date(Math.floor(Date.now() / 1000) * 1000)
  const crl = await x509.X509CrlGenerator.create({
    issuer: name('Jami', accountUriOf(accountPublic)),
    thisUpdate,
    nextUpdate: opts.nextUpdate ?? new Date(thisUpdate.getTime() + TEN_YEARS_MS),
    entries: revoked.map((r) => ({ serialNumber: bigIntToHex(r.serial), revocationDate: r.date })),
    signingAlgorithm: signer.alg,
    signingKey: signer.priv,
  })
  return Buffer.from(crl.rawData)
}

function bigIntToHex(v: bigint): string {
  let hex = (v < 0n ? -v : v).toString(16)
  if (hex.length % 2) hex = '0' + hex
  return hex
}
