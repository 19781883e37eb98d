/**
 * Building conformance cases: fixed actors (seeded Ed25519 keys, or the RSA keys kept in
 * fixtures/conformance/keys), a clock that advances one minute per commit, and helpers that
 * write commits — valid or broken — into a fresh repository. Nothing here decides whether a
 * commit is valid: each case states what it expects, and the suite checks implementations
 * (gitswarm included) against that.
 * @module
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCommit } from '../git/object-codec.js'
import type { Repository } from '../git/repository.js'
import { lookupPath } from '../git/tree.js'
import type { TreeEdit } from '../git/tree.js'
import { toPem } from '../identity/certificate.js'
import { deviceIdOf } from '../identity/ids.js'
import { addDevice, createAccount, type DeviceIdentity } from '../identity/identity.js'
import { issueCrl, issueDeviceCertificate, loadX509 } from '../identity/issue.js'
import { keyPairFromPrivate, type KeyType } from '../identity/keys.js'
import { initialMessage, memberMessage, textMessage, updateProfileMessage } from '../swarm/messages.js'
import { serializeProfile } from '../swarm/profile.js'
import type { CommitMessage } from '../validation/commit-message.js'
import { adminPath, bannedPath, devicePath, invitedPath, memberPath, votePath, type RoleDir } from '../validation/paths.js'
import { forgeCommit, put, remove, type ForgeSpec } from './forge.js'

/** Certificates of conformance actors are valid from this date. */
export const NOT_BEFORE = new Date('2026-01-01T00:00:00Z')
/** The first commit time; every commit is one minute later than the previous. */
export const START_TIME = 1_795_400_000

export interface Actors {
  alice: DeviceIdentity
  bob: DeviceIdentity
  carol: DeviceIdentity
  dave: DeviceIdentity
  /** An RSA member in Ed25519 conversations (both key types in one history). */
  rita: DeviceIdentity
}

const NAMES = ['alice', 'bob', 'carol', 'dave'] as const

export function seedFor(name: string, role: number): Uint8Array {
  const out = new Uint8Array(32)
  const bytes = Buffer.from(name)
  for (let i = 0; i < 32; i++) out[i] = (bytes[i % bytes.length]! + i * 7 + role * 31) & 0xff
  return out
}

function rsaKey(keysDir: string, name: string, role: string) {
  return keyPairFromPrivate(createPrivateKey(readFileSync(join(keysDir, `${name}-${role}.pem`), 'utf8')))
}

function makeActor(name: string, keyType: KeyType, keysDir: string): Promise<DeviceIdentity> {
  if (keyType === 'ed25519') {
    return createAccount({ displayName: name, seeds: { ca: seedFor(name, 1), account: seedFor(name, 2), device: seedFor(name, 3) }, notBefore: NOT_BEFORE, deterministic: true })
  }
  const keys = { ca: rsaKey(keysDir, name, 'ca'), account: rsaKey(keysDir, name, 'account'), device: rsaKey(keysDir, name, 'device') }
  return createAccount({ displayName: name, keyType: 'rsa', keys, notBefore: NOT_BEFORE, deterministic: true })
}

const actorCache = new Map<string, Promise<Actors>>()

/** The actors of a key type (alice, bob, carol, dave), plus rita, always RSA. */
export function loadActors(keyType: KeyType, keysDir: string): Promise<Actors> {
  const key = `${keyType}:${keysDir}`
  let hit = actorCache.get(key)
  if (!hit) {
    hit = (async () => {
      const [alice, bob, carol, dave, rita] = await Promise.all([...NAMES.map((n) => makeActor(n, keyType, keysDir)), makeActor('rita', 'rsa', keysDir)])
      return { alice: alice!, bob: bob!, carol: carol!, dave: dave!, rita: rita! }
    })()
    actorCache.set(key, hit)
  }
  return hit
}

export interface BuildResult {
  /** The tip the repository's main points to. */
  head: string
  /** A commit the implementation already trusts (a fetch); absent for a full clone. */
  base?: string
  /** The first commit that must be rejected, when the case is invalid. */
  bad?: string
}

export class Builder {
  head = ''
  /** The latest root commit written (the conversation id). */
  rootId = ''
  private time = START_TIME

  constructor(
    readonly repo: Repository,
    readonly actors: Actors,
  ) {}

  tick(): number {
    return (this.time += 60)
  }

  /** Writes a commit (parents default to the current head) without moving the head. */
  forge(spec: Partial<ForgeSpec> & { author: DeviceIdentity; message: CommitMessage | string }): string {
    return forgeCommit(this.repo, { parents: this.head ? [this.head] : [], time: this.tick(), ...spec })
  }

  /** Writes a commit the case considers valid and makes it the head. */
  step(spec: Partial<ForgeSpec> & { author: DeviceIdentity; message: CommitMessage | string }): string {
    return (this.head = this.forge(spec))
  }

  put(path: string, data: string | Uint8Array): TreeEdit {
    return put(this.repo, path, data)
  }

  empty(path: string): TreeEdit {
    return put(this.repo, path, '')
  }

  remove(path: string): TreeEdit {
    return remove(path)
  }

  /** A root commit by `author`: their admin certificate (+ the invited file in 1:1 mode). */
  root(author: DeviceIdentity, mode = 2, invited?: string, extra: TreeEdit[] = []): string {
    const edits = [this.put(adminPath(author.uri), author.accountChainPem), ...extra]
    if (invited && mode === 0) edits.push(this.empty(invitedPath(invited)))
    this.head = ''
    return (this.rootId = this.step({ author, message: initialMessage(mode, invited), edits }))
  }

  add(by: DeviceIdentity, who: DeviceIdentity): string {
    return this.step({ author: by, message: memberMessage('add', who.uri), edits: [this.empty(invitedPath(who.uri))] })
  }

  join(who: DeviceIdentity): string {
    return this.step({ author: who, message: memberMessage('join', who.uri), edits: [this.remove(invitedPath(who.uri)), this.put(memberPath(who.uri), who.accountChainPem)] })
  }

  say(who: DeviceIdentity, body: string): string {
    return this.step({ author: who, message: textMessage(body) })
  }

  /** The usual conversation: alice admin with a profile and a greeting; bob and rita members; carol invited. */
  group(): { hello: string } {
    const { alice, bob, carol, rita } = this.actors
    this.root(alice)
    this.step({ author: alice, message: updateProfileMessage(), edits: [this.put('profile.vcf', serializeProfile({ title: 'conformance' }))] })
    const hello = this.say(alice, 'hello')
    this.add(alice, bob)
    this.join(bob)
    this.add(alice, rita)
    this.join(rita)
    this.add(alice, carol)
    return { hello }
  }

  /** Vote + resolution moving `target` of role `type` into banned/ (by alice, the only admin). */
  ban(target: DeviceIdentity, type: RoleDir = 'members'): { vote: string; ban: string } {
    const { alice } = this.actors
    const vote = this.step({ author: alice, message: { type: 'vote', uri: target.uri }, edits: [this.empty(votePath('ban', type, target.uri, alice.uri))] })
    return { vote, ban: this.step({ author: alice, message: memberMessage('ban', target.uri), edits: this.banEdits(target, type, alice) }) }
  }

  /** The tree edits of a ban resolution on the current head. */
  banEdits(target: DeviceIdentity, type: RoleDir, voter: DeviceIdentity | undefined): TreeEdit[] {
    const from = type === 'invited' ? invitedPath(target.uri) : type === 'admins' ? adminPath(target.uri) : memberPath(target.uri)
    const edits: TreeEdit[] = [{ path: from, oid: null }, { path: bannedPath(type, target.uri), oid: this.blobAt(from)! }]
    if (voter) edits.push(this.remove(votePath('ban', type, target.uri, voter.uri)))
    if (type === 'members' && this.blobAt(devicePath(target.deviceId))) edits.push(this.remove(devicePath(target.deviceId)))
    return edits
  }

  /** The blob id at `path` in the head's tree. */
  blobAt(path: string): string | undefined {
    const tree = parseCommit(this.repo.objects.read(this.head, 'commit').content).tree
    return lookupPath(this.repo.objects, tree, path)?.oid
  }

  /** Another device of `owner`, deterministic by `name`. */
  device(owner: DeviceIdentity, name: string, validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<DeviceIdentity> {
    // Extra devices are Ed25519 whatever the account's key type (a seed cannot make an RSA key).
    return addDevice(owner, { keyType: 'ed25519', seed: seedFor(name, 4), notBefore: validity.notBefore ?? NOT_BEFORE, notAfter: validity.notAfter, deterministic: true })
  }

  /** A CRL by `owner` revoking `revoked` at `date` (or an empty one). */
  crl(owner: DeviceIdentity, revoked?: DeviceIdentity, date?: Date): Promise<Buffer> {
    return issueCrl(owner.accountKey!.publicKey, owner.accountKey!.privateKey, revoked ? [{ serial: revoked.deviceCert.serial, date: date! }] : [], { thisUpdate: NOT_BEFORE })
  }

  /** A device of `victim`'s account as `forger` would mint it: issuer UID says victim, signature is forger's. */
  async forgedDevice(victim: DeviceIdentity, forger: DeviceIdentity, name: string): Promise<DeviceIdentity> {
    const key = keyPairFromPrivate(createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seedFor(name, 5)]), format: 'der', type: 'pkcs8' }))
    const cert = await issueDeviceCertificate(key.publicKey, victim.accountKey!.publicKey, forger.accountKey!.privateKey, { notBefore: NOT_BEFORE, deterministic: true })
    return { ...victim, deviceId: cert.longKeyId, deviceCertPem: toPem(cert.der), deviceCert: cert, deviceKey: key }
  }

  /** A device whose certificate holds a P-256 key (a type swarms never use), issued by `owner`. */
  async ecDevice(owner: DeviceIdentity): Promise<{ identity: DeviceIdentity; certPem: string }> {
    const x509 = await loadX509()
    const ec = EC_KEY
    const subject = await webcrypto.subtle.importKey('spki', ec.publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify'])
    const alg = owner.accountKey!.type === 'ed25519' ? { name: 'Ed25519' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' }
    const signer = await webcrypto.subtle.importKey('pkcs8', owner.accountKey!.privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign'])
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '0e',
      subject: 'CN=Jami device',
      issuer: [{ CN: ['Jami'] }, { '0.9.2342.19200300.100.1.1': [owner.uri] }],
      notBefore: NOT_BEFORE,
      notAfter: new Date('2036-01-01T00:00:00Z'),
      signingAlgorithm: alg,
      publicKey: subject,
      signingKey: signer,
    })
    const certPem = cert.toString('pem') + '\n'
    return { identity: { ...owner, deviceId: deviceIdOf(ec.publicKey), deviceCertPem: certPem }, certPem }
  }
}

// A fixed P-256 key: ECDSA signatures are randomised, so fixtures use it only as a certificate key.
const EC_PRIVATE = createPrivateKey({
  key: Buffer.from('3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721', 'hex'),
  format: 'der',
  type: 'pkcs8',
})
const EC_KEY = { privateKey: EC_PRIVATE, publicKey: createPublicKey(EC_PRIVATE) }
