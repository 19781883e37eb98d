/**
 * Accounts and their devices. An account is a CA key, an account key (its URI is the key's
 * SHA-1 id) and one certificate per device; a device signs commits with its own key, and the
 * repository holds `admins|members/<uri>.crt` (account cert + CA) and `devices/<id>.crt`.
 * @module
 */
import { InvalidArgumentError, InvalidCertificateError } from '../errors.js'
import { isSignedBy, parseCertificates, toPem, type CertificateInfo } from './certificate.js'
import { isCrlSignedBy, parseCrl } from './crl.js'
import { issueAccountCertificate, issueCaCertificate, issueCrl, issueDeviceCertificate, type IssueOptions } from './issue.js'
import { generateKeyPair, type KeyPair, type KeyType } from './keys.js'
import { toxId, toxPublicKey } from './tox.js'

/** One device of an account: the account's keys and certificate (when held) and this device's own. */
export interface DeviceIdentity {
  /** Display name written into commits (Jami strips `<` and `>`). */
  displayName: string
  /** Account URI: hex SHA-1 of the account key's SPKI. */
  uri: string
  /** Device id: hex SHA-256 of the device key's SPKI. */
  deviceId: string
  /** Contents of `admins|members/<uri>.crt`: account certificate then its CA, PEM. */
  accountChainPem: string
  /** Contents of `devices/<deviceId>.crt`: the device certificate, PEM. */
  deviceCertPem: string
  accountCert: CertificateInfo
  deviceCert: CertificateInfo
  deviceKey: KeyPair
  /** The account's keys, on devices that may issue new devices and revocations. */
  accountKey?: KeyPair
  caKey?: KeyPair
  /** The account's current revocation list (DER), when any device was revoked. */
  crl?: Buffer
}

/** How a new account (and its first device) is made. */
export interface CreateAccountOptions extends IssueOptions {
  displayName?: string
  keyType?: KeyType
  /** 32-byte seeds for deterministic Ed25519 keys. */
  seeds?: { ca?: Uint8Array; account?: Uint8Array; device?: Uint8Array }
  /** Ready-made keys (RSA fixtures, imported accounts). */
  keys?: { ca?: KeyPair; account?: KeyPair; device?: KeyPair }
}

/** Jami's display-name rule: remove `<` and `>`, so the author line stays parseable. */
export function sanitizeDisplayName(name: string): string {
  return name.replace(/[<>\n\r\0]/g, '')
}

function assemble(
  displayName: string,
  accountCert: CertificateInfo,
  caCert: CertificateInfo | undefined,
  deviceCert: CertificateInfo,
  deviceKey: KeyPair,
  extra: Partial<DeviceIdentity> = {},
): DeviceIdentity {
  return {
    displayName: sanitizeDisplayName(displayName),
    uri: accountCert.keyId,
    deviceId: deviceCert.longKeyId,
    accountChainPem: toPem(accountCert.der) + (caCert ? toPem(caCert.der) : ''),
    deviceCertPem: toPem(deviceCert.der),
    accountCert,
    deviceCert,
    deviceKey,
    ...extra,
  }
}

/** Creates an account (CA, account certificate) and its first device. */
export async function createAccount(options: CreateAccountOptions = {}): Promise<DeviceIdentity> {
  const type = options.keyType ?? 'ed25519'
  const caKey = options.keys?.ca ?? generateKeyPair(type, { seed: options.seeds?.ca })
  const accountKey = options.keys?.account ?? generateKeyPair(type, { seed: options.seeds?.account })
  const caCert = await issueCaCertificate(caKey.publicKey, caKey.privateKey, options)
  const accountCert = await issueAccountCertificate(accountKey.publicKey, caKey.publicKey, caKey.privateKey, options)
  const first = await addDevice(
    assemble(options.displayName ?? 'gitswarm', accountCert, caCert, accountCert, accountKey, { accountKey, caKey }),
    { ...options, keyType: type, seed: options.seeds?.device, key: options.keys?.device },
  )
  return first
}

export interface AddDeviceOptions extends IssueOptions {
  keyType?: KeyType
  seed?: Uint8Array
  key?: KeyPair
  displayName?: string
}

/** Issues a new device certificate for the account held by `account` (which needs the account key). */
export async function addDevice(account: DeviceIdentity, options: AddDeviceOptions = {}): Promise<DeviceIdentity> {
  if (!account.accountKey) throw new InvalidArgumentError('this device does not hold the account key, it cannot add devices')
  const deviceKey = options.key ?? generateKeyPair(options.keyType ?? account.accountKey.type, { seed: options.seed })
  const deviceCert = await issueDeviceCertificate(deviceKey.publicKey, account.accountKey.publicKey, account.accountKey.privateKey, options)
  const [accountCert, caCert] = parseCertificates(account.accountChainPem)
  return assemble(options.displayName ?? account.displayName, accountCert!, caCert, deviceCert, deviceKey, {
    accountKey: account.accountKey,
    caKey: account.caKey,
    crl: account.crl,
  })
}

/** Revokes a device of the account: returns the account identity with an updated CRL. */
export async function revokeDevice(account: DeviceIdentity, deviceCert: CertificateInfo, at = new Date()): Promise<DeviceIdentity> {
  if (!account.accountKey) throw new InvalidArgumentError('only a device holding the account key can revoke devices')
  if (!isSignedBy(deviceCert, account.accountCert)) throw new InvalidCertificateError('that device certificate is not issued by this account')
  const previous = account.crl ? [...parseCrl(account.crl).revoked].map(([serial, date]) => ({ serial, date })) : []
  const entries = [...previous.filter((e) => e.serial !== deviceCert.serial), { serial: deviceCert.serial, date: at }]
  const crl = await issueCrl(account.accountKey.publicKey, account.accountKey.privateKey, entries, { thisUpdate: at })
  if (!isCrlSignedBy(parseCrl(crl), account.accountCert)) throw new InvalidCertificateError('freshly issued CRL does not verify')
  return { ...account, crl }
}

/** The device's Tox ID (Ed25519 devices only). */
export function deviceToxId(identity: DeviceIdentity, nospam: number | Uint8Array = 0): string {
  return toxId(toxPublicKey(identity.deviceKey.publicKey), nospam)
}
