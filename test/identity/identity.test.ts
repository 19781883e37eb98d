/**
 * Identities: Jami's real certificates (ids, negative serials, chain), our Ed25519 and RSA
 * accounts in the same layout, CRLs, Tox keys and IDs, saving and loading.
 */
import { createPrivateKey, createPublicKey, diffieHellman, X509Certificate } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { AlreadyExistsError, BadPassphraseError, InvalidArgumentError } from '../../src/errors.js'
import { isSignedBy, notExpiredAt, parseCertificate, parseCertificates } from '../../src/identity/certificate.js'
import { isCrlSignedBy, parseCrl, revocationOf } from '../../src/identity/crl.js'
import { accountUriOf, deviceIdOf, isAccountUri, isDeviceId } from '../../src/identity/ids.js'
import { createAccount, revokeDevice, sanitizeDisplayName, type DeviceIdentity } from '../../src/identity/identity.js'
import { generateKeyPair, signData, verifyData } from '../../src/identity/keys.js'
import { loadIdentity, saveIdentity } from '../../src/identity/storage.js'
import { parseToxId, toxId, toxPublicKey, toxSecretKey } from '../../src/identity/tox.js'
import { account, device, git, tempDir, JAMI_FIXTURES } from '../helpers.js'

const dir = tempDir()
const FIXTURES = JAMI_FIXTURES
const JAMI = {
  alice: { uri: 'd0c9fbd39a2f8c53cd6007f4be015fce146fc7ab', device: 'd12fa1bac6ec5b8191e2d3ce80eaaf31a95828004cff213bda17ffdf0f1ea812' },
  bob: { uri: 'e44302e8ce975cc22d7535c805a0c29017a3d79f', device: 'd1a3246855e60629eb75fbce035ff6906be4d4fdb1a501e604755203720f92c9' },
}

describe('certificates written by Jami', () => {
  let repo: string
  beforeAll(() => {
    repo = join(dir, 'group.git')
    git(dir, 'clone', '-q', '--mirror', join(FIXTURES, 'group-alice.bundle'), repo)
  })

  test('account URI = SHA-1 of the SPKI, device id = SHA-256 of the SPKI; chain and negative serials', () => {
    for (const who of Object.values(JAMI)) {
      const dir_ = git(repo, 'ls-tree', '--name-only', 'HEAD', 'admins/', 'members/').split('\n').find((p) => p.includes(who.uri))!
      const [accountCert, ca] = parseCertificates(git(repo, 'show', `HEAD:${dir_}`) + '\n')
      const deviceCert = parseCertificate(git(repo, 'show', `HEAD:devices/${who.device}.crt`) + '\n')
      expect(accountCert!.keyId).toBe(who.uri)
      expect(deviceCert.longKeyId).toBe(who.device)
      expect(deviceCert.issuerUid).toBe(who.uri)
      expect(accountCert!.commonName).toBe('Jami')
      expect(ca!.commonName).toBe('Jami CA')
      expect(accountCert!.isCA && !deviceCert.isCA).toBe(true)
      expect(isSignedBy(deviceCert, accountCert!) && isSignedBy(accountCert!, ca!)).toBe(true)
      expect(isSignedBy(deviceCert, ca!)).toBe(false)
      expect(deviceCert.keyType).toBe('rsa')
    }
    const alice = parseCertificate(git(repo, 'show', `HEAD:devices/${JAMI.alice.device}.crt`) + '\n')
    expect(alice.serial).toBeLessThan(0n)
  })
})

describe('our accounts', () => {
  let alice: DeviceIdentity
  beforeAll(async () => {
    alice = await account('alice')
  })

  test('Ed25519 account in Jami’s layout', () => {
    const [acc, ca] = parseCertificates(alice.accountChainPem)
    expect(acc!.keyId).toBe(alice.uri)
    expect(acc!.subjectUid).toBe(alice.uri)
    expect(acc!.isCA && ca!.isCA).toBe(true)
    expect(ca!.commonName).toBe('Jami CA')
    expect(alice.deviceCert.commonName).toBe('Jami device')
    expect(alice.deviceCert.issuerUid).toBe(alice.uri)
    expect(alice.deviceId).toBe(deviceIdOf(alice.deviceKey.publicKey))
    expect(isSignedBy(alice.deviceCert, acc!) && isSignedBy(acc!, ca!)).toBe(true)
    expect(new X509Certificate(alice.deviceCertPem).checkIssued(new X509Certificate(alice.accountChainPem))).toBe(true)
    expect(alice.deviceCertPem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/)
    expect(isAccountUri(alice.uri) && isDeviceId(alice.deviceId)).toBe(true)
    expect(isAccountUri('0'.repeat(40))).toBe(false)
  })

  test('seeded accounts are byte-identical across runs', async () => {
    const again = await createAccount({ displayName: 'alice', seeds: { ca: new Uint8Array(32).fill(1), account: new Uint8Array(32).fill(2), device: new Uint8Array(32).fill(3) }, notBefore: new Date('2026-01-01Z'), deterministic: true })
    const twice = await createAccount({ displayName: 'alice', seeds: { ca: new Uint8Array(32).fill(1), account: new Uint8Array(32).fill(2), device: new Uint8Array(32).fill(3) }, notBefore: new Date('2026-01-01Z'), deterministic: true })
    expect(twice.accountChainPem).toBe(again.accountChainPem)
    expect(twice.deviceCertPem).toBe(again.deviceCertPem)
  })

  test('validity is judged at a given time (Jami checks the end of validity at the commit time)', async () => {
    const short = await device(alice, 'short', { notBefore: new Date('2020-01-01Z'), notAfter: new Date('2021-01-01Z') })
    expect(notExpiredAt(short.deviceCert, Date.UTC(2020, 6, 1) / 1000)).toBe(true)
    expect(notExpiredAt(short.deviceCert, Date.UTC(2022, 0, 1) / 1000)).toBe(false)
  })

  test('RSA keys sign as Jami does (PKCS#1 v1.5, SHA-512); Ed25519 signs raw', () => {
    const rsa = generateKeyPair('rsa', { bits: 2048 })
    const data = Buffer.from('payload')
    const sig = signData(rsa.privateKey, data)
    expect(sig).toHaveLength(256)
    expect(verifyData(rsa.publicKey, data, sig)).toBe(true)
    expect(verifyData(rsa.publicKey, Buffer.from('other'), sig)).toBe(false)
    const ed = generateKeyPair('ed25519', { seed: new Uint8Array(32).fill(9) })
    expect(verifyData(ed.publicKey, data, signData(ed.privateKey, data))).toBe(true)
    expect(() => generateKeyPair('ed25519', { seed: new Uint8Array(5) })).toThrow(InvalidArgumentError)
  })

  test('a CRL revokes one device, is signed by the account, and detects tampering', async () => {
    const second = await device(alice, 'second')
    const revoked = await revokeDevice(alice, second.deviceCert, new Date('2026-06-01Z'))
    const crl = parseCrl(revoked.crl!)
    expect(isCrlSignedBy(crl, alice.accountCert)).toBe(true)
    expect(revocationOf(crl, second.deviceCert)?.toISOString()).toBe('2026-06-01T00:00:00.000Z')
    expect(revocationOf(crl, alice.deviceCert)).toBeUndefined()
    const bob = await account('bob')
    expect(isCrlSignedBy(crl, bob.accountCert)).toBe(false)
    const tampered = Buffer.from(revoked.crl!)
    tampered[tampered.length - 5]! ^= 1
    expect(isCrlSignedBy(parseCrl(tampered), alice.accountCert)).toBe(false)
  })

  test('display names lose the characters that would break the author line', () => {
    expect(sanitizeDisplayName('a <b> c\n')).toBe('a b c')
  })
})

describe('Tox identity of a device', () => {
  test('the X25519 secret and public keys derived from the Ed25519 device key agree', async () => {
    const alice = await account('alice')
    const pub = toxPublicKey(alice.deviceKey.publicKey)
    const sec = toxSecretKey(alice.deviceKey.privateKey)
    const priv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), sec]), format: 'der', type: 'pkcs8' })
    const derived = createPublicKey(priv).export({ type: 'spki', format: 'der' }).subarray(12)
    expect(Buffer.from(pub).toString('hex')).toBe(derived.toString('hex'))
    // And it works for key agreement with another device.
    const bob = await account('bob')
    const bobPriv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), toxSecretKey(bob.deviceKey.privateKey)]), format: 'der', type: 'pkcs8' })
    const alicePubKey = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), pub]), format: 'der', type: 'spki' })
    const bobPubKey = createPublicKey(bobPriv)
    expect(diffieHellman({ privateKey: priv, publicKey: bobPubKey }).equals(diffieHellman({ privateKey: bobPriv, publicKey: alicePubKey }))).toBe(true)
    expect(pub[31]! < 128).toBe(true)
  })

  test('Tox IDs: 76 hex digits, XOR checksum of the first 36 bytes, checked on parse', () => {
    const pk = new Uint8Array(32).map((_, i) => i)
    const id = toxId(pk, 0x01020304)
    expect(id).toMatch(/^[0-9A-F]{76}$/)
    const bytes = Buffer.from(id, 'hex')
    let c0 = 0
    let c1 = 0
    for (let i = 0; i < 36; i += 2) (c0 ^= bytes[i]!), (c1 ^= bytes[i + 1]!)
    expect([bytes[36], bytes[37]]).toEqual([c0, c1])
    expect(bytes.subarray(32, 36)).toEqual(Buffer.from([1, 2, 3, 4]))
    expect(parseToxId(id).publicKey).toEqual(pk)
    expect(() => parseToxId(id.slice(0, 75) + (id.endsWith('0') ? '1' : '0'))).toThrow(/checksum/)
    expect(() => parseToxId('abc')).toThrow(InvalidArgumentError)
  })
})

describe('saving and loading', () => {
  test('with a passphrase the keys are encrypted; a wrong one is refused; nothing is overwritten', async () => {
    const alice = await account('alice')
    const path = join(dir, 'alice-id')
    saveIdentity(path, alice, { passphrase: 'correct horse' })
    expect(statSync(join(path, 'device.key')).mode & 0o777).toBe(0o600)
    const loaded = loadIdentity(path, { passphrase: 'correct horse' })
    expect([loaded.uri, loaded.deviceId, loaded.accountChainPem]).toEqual([alice.uri, alice.deviceId, alice.accountChainPem])
    expect(accountUriOf(loaded.accountKey!.publicKey)).toBe(alice.uri)
    expect(() => loadIdentity(path, { passphrase: 'wrong' })).toThrow(BadPassphraseError)
    expect(() => loadIdentity(path)).toThrow(BadPassphraseError)
    expect(() => saveIdentity(path, alice)).toThrow(AlreadyExistsError)
  })
})
