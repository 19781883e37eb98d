/**
 * The account archive (Jami's idea): everything a new device needs to join the account —
 * the account and CA keys, the certificates, the contacts, the conversation list, pending
 * requests, preferences and the Tox IDs of the existing devices — sealed with a passphrase.
 * Format: `GSARCH01` ‖ salt (16) ‖ nonce (12) ‖ ChaCha20-Poly1305 ciphertext ‖ tag (16); the
 * key is scrypt(passphrase, salt, N = 2^15, r = 8, p = 1). A wrong passphrase or a flipped
 * bit fails the tag, never yields garbage.
 * @module
 */
import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, scryptSync } from 'node:crypto'
import { BadPassphraseError, InvalidArgumentError } from '../errors.js'
import { parseCertificates } from '../identity/certificate.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { keyPairFromPrivate } from '../identity/keys.js'
import type { AccountStore, Contact, ConversationInfo, ConversationRequest, OwnDevice } from './store.js'

const MAGIC = Buffer.from('GSARCH01')
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }

export interface ArchiveContent {
  format: 'gitswarm-archive/1'
  displayName: string
  accountChainPem: string
  accountKeyPem: string
  caKeyPem?: string
  crl?: string
  contacts: Record<string, Contact>
  conversations: Record<string, ConversationInfo>
  requests: Record<string, ConversationRequest>
  preferences: Record<string, { values: Record<string, string>; updated: number }>
  devices: Record<string, OwnDevice>
}

/** The archive's content for `identity` (which must hold the account key). */
export function archiveContent(identity: DeviceIdentity, state: Omit<ArchiveContent, 'format' | 'displayName' | 'accountChainPem' | 'accountKeyPem' | 'caKeyPem' | 'crl'>): ArchiveContent {
  if (!identity.accountKey) throw new InvalidArgumentError('this device does not hold the account key: it cannot export the account')
  const pem = (k: { privateKey: import('node:crypto').KeyObject }) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  return {
    format: 'gitswarm-archive/1',
    displayName: identity.displayName,
    accountChainPem: identity.accountChainPem,
    accountKeyPem: pem(identity.accountKey),
    caKeyPem: identity.caKey ? pem(identity.caKey) : undefined,
    crl: identity.crl?.toString('base64'),
    ...state,
  }
}

export function sealArchive(content: ArchiveContent, passphrase: string): Buffer {
  if (!passphrase) throw new InvalidArgumentError('an archive needs a passphrase')
  const salt = randomBytes(16)
  const nonce = randomBytes(12)
  const key = scryptSync(passphrase, salt, 32, SCRYPT)
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  const body = Buffer.concat([cipher.update(JSON.stringify(content), 'utf8'), cipher.final()])
  return Buffer.concat([MAGIC, salt, nonce, body, cipher.getAuthTag()])
}

export function openArchive(data: Uint8Array, passphrase: string): ArchiveContent {
  const buf = Buffer.from(data)
  if (buf.length < MAGIC.length + 16 + 12 + 16 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new InvalidArgumentError('not a gitswarm account archive')
  const salt = buf.subarray(8, 24)
  const nonce = buf.subarray(24, 36)
  const tag = buf.subarray(buf.length - 16)
  const key = scryptSync(passphrase, salt, 32, SCRYPT)
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  decipher.setAuthTag(tag)
  let text: string
  try {
    text = Buffer.concat([decipher.update(buf.subarray(36, buf.length - 16)), decipher.final()]).toString('utf8')
  } catch {
    throw new BadPassphraseError('the account archive')
  }
  const content = JSON.parse(text) as ArchiveContent
  if (content.format !== 'gitswarm-archive/1') throw new InvalidArgumentError(`unknown archive format "${String(content.format)}"`)
  return content
}

/** The account part of an identity from an archive (no device yet: addDevice makes one). */
export function accountFromArchive(content: ArchiveContent): Omit<DeviceIdentity, 'deviceId' | 'deviceCertPem' | 'deviceCert' | 'deviceKey'> & { accountKey: NonNullable<DeviceIdentity['accountKey']> } {
  const [accountCert] = parseCertificates(content.accountChainPem)
  return {
    displayName: content.displayName,
    uri: accountCert!.keyId,
    accountChainPem: content.accountChainPem,
    accountCert: accountCert!,
    accountKey: keyPairFromPrivate(createPrivateKey(content.accountKeyPem)),
    caKey: content.caKeyPem ? keyPairFromPrivate(createPrivateKey(content.caKeyPem)) : undefined,
    crl: content.crl ? Buffer.from(content.crl, 'base64') : undefined,
  }
}

/** The archive of the account `store` belongs to, `self` being this device as the new one will know it. */
export function exportAccountArchive(identity: DeviceIdentity, store: AccountStore, self: OwnDevice, passphrase: string): Buffer {
  const devices = Object.fromEntries(Object.entries(store.devices.value).map(([k, d]) => [k, { ...d, introduced: false }]))
  return sealArchive(
    archiveContent(identity, {
      contacts: store.contacts.value,
      conversations: store.conversations.value,
      requests: store.requests.value,
      preferences: store.preferences.value,
      devices: { ...devices, [self.deviceId]: self },
    }),
    passphrase,
  )
}

/** Writes an archive's state into a new device's store: its conversations are to be cloned from the account's devices. */
export function restoreArchiveState(store: AccountStore, content: ArchiveContent, uri: string): void {
  store.contacts.value = content.contacts
  store.requests.value = content.requests
  store.preferences.value = content.preferences
  store.devices.value = content.devices
  store.conversations.value = Object.fromEntries(Object.values(content.conversations).map((c) => [c.id, c.removed ? c : { ...c, syncing: { from: uri, since: Date.now() } }]))
  for (const f of [store.contacts, store.requests, store.preferences, store.devices, store.conversations]) f.save()
  store.meta.value = { ...store.meta.value, introduce: true }
  store.meta.save()
}
