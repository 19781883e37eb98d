/**
 * Every rule id of the engine, each with at least one commit it accepts and one it rejects
 * with exactly that id. Commits are forged on top of a small conversation (alice admin, bob
 * and rita (RSA) members, carol invited, dave a stranger) without moving its `main`.
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto'
import { beforeAll, describe, expect, test } from 'vitest'
import { forgeCommit, put, remove, type ForgeSpec } from '../../src/conformance/forge.js'
import { issueCrl, issueDeviceCertificate } from '../../src/identity/issue.js'
import { toPem } from '../../src/identity/certificate.js'
import { deviceIdOf } from '../../src/identity/ids.js'
import { keyPairFromPrivate } from '../../src/identity/keys.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { initialMessage, memberMessage, textMessage, voteMessage, editMessage, reactionMessage, updateProfileMessage } from '../../src/swarm/messages.js'
import { serializeProfile } from '../../src/swarm/profile.js'
import { RULE_IDS, type RuleId } from '../../src/validation/rules.js'
import { adminPath, crlPath, devicePath, invitedPath, memberPath, votePath, bannedPath } from '../../src/validation/paths.js'
import { validateCommit } from '../../src/validation/validate.js'
import { account, device, expectAccepted, expectRejected, NOT_BEFORE, tempDir, verdictOf } from '../helpers.js'

let alice: DeviceIdentity, bob: DeviceIdentity, carol: DeviceIdentity, dave: DeviceIdentity, rita: DeviceIdentity
let conv: Conversation
let head: string
let greeting: string

const T = 1_795_500_000

function f(spec: Partial<ForgeSpec> & { author: DeviceIdentity; message: ForgeSpec['message'] }): string {
  return forgeCommit(conv.repo, { parents: [head], time: T, ...spec })
}

/** Validates a forged root as if it were its own conversation. */
function rootVerdict(id: string) {
  return validateCommit({ ...conv.validationEnv(), rootId: id }, id).verdict
}

function root(author: DeviceIdentity, message: ForgeSpec['message'], extra: ReturnType<typeof put>[] = []): string {
  return forgeCommit(conv.repo, { author, message, edits: [put(conv.repo, adminPath(author.uri), author.accountChainPem), ...extra], time: T })
}

/** A chain of forged commits, each asserted valid, ending at the returned id. */
function chain(...specs: Array<Omit<ForgeSpec, 'parents'>>): string {
  let tip = head
  for (const spec of specs) {
    tip = forgeCommit(conv.repo, { parents: [tip], time: T, ...spec })
    expectAccepted(verdictOf(conv, tip))
  }
  return tip
}

const empty = (path: string) => put(conv.repo, path, '')

beforeAll(async () => {
  ;[alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => account(n)))
  rita = await account('rita', 'rsa')
  conv = Conversation.create(alice, { dir: tempDir(), clock: () => T - 100 })
  conv.updateProfile({ title: 'rules' })
  greeting = conv.sendMessage('hello')
  for (const m of [bob, rita]) {
    conv.addMember(m.uri)
    Conversation.open(conv.path, { identity: m, clock: () => T - 50 }).join()
  }
  conv.addMember(carol.uri)
  head = conv.head
})

type Case = { accept: () => string | Promise<string>; reject: () => string | Promise<string>; root?: boolean }

const text = (body = 'hi') => textMessage(body)

const CASES: Record<RuleId, Case> = {
  'commit.object': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: bob, message: text(), tree: 'ab'.repeat(20) }),
  },
  'commit.signature-header': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: bob, message: text(), signatureHeaders: (s) => [{ key: 'signature', value: s }, { key: 'signature', value: s }] }),
  },
  'commit.header': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: bob, message: text(), extraHeaders: [{ key: 'encoding', value: 'UTF-8' }] }),
  },
  'commit.author': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: bob, message: text(), committerLine: { timestamp: T + 1 } }),
  },
  'commit.message': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: bob, message: 'hello, not JSON' }),
  },
  'commit.message-size': {
    accept: () => f({ author: bob, message: text('x'.repeat(200 * 1024)) }),
    reject: () => f({ author: bob, message: text('x'.repeat(300 * 1024)) }),
  },
  'history.foreign-root': {
    accept: () => conv.id,
    reject: () => root(alice, initialMessage(2)),
  },
  'device.cert-missing': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: dave, message: text(), addDevice: false }),
  },
  'device.cert-invalid': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => {
      // bob's account certificate (a CA) filed as a device, signing as that "device".
      const fake = { ...bob, deviceId: deviceIdOf(bob.accountCert.publicKey), deviceCertPem: toPem(bob.accountCert.der), deviceKey: bob.accountKey! }
      return f({ author: fake, message: text() })
    },
  },
  'device.key-type': {
    accept: () => f({ author: rita, message: text('RSA device, accepted') }),
    reject: async () => {
      // A P-256 device certificate issued by bob's account: a key type swarms never use.
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const cert = await ecDeviceCert(ec.publicKey, bob)
      const id = deviceIdOf(ec.publicKey)
      const fake = { ...bob, deviceId: id, deviceCertPem: cert, deviceKey: bob.deviceKey }
      return f({ author: fake, message: text() })
    },
  },
  'device.id': {
    accept: () => f({ author: bob, message: text() }),
    reject: async () => {
      const bob2 = await device(bob, 'bob2')
      return f({ author: bob, message: text(), edits: [put(conv.repo, devicePath(bob.deviceId), bob2.deviceCertPem)] })
    },
  },
  'device.chain': {
    accept: async () => {
      const bob3 = await device(bob, 'bob3')
      return f({ author: bob3, message: text() })
    },
    reject: async () => {
      // dave mints a device certificate naming bob's account as issuer, signed with dave's key.
      const k = generateKeyPairSync('ed25519')
      const cert = await issueDeviceCertificate(k.publicKey, bob.accountKey!.publicKey, dave.accountKey!.privateKey, { notBefore: NOT_BEFORE })
      const fake = { ...bob, deviceId: cert.longKeyId, deviceCertPem: toPem(cert.der), deviceKey: keyPairFromPrivate(k.privateKey) }
      return f({ author: fake, message: text() })
    },
  },
  'device.expired': {
    accept: async () => {
      const old = await device(bob, 'bob-old', { notBefore: new Date('2020-01-01Z'), notAfter: new Date('2021-01-01Z') })
      return f({ author: old, message: text(), time: Date.UTC(2020, 5, 1) / 1000 })
    },
    reject: async () => {
      const old = await device(bob, 'bob-old', { notBefore: new Date('2020-01-01Z'), notAfter: new Date('2021-01-01Z') })
      return f({ author: old, message: text() })
    },
  },
  'device.revoked': {
    accept: async () => {
      const [base, alice2] = await revokedScenario()
      return forgeCommit(conv.repo, { author: alice2, parents: [base], message: text('before revocation'), time: T - 10 })
    },
    reject: async () => {
      const [base, alice2] = await revokedScenario()
      return forgeCommit(conv.repo, { author: alice2, parents: [base], message: text('after revocation'), time: T + 10 })
    },
  },
  'author.account-cert': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: bob, message: text(), edits: [put(conv.repo, memberPath(bob.uri), 'garbage')] }),
  },
  'author.not-member': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: dave, message: text() }),
  },
  'signature.invalid': {
    accept: () => f({ author: bob, message: text() }),
    reject: () => f({ author: bob, message: text('original'), tamper: (raw) => Buffer.from(raw.toString().replace('original', 'modified')) }),
  },
  'initial.mode': {
    root: true,
    accept: () => root(alice, initialMessage(3)),
    reject: () => root(alice, initialMessage(4)),
  },
  'initial.files': {
    root: true,
    accept: () => root(alice, initialMessage(2)),
    reject: () => root(alice, initialMessage(2), [put(conv.repo, 'BADFILE', 'x')]),
  },
  'initial.invited': {
    root: true,
    accept: () => root(alice, initialMessage(0, bob.uri), [empty(invitedPath(bob.uri))]),
    reject: () => root(alice, initialMessage(0, bob.uri)),
  },
  'files.unexpected': {
    accept: async () => f({ author: await device(bob, 'bob4'), message: text('first commit of a new device adds its certificate') }),
    reject: () => f({ author: bob, message: text(), edits: [put(conv.repo, 'BADFILE', 'x')] }),
  },
  'files.deleted': {
    accept: async () => f({ author: alice, message: text(), edits: [put(conv.repo, crlPath(alice.uri), await emptyCrl(alice))] }),
    reject: async () => {
      const withCrl = chain({ author: alice, message: text(), edits: [put(conv.repo, crlPath(alice.uri), await emptyCrl(alice))] })
      return forgeCommit(conv.repo, { author: alice, parents: [withCrl], message: text(), edits: [remove(crlPath(alice.uri))], time: T })
    },
  },
  'crl.invalid': {
    accept: async () => f({ author: alice, message: text(), edits: [put(conv.repo, crlPath(alice.uri), await emptyCrl(alice))] }),
    reject: () => f({ author: alice, message: text(), edits: [put(conv.repo, crlPath(alice.uri), 'not a CRL')] }),
  },
  'member.uri': {
    accept: () => f({ author: alice, message: memberMessage('add', dave.uri), edits: [empty(invitedPath(dave.uri))] }),
    reject: () => f({ author: alice, message: memberMessage('add', 'joinGarbage'), edits: [empty(invitedPath('joinGarbage'))] }),
  },
  'member.action': {
    accept: () => f({ author: alice, message: memberMessage('add', dave.uri), edits: [empty(invitedPath(dave.uri))] }),
    reject: () => f({ author: alice, message: { action: 'promote', type: 'member', uri: bob.uri } }),
  },
  'add.one-to-one': {
    accept: () => oneToOne(bob),
    reject: () => oneToOne(carol),
  },
  'add.self': {
    accept: () => f({ author: bob, message: memberMessage('add', dave.uri), edits: [empty(invitedPath(dave.uri))] }),
    reject: () => f({ author: bob, message: memberMessage('add', bob.uri), edits: [empty(invitedPath(bob.uri))] }),
  },
  'add.not-admin': {
    accept: () => adminInvitesOnly(alice),
    reject: () => adminInvitesOnly(bob),
  },
  'add.files': {
    accept: () => f({ author: alice, message: memberMessage('add', dave.uri), edits: [empty(invitedPath(dave.uri))] }),
    reject: () => f({ author: alice, message: memberMessage('add', dave.uri), edits: [put(conv.repo, invitedPath(dave.uri), 'not empty')] }),
  },
  'add.target': {
    accept: () => f({ author: alice, message: memberMessage('add', dave.uri), edits: [empty(invitedPath(dave.uri))] }),
    reject: () => f({ author: alice, message: memberMessage('add', bob.uri), edits: [empty(invitedPath(bob.uri))] }),
  },
  'join.files': {
    accept: () => carolJoins(),
    reject: () => carolJoins([put(conv.repo, 'BADFILE', 'x')]),
  },
  'join.not-invited': {
    accept: () => carolJoins(),
    reject: () => f({ author: dave, message: memberMessage('join', dave.uri), edits: [put(conv.repo, memberPath(dave.uri), dave.accountChainPem)] }),
  },
  'join.device': {
    accept: () => carolJoins(),
    reject: () => f({ author: bob, message: memberMessage('join', carol.uri), edits: [remove(invitedPath(carol.uri)), put(conv.repo, memberPath(carol.uri), carol.accountChainPem)] }),
  },
  'vote.files': {
    accept: () => vote(alice, 'ban', 'members', bob.uri),
    reject: () => vote(alice, 'ban', 'members', bob.uri, [put(conv.repo, 'BADFILE', 'x')]),
  },
  'vote.not-admin': {
    accept: () => vote(alice, 'ban', 'members', bob.uri),
    reject: () => vote(bob, 'ban', 'members', rita.uri),
  },
  'vote.path': {
    accept: () => vote(alice, 'ban', 'members', bob.uri),
    reject: () => f({ author: alice, message: voteMessage(bob.uri), edits: [empty(`votes/members/${bob.uri}`)] }),
  },
  'vote.voter': {
    accept: () => vote(alice, 'ban', 'members', bob.uri),
    reject: () => f({ author: alice, message: voteMessage(bob.uri), edits: [empty(votePath('ban', 'members', bob.uri, rita.uri))] }),
  },
  'vote.file': {
    accept: () => vote(alice, 'ban', 'members', bob.uri),
    reject: () => f({ author: alice, message: voteMessage(bob.uri), edits: [put(conv.repo, votePath('ban', 'members', bob.uri, alice.uri), 'yes')] }),
  },
  'vote.target': {
    accept: () => vote(alice, 'ban', 'invited', carol.uri),
    reject: () => vote(alice, 'ban', 'members', dave.uri),
  },
  'remove.not-self': {
    accept: () => f({ author: bob, message: memberMessage('remove', bob.uri), edits: [remove(memberPath(bob.uri)), remove(devicePath(bob.deviceId))], addDevice: false }),
    reject: () => f({ author: alice, message: memberMessage('remove', bob.uri), edits: [remove(memberPath(bob.uri))] }),
  },
  'remove.files': {
    accept: () => f({ author: bob, message: memberMessage('remove', bob.uri), edits: [remove(memberPath(bob.uri))], addDevice: false }),
    reject: () => f({ author: bob, message: memberMessage('remove', bob.uri), edits: [remove(memberPath(bob.uri)), remove('profile.vcf')], addDevice: false }),
  },
  'remove.not-deleted': {
    accept: () => f({ author: bob, message: memberMessage('remove', bob.uri), edits: [remove(memberPath(bob.uri))], addDevice: false }),
    reject: () => f({ author: bob, message: memberMessage('remove', bob.uri), edits: [remove(memberPath(bob.uri)), put(conv.repo, crlPath(bob.uri), 'x')], addDevice: false }),
  },
  'resolution.not-admin': {
    accept: () => ban(alice, alice),
    reject: () => ban(alice, rita),
  },
  'resolution.files': {
    accept: () => ban(alice, alice),
    reject: () => ban(alice, alice, [put(conv.repo, 'BADFILE', 'x')]),
  },
  'resolution.move': {
    accept: () => ban(alice, alice),
    reject: () => {
      const voted = chain({ author: alice, message: voteMessage(bob.uri), edits: [empty(votePath('ban', 'members', bob.uri, alice.uri))] })
      return forgeCommit(conv.repo, { author: alice, parents: [voted], time: T, message: memberMessage('ban', bob.uri), edits: [remove(votePath('ban', 'members', bob.uri, alice.uri))] })
    },
  },
  'resolution.quorum': {
    accept: () => ban(alice, alice),
    // An admin writing a ban nobody voted for (Jami's testCheckAdminFakeAVoteIsDetected).
    reject: () => f({ author: alice, message: memberMessage('ban', bob.uri), edits: banEdits(alice).filter((e) => !e.path.startsWith('votes/')) }),
  },
  'profile.not-admin': {
    accept: () => f({ author: alice, message: updateProfileMessage(), edits: [put(conv.repo, 'profile.vcf', serializeProfile({ title: 'new' }))] }),
    reject: () => f({ author: bob, message: updateProfileMessage(), edits: [put(conv.repo, 'profile.vcf', serializeProfile({ title: 'mine' }))] }),
  },
  'profile.files': {
    accept: () => f({ author: alice, message: updateProfileMessage(), edits: [put(conv.repo, 'profile.vcf', serializeProfile({ title: 'new' }))] }),
    reject: () => f({ author: alice, message: updateProfileMessage(), edits: [remove('profile.vcf')] }),
  },
  'profile.content': {
    accept: () => f({ author: alice, message: updateProfileMessage(), edits: [put(conv.repo, 'profile.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:crlf\r\nEND:VCARD\r\n')] }),
    reject: () => f({ author: alice, message: updateProfileMessage(), edits: [put(conv.repo, 'profile.vcf', '<html>not a vcard</html>')] }),
  },
  'edit.target': {
    accept: () => f({ author: alice, message: editMessage('hello, edited', greeting) }),
    reject: () => f({ author: alice, message: editMessage('edit of nothing', 'cd'.repeat(20)) }),
  },
  'edit.not-author': {
    accept: () => f({ author: alice, message: editMessage('hello, edited', greeting) }),
    reject: () => f({ author: bob, message: editMessage('I edit alice', greeting) }),
  },
  'edit.target-type': {
    accept: () => {
      const reaction = chain({ author: alice, message: reactionMessage('👍', greeting) })
      return forgeCommit(conv.repo, { author: alice, parents: [reaction], message: editMessage('', reaction), time: T })
    },
    reject: () => f({ author: alice, message: editMessage('edit the root', conv.id) }),
  },
  'edit.files': {
    accept: () => f({ author: alice, message: editMessage('hello, edited', greeting) }),
    reject: () => f({ author: alice, message: editMessage('hello, edited', greeting), edits: [put(conv.repo, 'BADFILE', 'x')] }),
  },
  'merge.parents': {
    accept: () => merge([f({ author: bob, message: text('b') }), f({ author: rita, message: text('r') })]),
    reject: () => merge([f({ author: bob, message: text('b') }), f({ author: rita, message: text('r') }), f({ author: alice, message: text('a') })]),
  },
  'merge.content': {
    accept: () => merge([f({ author: bob, message: text('b') }), f({ author: rita, message: text('r') })]),
    reject: () => merge([f({ author: bob, message: text('b') }), f({ author: rita, message: text('r') })], [put(conv.repo, 'BADFILE', 'x')]),
  },
}

// ── scenario builders ────────────────────────────────────────────────────────────────

async function ecDeviceCert(publicKey: import('node:crypto').KeyObject, owner: DeviceIdentity): Promise<string> {
  // issueDeviceCertificate refuses EC subjects, so build this one with @peculiar/x509 directly.
  await import('reflect-metadata')
  const x509 = await import('@peculiar/x509')
  x509.cryptoProvider.set(webcrypto as never)
  const subject = await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify'])
  const signer = await webcrypto.subtle.importKey('pkcs8', owner.accountKey!.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'Ed25519' }, false, ['sign'])
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=Jami device',
    issuer: [{ CN: ['Jami'] }, { '0.9.2342.19200300.100.1.1': [owner.uri] }],
    notBefore: NOT_BEFORE,
    notAfter: new Date('2036-01-01Z'),
    signingAlgorithm: { name: 'Ed25519' },
    publicKey: subject,
    signingKey: signer,
  })
  return cert.toString('pem') + '\n'
}

async function emptyCrl(who: DeviceIdentity): Promise<Buffer> {
  return issueCrl(who.accountKey!.publicKey, who.accountKey!.privateKey, [], { thisUpdate: NOT_BEFORE })
}

let revoked: Promise<[string, DeviceIdentity]> | undefined
/** alice's second device writes once, then alice publishes a CRL revoking it at time T. */
function revokedScenario(): Promise<[string, DeviceIdentity]> {
  revoked ??= (async () => {
    const alice2 = await device(alice, 'alice2')
    const crl = await issueCrl(alice.accountKey!.publicKey, alice.accountKey!.privateKey, [{ serial: alice2.deviceCert.serial, date: new Date(T * 1000) }], { thisUpdate: NOT_BEFORE })
    const base = chain(
      { author: alice2, message: text('alice2 was here'), time: T - 20 },
      { author: alice, message: text('revoking alice2'), edits: [put(conv.repo, crlPath(alice.uri), crl)], time: T - 15 },
    )
    return [base, alice2] as [string, DeviceIdentity]
  })()
  return revoked
}

function oneToOne(added: DeviceIdentity): string {
  // alice ↔ bob: bob joins, then leaves; alice may re-add bob, but nobody else.
  const r = forgeCommit(conv.repo, {
    author: alice,
    message: initialMessage(0, bob.uri),
    edits: [put(conv.repo, adminPath(alice.uri), alice.accountChainPem), empty(invitedPath(bob.uri))],
    time: T,
  })
  const env = { ...conv.validationEnv(), rootId: r }
  let tip = r
  for (const spec of [
    { author: bob, message: memberMessage('join', bob.uri), edits: [remove(invitedPath(bob.uri)), put(conv.repo, memberPath(bob.uri), bob.accountChainPem)] },
    { author: bob, message: memberMessage('remove', bob.uri), edits: [remove(memberPath(bob.uri)), remove(devicePath(bob.deviceId))], addDevice: false },
  ]) {
    tip = forgeCommit(conv.repo, { parents: [tip], time: T, ...spec })
    expectAccepted(validateCommit(env, tip).verdict)
  }
  const add = forgeCommit(conv.repo, { author: alice, parents: [tip], time: T, message: memberMessage('add', added.uri), edits: [empty(invitedPath(added.uri))] })
  oneToOneRoots.set(add, r)
  return add
}
const oneToOneRoots = new Map<string, string>()

function adminInvitesOnly(by: DeviceIdentity): string {
  const r = forgeCommit(conv.repo, { author: alice, message: initialMessage(1), edits: [put(conv.repo, adminPath(alice.uri), alice.accountChainPem)], time: T })
  const env = { ...conv.validationEnv(), rootId: r }
  let tip = r
  for (const spec of [
    { author: alice, message: memberMessage('add', bob.uri), edits: [empty(invitedPath(bob.uri))] },
    { author: bob, message: memberMessage('join', bob.uri), edits: [remove(invitedPath(bob.uri)), put(conv.repo, memberPath(bob.uri), bob.accountChainPem)] },
  ]) {
    tip = forgeCommit(conv.repo, { parents: [tip], time: T, ...spec })
    expectAccepted(validateCommit(env, tip).verdict)
  }
  const add = forgeCommit(conv.repo, { author: by, parents: [tip], time: T, message: memberMessage('add', carol.uri), edits: [empty(invitedPath(carol.uri))] })
  oneToOneRoots.set(add, r)
  return add
}

function carolJoins(extra: ReturnType<typeof put>[] = []): string {
  return f({ author: carol, message: memberMessage('join', carol.uri), edits: [remove(invitedPath(carol.uri)), put(conv.repo, memberPath(carol.uri), carol.accountChainPem), ...extra] })
}

function vote(by: DeviceIdentity, action: 'ban' | 'unban', type: 'members' | 'invited', target: string, extra: ReturnType<typeof put>[] = []): string {
  return f({ author: by, message: voteMessage(target), edits: [empty(votePath(action, type, target, by.uri)), ...extra] })
}

function banEdits(voter: DeviceIdentity): ReturnType<typeof put>[] {
  const blob = conv.headTree().blobId(memberPath(bob.uri))!
  return [remove(memberPath(bob.uri)), { path: bannedPath('members', bob.uri), oid: blob }, remove(votePath('ban', 'members', bob.uri, voter.uri)), remove(devicePath(bob.deviceId))]
}

/** alice votes to ban bob, then `resolver` writes the ban. */
function ban(voter: DeviceIdentity, resolver: DeviceIdentity, extra: ReturnType<typeof put>[] = []): string {
  const voted = chain({ author: voter, message: voteMessage(bob.uri), edits: [empty(votePath('ban', 'members', bob.uri, voter.uri))] })
  return forgeCommit(conv.repo, { author: resolver, parents: [voted], time: T, message: memberMessage('ban', bob.uri), edits: [...banEdits(voter), ...extra] })
}

function merge(parents: string[], extra: ReturnType<typeof put>[] = []): string {
  return forgeCommit(conv.repo, { author: alice, parents, time: T, message: `Merge commit '${parents[1]}'`, edits: extra })
}

// ── the table ────────────────────────────────────────────────────────────────────────

function verdictFor(rule: RuleId, c: Case, id: string) {
  if (c.root) return rootVerdict(id)
  const r = oneToOneRoots.get(id)
  return r ? validateCommit({ ...conv.validationEnv(), rootId: r }, id).verdict : verdictOf(conv, id)
}

describe('every rule has an accepted and a rejected case', () => {
  test('the table covers exactly the rule catalogue', () => {
    expect(Object.keys(CASES).sort()).toEqual([...RULE_IDS].sort())
  })
  for (const rule of RULE_IDS) {
    test(`${rule}: accepted`, async () => {
      const c = CASES[rule]
      expectAccepted(verdictFor(rule, c, await c.accept()))
    })
    test(`${rule}: rejected`, async () => {
      const c = CASES[rule]
      expectRejected(verdictFor(rule, c, await c.reject()), rule)
    })
  }
})
