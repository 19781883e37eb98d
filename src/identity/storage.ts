/**
 * Saving an identity to a directory and loading it back. Private keys are PKCS#8 PEM,
 * encrypted (AES-256-CBC, PBES2) when a passphrase is given. The directory is written
 * beside its final place and renamed in, so a failure never leaves half an identity.
 * @module
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { AlreadyExistsError, BadPassphraseError, InvalidCertificateError, NotFoundError } from '../errors.js'
import { isSignedBy, parseCertificate, parseCertificates } from './certificate.js'
import type { DeviceIdentity } from './identity.js'
import { keyPairFromPrivate, spkiDer, type KeyPair } from './keys.js'

const FORMAT = 'gitswarm-identity/1'

interface IdentityFile {
  format: string
  displayName: string
  uri: string
  deviceId: string
  encrypted: boolean
}

function exportKey(key: KeyObject, passphrase?: string): string {
  return passphrase
    ? (key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string)
    : (key.export({ type: 'pkcs8', format: 'pem' }) as string)
}

function importKey(path: string, passphrase?: string): KeyPair {
  const pem = readFileSync(path, 'utf8')
  try {
    return keyPairFromPrivate(createPrivateKey({ key: pem, format: 'pem', passphrase: passphrase ?? '' }))
  } catch (err) {
    if (pem.includes('ENCRYPTED')) throw new BadPassphraseError(path)
    throw new InvalidCertificateError(`unreadable private key ${path}: ${(err as Error).message}`)
  }
}

export interface SaveIdentityOptions {
  passphrase?: string
  /** Replace an existing identity at that path. */
  overwrite?: boolean
}

/** Writes a device identity into `dir` (keys PEM-encoded, encrypted with the passphrase if given). */
export function saveIdentity(dir: string, identity: DeviceIdentity, options: SaveIdentityOptions = {}): void {
  const target = resolve(dir)
  if (existsSync(target) && !options.overwrite) throw new AlreadyExistsError(`identity directory ${target}`)
  mkdirSync(dirname(target), { recursive: true })
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`
  mkdirSync(tmp, { mode: 0o700 })
  try {
    const meta: IdentityFile = {
      format: FORMAT,
      displayName: identity.displayName,
      uri: identity.uri,
      deviceId: identity.deviceId,
      encrypted: Boolean(options.passphrase),
    }
    writeFileSync(join(tmp, 'identity.json'), JSON.stringify(meta, null, 2) + '\n')
    writeFileSync(join(tmp, 'account.crt'), identity.accountChainPem)
    writeFileSync(join(tmp, 'device.crt'), identity.deviceCertPem)
    writeFileSync(join(tmp, 'device.key'), exportKey(identity.deviceKey.privateKey, options.passphrase), { mode: 0o600 })
    if (identity.accountKey) writeFileSync(join(tmp, 'account.key'), exportKey(identity.accountKey.privateKey, options.passphrase), { mode: 0o600 })
    if (identity.caKey) writeFileSync(join(tmp, 'ca.key'), exportKey(identity.caKey.privateKey, options.passphrase), { mode: 0o600 })
    if (identity.crl) writeFileSync(join(tmp, 'account.crl'), identity.crl)
    if (existsSync(target)) rmSync(target, { recursive: true, force: true })
    renameSync(tmp, target)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    throw err
  }
}

/** Reads the device identity saved in `dir` (BadPassphraseError when the keys are encrypted and the passphrase is missing or wrong). */
export function loadIdentity(dir: string, options: { passphrase?: string } = {}): DeviceIdentity {
  const root = resolve(dir)
  const metaPath = join(root, 'identity.json')
  if (!existsSync(metaPath)) throw new NotFoundError(`identity in ${root}`, { path: root })
  let meta: IdentityFile
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as IdentityFile
  } catch {
    throw new InvalidCertificateError(`identity.json in ${root} is not JSON`)
  }
  if (meta.format !== FORMAT) throw new InvalidCertificateError(`unknown identity format "${meta.format}"`)
  const accountChainPem = readFileSync(join(root, 'account.crt'), 'utf8')
  const deviceCertPem = readFileSync(join(root, 'device.crt'), 'utf8')
  const accountCert = parseCertificates(accountChainPem)[0]!
  const deviceCert = parseCertificate(deviceCertPem)
  const deviceKey = importKey(join(root, 'device.key'), options.passphrase)
  if (!spkiDer(deviceKey.publicKey).equals(spkiDer(deviceCert.publicKey))) {
    throw new InvalidCertificateError('device.key does not match device.crt')
  }
  if (!isSignedBy(deviceCert, accountCert)) throw new InvalidCertificateError('device.crt is not issued by account.crt')
  const optional = (name: string): KeyPair | undefined =>
    existsSync(join(root, name)) ? importKey(join(root, name), options.passphrase) : undefined
  const crlPath = join(root, 'account.crl')
  return {
    displayName: meta.displayName,
    uri: accountCert.keyId,
    deviceId: deviceCert.longKeyId,
    accountChainPem,
    deviceCertPem,
    accountCert,
    deviceCert,
    deviceKey,
    accountKey: optional('account.key'),
    caKey: optional('ca.key'),
    crl: existsSync(crlPath) ? readFileSync(crlPath) : undefined,
  }
}
