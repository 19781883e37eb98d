/**
 * One accepted and one rejected case for every rule id of src/validation. Each builds the
 * usual conversation (alice admin, bob and rita members, carol invited, dave a stranger) and
 * adds the commit under test on top; where a Jami unit test exercises the same thing its
 * name is the reference.
 * @module
 */
import { deviceIdOf } from '../identity/ids.js'
import { toPem } from '../identity/certificate.js'
import { editMessage, memberMessage, reactionMessage, textMessage, updateProfileMessage, voteMessage } from '../swarm/messages.js'
import { serializeProfile } from '../swarm/profile.js'
import { RULES, RULE_IDS, type RuleId } from '../validation/rules.js'
import { crlPath, devicePath, invitedPath, memberPath, votePath } from '../validation/paths.js'
import type { Builder, BuildResult } from './builder.js'
import type { CaseDefinition } from './case.js'

type Build = (b: Builder) => BuildResult | Promise<BuildResult>
interface RuleCase {
  accept: Build
  reject: Build
  /** Jami test names these cases mirror. */
  reference?: string
  acceptTitle?: string
  rejectTitle?: string
  /** Override of jamiAccepts for the accepted case (rules where we are more lenient). */
  jamiAcceptsValid?: boolean
  /**
   * Override for the rejected case: a rule can be stricter than Jami in general while this
   * particular commit is one Jami rejects too (or crashes on).
   */
  jamiAcceptsInvalid?: boolean
}

const text = (body = 'hi') => textMessage(body)

/** The usual conversation, then one commit on top: valid → head, invalid → head and bad. */
function on(build: (b: Builder, hello: string) => string, valid: boolean): Build {
  return (b) => {
    const { hello } = b.group()
    const id = build(b, hello)
    return valid ? { head: id } : { head: id, bad: id }
  }
}
const ok = (build: (b: Builder, hello: string) => string): Build => on(build, true)
const bad = (build: (b: Builder, hello: string) => string): Build => on(build, false)
const asyncOn =
  (build: (b: Builder, hello: string) => Promise<string>, valid: boolean): Build =>
  async (b) => {
    const { hello } = b.group()
    const id = await build(b, hello)
    return valid ? { head: id } : { head: id, bad: id }
  }

const BOB_TEXT = ok((b) => b.forge({ author: b.actors.bob, message: text() }))
const DAVE_INVITED = ok((b) => b.forge({ author: b.actors.alice, message: memberMessage('add', b.actors.dave.uri), edits: [b.empty(invitedPath(b.actors.dave.uri))] }))
const CAROL_JOINS = ok((b) => carolJoins(b))
const ALICE_VOTES = ok((b) => vote(b, b.actors.alice, 'members', b.actors.bob.uri))
const ALICE_BANS_BOB = ok((b) => banBob(b, 'alice'))
const EDIT_OWN = ok((b, hello) => b.forge({ author: b.actors.alice, message: editMessage('hello, edited', hello) }))
const PROFILE_BY_ADMIN = ok((b) => b.forge({ author: b.actors.alice, message: updateProfileMessage(), edits: [b.put('profile.vcf', serializeProfile({ title: 'new' }))] }))
const BOB_LEAVES = ok((b) => b.forge({ author: b.actors.bob, message: memberMessage('remove', b.actors.bob.uri), edits: [b.remove(memberPath(b.actors.bob.uri)), b.remove(devicePath(b.actors.bob.deviceId))], addDevice: false }))
const GOOD_MERGE = ok((b) => merge(b, [b.forge({ author: b.actors.bob, message: text('b') }), b.forge({ author: b.actors.rita, message: text('r') })]))

function carolJoins(b: Builder, extra: ReturnType<Builder['put']>[] = []): string {
  const { carol } = b.actors
  return b.forge({ author: carol, message: memberMessage('join', carol.uri), edits: [b.remove(invitedPath(carol.uri)), b.put(memberPath(carol.uri), carol.accountChainPem), ...extra] })
}

function vote(b: Builder, by: typeof b.actors.alice, type: 'members' | 'invited', target: string, extra: ReturnType<Builder['put']>[] = []): string {
  return b.forge({ author: by, message: voteMessage(target), edits: [b.empty(votePath('ban', type, target, by.uri)), ...extra] })
}

/** alice votes to ban bob; `resolver` writes the resolution (the returned, tested commit). */
function banBob(b: Builder, resolver: 'alice' | 'rita', extra: ReturnType<Builder['put']>[] = []): string {
  const { alice, bob } = b.actors
  b.step({ author: alice, message: voteMessage(bob.uri), edits: [b.empty(votePath('ban', 'members', bob.uri, alice.uri))] })
  return b.forge({ author: b.actors[resolver], message: memberMessage('ban', bob.uri), edits: [...b.banEdits(bob, 'members', alice), ...extra] })
}

function merge(b: Builder, parents: string[], extra: ReturnType<Builder['put']>[] = []): string {
  return b.forge({ author: b.actors.alice, parents, message: `Merge commit '${parents[1]}'`, edits: extra })
}

function rootOnly(build: (b: Builder) => string, valid: boolean): Build {
  return (b) => {
    const id = build(b)
    return valid ? { head: id } : { head: id, bad: id }
  }
}

/** alice ↔ bob 1:1: bob joins and leaves; alice then re-adds `who`. */
function oneToOne(who: 'bob' | 'carol', valid: boolean): Build {
  return (b) => {
    const { alice, bob } = b.actors
    b.root(alice, 0, bob.uri)
    b.join(bob)
    b.step({ author: bob, message: memberMessage('remove', bob.uri), edits: [b.remove(memberPath(bob.uri)), b.remove(devicePath(bob.deviceId))], addDevice: false })
    const target = b.actors[who]
    const id = b.forge({ author: alice, message: memberMessage('add', target.uri), edits: [b.empty(invitedPath(target.uri))] })
    return valid ? { head: id } : { head: id, bad: id }
  }
}

/** Mode 1: alice admin, bob member; `by` invites carol. */
function adminInvitesOnly(by: 'alice' | 'bob', valid: boolean): Build {
  return (b) => {
    const { alice, bob, carol } = b.actors
    b.root(alice, 1)
    b.add(alice, bob)
    b.join(bob)
    const id = b.forge({ author: b.actors[by], message: memberMessage('add', carol.uri), edits: [b.empty(invitedPath(carol.uri))] })
    return valid ? { head: id } : { head: id, bad: id }
  }
}

/** alice's second device writes, alice publishes a CRL revoking it, then it writes at `when`. */
function revoked(when: 'before' | 'after'): Build {
  return async (b) => {
    const { alice } = b.actors
    b.group()
    const alice2 = await b.device(alice, 'alice2')
    b.say(alice2, 'alice2 was here')
    const at = b.tick() + 600
    b.step({ author: alice, message: text('revoking alice2'), edits: [b.put(crlPath(alice.uri), await b.crl(alice, alice2, new Date(at * 1000)))] })
    const id = b.forge({ author: alice2, message: text(`${when} revocation`), time: when === 'before' ? at - 60 : at + 60 })
    return when === 'before' ? { head: id } : { head: id, bad: id }
  }
}

export const RULE_CASES: Record<RuleId, RuleCase> = {
  'commit.object': {
    jamiAcceptsInvalid: false,
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text(), tree: 'ab'.repeat(20) })),
    rejectTitle: 'a commit whose tree object is missing',
  },
  'commit.signature-header': {
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text(), signatureHeaders: (s) => [{ key: 'signature', value: s }, { key: 'signature', value: s }] })),
    rejectTitle: 'two signature headers',
  },
  'commit.header': {
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text(), extraHeaders: [{ key: 'encoding', value: 'UTF-8' }] })),
    rejectTitle: 'a signed extra "encoding" header',
  },
  'commit.author': {
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text(), committerLine: { timestamp: 1_795_000_000 } })),
    rejectTitle: 'committer time differs from author time',
  },
  'commit.message': {
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: 'hello, not JSON' })),
    rejectTitle: 'a message that is not JSON',
  },
  'commit.message-size': {
    accept: ok((b) => b.forge({ author: b.actors.bob, message: text('x'.repeat(200 * 1024)) })),
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text('x'.repeat(300 * 1024)) })),
    acceptTitle: 'a 200 KiB message',
    rejectTitle: 'a 300 KiB message',
  },
  'history.foreign-root': {
    accept: BOB_TEXT,
    reject: (b) => {
      b.group()
      const main = b.head
      const foreign = b.root(b.actors.alice, 2)
      b.head = main
      return { head: merge(b, [main, foreign]), bad: foreign }
    },
    rejectTitle: 'a merge bringing in the root of another conversation',
  },
  'device.cert-missing': {
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.dave, message: text(), addDevice: false })),
    rejectTitle: 'the author device has no certificate in the tree',
  },
  'device.cert-invalid': {
    accept: BOB_TEXT,
    reject: bad((b) => {
      const { bob } = b.actors
      const fake = { ...bob, deviceId: deviceIdOf(bob.accountCert.publicKey), deviceCertPem: toPem(bob.accountCert.der), deviceKey: bob.accountKey! }
      return b.forge({ author: fake, message: text() })
    }),
    rejectTitle: "bob's account (CA) certificate filed and used as a device",
  },
  'device.key-type': {
    accept: ok((b) => b.forge({ author: b.actors.rita, message: text('RSA device') })),
    reject: asyncOn(async (b) => {
      const ec = await b.ecDevice(b.actors.bob)
      return b.forge({ author: ec.identity, message: text(), addDevice: false, edits: [b.put(devicePath(ec.identity.deviceId), ec.certPem)] })
    }, false),
    acceptTitle: 'an RSA device in an Ed25519 conversation',
    rejectTitle: 'a P-256 device certificate',
  },
  'device.id': {
    accept: BOB_TEXT,
    reject: asyncOn(async (b) => {
      const bob2 = await b.device(b.actors.bob, 'bob2')
      return b.forge({ author: b.actors.bob, message: text(), edits: [b.put(devicePath(b.actors.bob.deviceId), bob2.deviceCertPem)] })
    }, false),
    reference: 'testReplaceWithBadCertificate',
    rejectTitle: "bob's device file replaced by his other device's certificate",
  },
  'device.chain': {
    accept: asyncOn(async (b) => b.forge({ author: await b.device(b.actors.bob, 'bob3'), message: text() }), true),
    reject: asyncOn(async (b) => b.forge({ author: await b.forgedDevice(b.actors.bob, b.actors.dave, 'mallory'), message: text() }), false),
    acceptTitle: "a new device of bob's account writes its first commit",
    rejectTitle: "a device certificate naming bob's account, signed by dave",
  },
  'device.expired': {
    accept: asyncOn(async (b) => {
      const old = await b.device(b.actors.bob, 'bob-old', { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') })
      return b.forge({ author: old, message: text(), time: Date.UTC(2020, 5, 1) / 1000 })
    }, true),
    reject: asyncOn(async (b) => {
      const old = await b.device(b.actors.bob, 'bob-old', { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') })
      return b.forge({ author: old, message: text() })
    }, false),
    acceptTitle: 'a device certificate valid at the commit time (2020)',
    rejectTitle: 'a device certificate expired at the commit time',
  },
  'device.revoked': { accept: revoked('before'), reject: revoked('after'), acceptTitle: 'a revoked device writing before its revocation date', rejectTitle: 'a revoked device writing after its revocation date' },
  'author.account-cert': {
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text(), edits: [b.put(memberPath(b.actors.bob.uri), 'garbage')] })),
    rejectTitle: "bob overwrites his member certificate with garbage",
  },
  'author.not-member': {
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.dave, message: text() })),
    reference: 'testCommitUnauthorizedUser',
    rejectTitle: 'a stranger adds their device and writes',
  },
  'signature.invalid': {
    jamiAcceptsInvalid: false,
    accept: BOB_TEXT,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text('original'), tamper: (raw) => Buffer.from(raw.toString().replace('original', 'modified')) })),
    reference: 'testInvalidSignatureForCommit',
    rejectTitle: 'the message altered after signing',
  },
  'initial.mode': {
    accept: rootOnly((b) => b.root(b.actors.alice, 3), true),
    reject: rootOnly((b) => b.root(b.actors.alice, 4), false),
    reference: 'testUnknownModeDetected',
    acceptTitle: 'a public (mode 3) conversation',
    rejectTitle: 'mode 4 (collaborative document) is not supported',
  },
  'initial.files': {
    accept: rootOnly((b) => b.root(b.actors.alice, 2), true),
    reject: rootOnly((b) => b.root(b.actors.alice, 2, undefined, [b.put('BADFILE', 'x')]), false),
    reference: 'testNoBadFileInInitialCommit',
    rejectTitle: 'a root commit with an extra file',
  },
  'initial.invited': {
    accept: rootOnly((b) => b.root(b.actors.alice, 0, b.actors.bob.uri), true),
    reject: rootOnly((b) => b.root(b.actors.alice, 2, b.actors.bob.uri), false),
    acceptTitle: 'a one-to-one root inviting bob',
    rejectTitle: 'a group root naming an invited member',
  },
  'files.unexpected': {
    accept: asyncOn(async (b) => b.forge({ author: await b.device(b.actors.bob, 'bob4'), message: text('first commit of a new device') }), true),
    reject: bad((b) => b.forge({ author: b.actors.bob, message: text(), edits: [b.put('BADFILE', 'x')] })),
    reference: 'testPlainTextNoBadFile',
    acceptTitle: 'a new device adds its certificate with its first message',
    rejectTitle: 'a text message adding BADFILE',
  },
  'files.deleted': {
    jamiAcceptsInvalid: false,
    accept: asyncOn(async (b) => b.forge({ author: b.actors.alice, message: text(), edits: [b.put(crlPath(b.actors.alice.uri), await b.crl(b.actors.alice))] }), true),
    reject: asyncOn(async (b) => {
      const { alice } = b.actors
      b.step({ author: alice, message: text(), edits: [b.put(crlPath(alice.uri), await b.crl(alice))] })
      return b.forge({ author: alice, message: text(), edits: [b.remove(crlPath(alice.uri))] })
    }, false),
    acceptTitle: 'alice publishes her CRL',
    rejectTitle: 'alice deletes her CRL in a message commit',
    jamiAcceptsValid: false,
  },
  'crl.invalid': {
    jamiAcceptsInvalid: false,
    accept: asyncOn(async (b) => b.forge({ author: b.actors.alice, message: text(), edits: [b.put(crlPath(b.actors.alice.uri), await b.crl(b.actors.alice))] }), true),
    reject: bad((b) => b.forge({ author: b.actors.alice, message: text(), edits: [b.put(crlPath(b.actors.alice.uri), 'not a CRL')] })),
    acceptTitle: 'a CRL signed by the account',
    rejectTitle: 'a CRL file that is not a CRL',
    jamiAcceptsValid: false,
  },
  'member.uri': {
    accept: DAVE_INVITED,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: memberMessage('add', 'joinGarbage'), edits: [b.empty(invitedPath('joinGarbage'))] })),
    reference: 'testMalformedCommit',
    rejectTitle: 'an add of "joinGarbage"',
  },
  'member.action': {
    accept: DAVE_INVITED,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: { action: 'promote', type: 'member', uri: b.actors.bob.uri } })),
    rejectTitle: 'an unknown member action',
  },
  'add.one-to-one': { accept: oneToOne('bob', true), reject: oneToOne('carol', false), reference: 'testOneToOneFetchWithNewMemberRefused', acceptTitle: 'a 1:1 re-adds the member who left', rejectTitle: 'a third member added to a 1:1' },
  'add.self': {
    accept: ok((b) => b.forge({ author: b.actors.bob, message: memberMessage('add', b.actors.dave.uri), edits: [b.empty(invitedPath(b.actors.dave.uri))] })),
    reject: bad((b) => b.forge({ author: b.actors.bob, message: memberMessage('add', b.actors.bob.uri), edits: [b.empty(invitedPath(b.actors.bob.uri))] })),
    acceptTitle: 'a member (not admin) invites dave',
    rejectTitle: 'bob adds himself',
  },
  'add.not-admin': { accept: adminInvitesOnly('alice', true), reject: adminInvitesOnly('bob', false), acceptTitle: 'admin-invites-only: the admin invites', rejectTitle: 'admin-invites-only: a member invites' },
  'add.files': {
    accept: DAVE_INVITED,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: memberMessage('add', b.actors.dave.uri), edits: [b.put(invitedPath(b.actors.dave.uri), 'not empty')] })),
    reference: 'testMemberAddedNoBadFile',
    rejectTitle: 'an invitation file that is not empty',
  },
  'add.target': {
    accept: DAVE_INVITED,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: memberMessage('add', b.actors.bob.uri), edits: [b.empty(invitedPath(b.actors.bob.uri))] })),
    rejectTitle: 'inviting someone already a member',
  },
  'join.files': { accept: CAROL_JOINS, reject: bad((b) => carolJoins(b, [b.put('BADFILE', 'x')])), reference: 'testMemberJoinsNoBadFile', rejectTitle: 'a join adding BADFILE' },
  'join.not-invited': {
    accept: CAROL_JOINS,
    reject: bad((b) => b.forge({ author: b.actors.dave, message: memberMessage('join', b.actors.dave.uri), edits: [b.put(memberPath(b.actors.dave.uri), b.actors.dave.accountChainPem)] })),
    reference: 'testInvalidJoin',
    rejectTitle: 'a join without an invitation',
  },
  'join.device': {
    accept: CAROL_JOINS,
    reject: bad((b) => {
      const { bob, carol } = b.actors
      return b.forge({ author: bob, message: memberMessage('join', carol.uri), edits: [b.remove(invitedPath(carol.uri)), b.put(memberPath(carol.uri), carol.accountChainPem)] })
    }),
    rejectTitle: "bob's device writes carol's join",
  },
  'vote.files': { accept: ALICE_VOTES, reject: bad((b) => vote(b, b.actors.alice, 'members', b.actors.bob.uri, [b.put('BADFILE', 'x')])), reference: 'testVoteNoBadFile', rejectTitle: 'a vote adding BADFILE' },
  'vote.not-admin': { accept: ALICE_VOTES, reject: bad((b) => vote(b, b.actors.bob, 'members', b.actors.rita.uri)), rejectTitle: 'a member votes' },
  'vote.path': {
    accept: ALICE_VOTES,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: voteMessage(b.actors.bob.uri), edits: [b.put(`votes/members/${b.actors.bob.uri}`, '')] })),
    reference: 'testVoteNonEmpty',
    rejectTitle: 'a vote at votes/members/<uri>',
  },
  'vote.voter': {
    accept: ALICE_VOTES,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: voteMessage(b.actors.bob.uri), edits: [b.empty(votePath('ban', 'members', b.actors.bob.uri, b.actors.rita.uri))] })),
    rejectTitle: "alice files a vote in rita's name",
  },
  'vote.file': {
    accept: ALICE_VOTES,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: voteMessage(b.actors.bob.uri), edits: [b.put(votePath('ban', 'members', b.actors.bob.uri, b.actors.alice.uri), 'yes')] })),
    rejectTitle: 'a vote file with content',
  },
  'vote.target': { accept: ok((b) => vote(b, b.actors.alice, 'invited', b.actors.carol.uri)), reject: bad((b) => vote(b, b.actors.alice, 'members', b.actors.dave.uri)), acceptTitle: 'a vote to ban an invited account', rejectTitle: 'a vote to ban someone not in the conversation', jamiAcceptsInvalid: false },
  'remove.not-self': { accept: BOB_LEAVES, reject: bad((b) => b.forge({ author: b.actors.alice, message: memberMessage('remove', b.actors.bob.uri), edits: [b.remove(memberPath(b.actors.bob.uri))] })), acceptTitle: 'bob leaves', rejectTitle: "alice writes bob's leave" },
  'remove.files': {
    jamiAcceptsInvalid: false,
    accept: ok((b) => b.forge({ author: b.actors.bob, message: memberMessage('remove', b.actors.bob.uri), edits: [b.remove(memberPath(b.actors.bob.uri))], addDevice: false })),
    reject: bad((b) => b.forge({ author: b.actors.bob, message: memberMessage('remove', b.actors.bob.uri), edits: [b.remove(memberPath(b.actors.bob.uri)), b.remove('profile.vcf')], addDevice: false })),
    acceptTitle: 'bob leaves, keeping his device certificate',
    rejectTitle: "bob's leave also deletes profile.vcf",
  },
  'remove.not-deleted': {
    accept: BOB_LEAVES,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: memberMessage('remove', b.actors.bob.uri), edits: [b.remove(memberPath(b.actors.bob.uri)), b.put(crlPath(b.actors.bob.uri), 'x')], addDevice: false })),
    rejectTitle: "bob's leave adds a file",
  },
  'resolution.not-admin': { accept: ALICE_BANS_BOB, reject: bad((b) => banBob(b, 'rita')), acceptTitle: 'alice votes and bans bob', rejectTitle: 'rita (a member) writes the ban alice voted for' },
  'resolution.files': { accept: ALICE_BANS_BOB, reject: bad((b) => banBob(b, 'alice', [b.put('BADFILE', 'x')])), reference: 'testMemberBanNoBadFile', rejectTitle: 'a ban adding BADFILE' },
  'resolution.move': {
    jamiAcceptsInvalid: false,
    accept: ALICE_BANS_BOB,
    reject: bad((b) => {
      const { alice, bob } = b.actors
      b.step({ author: alice, message: voteMessage(bob.uri), edits: [b.empty(votePath('ban', 'members', bob.uri, alice.uri))] })
      return b.forge({ author: alice, message: memberMessage('ban', bob.uri), edits: [b.remove(votePath('ban', 'members', bob.uri, alice.uri))] })
    }),
    rejectTitle: 'a ban that consumes the vote but moves nobody',
  },
  'resolution.quorum': {
    jamiAcceptsInvalid: false,
    accept: ALICE_BANS_BOB,
    reject: bad((b) => b.forge({ author: b.actors.alice, message: memberMessage('ban', b.actors.bob.uri), edits: b.banEdits(b.actors.bob, 'members', undefined) })),
    reference: 'testCheckAdminFakeAVoteIsDetected',
    rejectTitle: 'an admin bans without any vote',
  },
  'profile.not-admin': {
    accept: PROFILE_BY_ADMIN,
    reject: bad((b) => b.forge({ author: b.actors.bob, message: updateProfileMessage(), edits: [b.put('profile.vcf', serializeProfile({ title: 'mine' }))] })),
    reference: 'testFetchProfileUnauthorized',
    rejectTitle: 'a member updates the profile',
  },
  'profile.files': { accept: PROFILE_BY_ADMIN, reject: bad((b) => b.forge({ author: b.actors.alice, message: updateProfileMessage(), edits: [b.remove('profile.vcf')] })), rejectTitle: 'a profile update deleting profile.vcf', jamiAcceptsInvalid: false },
  'profile.content': {
    accept: ok((b) => b.forge({ author: b.actors.alice, message: updateProfileMessage(), edits: [b.put('profile.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:crlf\r\nEND:VCARD\r\n')] })),
    reject: bad((b) => b.forge({ author: b.actors.alice, message: updateProfileMessage(), edits: [b.put('profile.vcf', '<html>not a vcard</html>')] })),
    acceptTitle: 'a CRLF vCard 3.0 profile',
    rejectTitle: 'a profile that is not a vCard',
  },
  'edit.target': { accept: EDIT_OWN, reject: bad((b) => b.forge({ author: b.actors.alice, message: editMessage('edit of nothing', 'cd'.repeat(20)) })), acceptTitle: 'alice edits her message', rejectTitle: 'an edit of a commit that does not exist', jamiAcceptsInvalid: false },
  'edit.not-author': { accept: EDIT_OWN, reject: bad((b, hello) => b.forge({ author: b.actors.bob, message: editMessage('I edit alice', hello) })), rejectTitle: "bob edits alice's message" },
  'edit.target-type': {
    accept: ok((b, hello) => {
      const reaction = b.step({ author: b.actors.alice, message: reactionMessage('👍', hello) })
      return b.forge({ author: b.actors.alice, message: editMessage('', reaction) })
    }),
    reject: (b) => {
      b.group()
      const id = b.forge({ author: b.actors.alice, message: editMessage('edit the root', b.rootId) })
      return { head: id, bad: id }
    },
    reference: 'testMessageEdition',
    acceptTitle: 'alice removes her reaction (an empty edit)',
    rejectTitle: 'an edit of the initial commit',
  },
  'edit.files': { accept: EDIT_OWN, reject: bad((b, hello) => b.forge({ author: b.actors.alice, message: editMessage('hello, edited', hello), edits: [b.put('BADFILE', 'x')] })), rejectTitle: 'an edit adding BADFILE (gap G1)' },
  'merge.parents': {
    accept: GOOD_MERGE,
    reject: bad((b) => merge(b, [b.forge({ author: b.actors.bob, message: text('b') }), b.forge({ author: b.actors.rita, message: text('r') }), b.forge({ author: b.actors.alice, message: text('a') })])),
    reference: 'testMerge',
    acceptTitle: 'a merge of two concurrent messages',
    rejectTitle: 'a commit with three parents',
  },
  'merge.content': {
    accept: GOOD_MERGE,
    reject: bad((b) => merge(b, [b.forge({ author: b.actors.bob, message: text('b') }), b.forge({ author: b.actors.rita, message: text('r') })], [b.put('invalidBobFile.txt', 'x')])),
    reference: 'testMergeWithInvalidFile',
    rejectTitle: 'a merge bringing a file neither side has',
  },
}

/** Two cases per rule: `rule-<id>-accepted` and `rule-<id>-rejected`. */
export function ruleCases(): CaseDefinition[] {
  return RULE_IDS.flatMap((rule) => {
    const c = RULE_CASES[rule]
    const info = RULES[rule] as { deviation?: string; ref: string }
    const reference = c.reference ?? `rule ${rule} (${info.ref})`
    return [
      { id: `rule-${rule}-accepted`, title: c.acceptTitle ?? `accepted under ${rule}`, reference, rule, valid: true, jamiAccepts: c.jamiAcceptsValid ?? true, build: c.accept },
      {
        id: `rule-${rule}-rejected`,
        title: c.rejectTitle ?? `rejected by ${rule}`,
        reference,
        rule,
        valid: false,
        jamiAccepts: c.jamiAcceptsInvalid ?? info.deviation === 'strict',
        build: c.reject,
      },
    ]
  })
}
