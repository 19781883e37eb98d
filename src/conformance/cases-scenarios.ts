/**
 * Scenarios beyond one rule at a time: Jami's own conformance tests (reference §8), whole
 * accepted histories, fetch batches where the k-th new commit is bad, partitions and their
 * merges, and the repositories written by the real Jami daemon.
 * @module
 */
import { parseCommit } from '../git/object-codec.js'
import { diffTrees, editTree } from '../git/tree.js'
import { callHistoryMessage, dataTransferMessage, editMessage, fileDeletedMessage, memberMessage, reactionMessage, textMessage, updateProfileMessage, voteMessage } from '../swarm/messages.js'
import { serializeProfile } from '../swarm/profile.js'
import { bannedPath, crlPath, devicePath, invitedPath, memberPath, votePath } from '../validation/paths.js'
import type { DeviceIdentity } from '../identity/identity.js'
import type { Builder, BuildResult } from './builder.js'
import type { CaseDefinition } from './case.js'

const text = (body: string) => textMessage(body)
const BAD = (b: Builder) => b.put('BADFILE', 'unexpected')

function invalid(head: string, badCommit = head): BuildResult {
  return { head, bad: badCommit }
}

/** Jami's "must reject" unit tests (reference §8.11) not already a rule case. */
const JAMI_REJECTS: CaseDefinition[] = [
  {
    id: 'jami-testMemberAddedNoBadFile',
    title: 'an add that also adds BADFILE',
    reference: 'testMemberAddedNoBadFile',
    rule: 'add.files',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.alice, message: memberMessage('add', b.actors.dave.uri), edits: [b.empty(invitedPath(b.actors.dave.uri)), BAD(b)] }))),
  },
  {
    id: 'jami-testUpdateProfileWithBadFile',
    title: 'a profile update that also adds BADFILE',
    reference: 'testUpdateProfileWithBadFile',
    rule: 'profile.files',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.alice, message: updateProfileMessage(), edits: [b.put('profile.vcf', serializeProfile({ title: 'x' })), BAD(b)] }))),
  },
  {
    id: 'jami-testNoBadCertInInitialCommit',
    title: "a root whose device file holds another account's device certificate",
    reference: 'testNoBadCertInInitialCommit',
    rule: 'device.id',
    valid: false,
    jamiAccepts: false,
    build: (b) => {
      const { alice, bob } = b.actors
      return invalid(b.root(alice, 2, undefined, [b.put(devicePath(alice.deviceId), bob.deviceCertPem)]))
    },
  },
  {
    id: 'jami-testMemberCannotBanOther',
    title: 'a member writes a ban nobody voted for',
    reference: 'testMemberCannotBanOther',
    rule: 'resolution.not-admin',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.rita, message: memberMessage('ban', b.actors.bob.uri), edits: b.banEdits(b.actors.bob, 'members', undefined) }))),
  },
  {
    id: 'jami-testMemberAddedNoCertificate',
    title: 'a join that removes the invitation but adds no member certificate',
    reference: 'testMemberAddedNoCertificate',
    rule: 'author.not-member',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.carol, message: memberMessage('join', b.actors.carol.uri), edits: [b.remove(invitedPath(b.actors.carol.uri))] }))),
  },
  {
    id: 'jami-testMemberJoinsInviteRemoved',
    title: 'a join that adds the member certificate but keeps the invitation',
    reference: 'testMemberJoinsInviteRemoved',
    rule: 'join.not-invited',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.carol, message: memberMessage('join', b.actors.carol.uri), edits: [b.put(memberPath(b.actors.carol.uri), b.actors.carol.accountChainPem)] }))),
  },
  {
    id: 'jami-testMalformedCommitUri',
    title: 'an add of "jami:<uri>"',
    reference: 'testMalformedCommitUri',
    rule: 'member.uri',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.alice, message: memberMessage('add', `jami:${b.actors.dave.uri}`), edits: [b.empty(invitedPath(`jami:${b.actors.dave.uri}`))] }))),
  },
  {
    id: 'jami-testMalformedCommit-join',
    title: 'a member writes a join of "joinGarbage"',
    reference: 'testMalformedCommit',
    rule: 'member.uri',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.bob, message: memberMessage('join', 'joinGarbage'), edits: [] }))),
  },
  {
    id: 'jami-testUnknownModeDetected',
    title: 'a root with mode 5',
    reference: 'testUnknownModeDetected',
    rule: 'initial.mode',
    valid: false,
    jamiAccepts: false,
    build: (b) => invalid(b.root(b.actors.alice, 5)),
  },
  {
    id: 'jami-testInvalidFile',
    title: 'a commit of type "other" adding invalidFile.txt',
    reference: 'testInvalidFile',
    rule: 'files.unexpected',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.bob, message: { type: 'other' }, edits: [b.put('invalidFile.txt', 'x')] }))),
  },
  {
    id: 'jami-testETooBigFetch',
    title: 'a message adding a large (1 MiB) file',
    reference: 'testETooBigFetch',
    rule: 'files.unexpected',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.bob, message: text('big'), edits: [b.put('BADFILE', 'A'.repeat(1 << 20))] }))),
  },
  {
    id: 'jami-testInvalidSignatureForCommit',
    title: "a commit naming alice's device as author, signed by bob",
    reference: 'testInvalidSignatureForCommit',
    rule: 'signature.invalid',
    valid: false,
    jamiAccepts: false,
    build: (b) => (b.group(), invalid(b.forge({ author: b.actors.alice, signer: b.actors.bob, message: text('not alice') }))),
  },
  {
    id: 'jami-testBannedMemberCannotSendMessage',
    title: 'bob writes after his ban',
    reference: 'testBannedMemberCannotSendMessage',
    rule: 'author.not-member',
    valid: false,
    jamiAccepts: false,
    build: (b) => {
      b.group()
      b.ban(b.actors.bob)
      return invalid(b.forge({ author: b.actors.bob, message: text('still here?') }))
    },
  },
  {
    id: 'jami-testMemberCannotUnBanOther',
    title: 'a member votes to unban a banned member',
    reference: 'testMemberCannotUnBanOther',
    rule: 'vote.not-admin',
    valid: false,
    jamiAccepts: false,
    build: (b) => {
      b.group()
      b.ban(b.actors.bob)
      const { rita, bob } = b.actors
      return invalid(b.forge({ author: rita, message: voteMessage(bob.uri), edits: [b.empty(votePath('unban', 'members', bob.uri, rita.uri))] }))
    },
  },
]

/** Whole histories every implementation must accept. */
const ACCEPTED: CaseDefinition[] = [
  {
    id: 'history-tour',
    title: 'every message kind: replies, edits, reactions and their removal, deletion, files, calls',
    reference: 'testAddSomeMessages, testMessageEdition, testDeleteFile, testActiveCalls',
    valid: true,
    jamiAccepts: true,
    build: (b) => {
      const { alice, bob, rita } = b.actors
      const { hello } = b.group()
      const reply = b.step({ author: bob, message: textMessage('reply', hello) })
      b.step({ author: bob, message: editMessage('reply, edited', reply) })
      b.step({ author: bob, message: editMessage('reply, edited twice', reply) })
      const r = b.step({ author: rita, message: reactionMessage('👍', hello) })
      b.step({ author: rita, message: editMessage('', r) })
      const gone = b.say(alice, 'to be deleted')
      b.step({ author: alice, message: editMessage('', gone) })
      const file = b.step({ author: bob, message: dataTransferMessage({ displayName: 'photo.png', sha3sum: 'a'.repeat(128), tid: '6147910008623250', totalSize: 581, replyTo: hello }) })
      b.step({ author: bob, message: fileDeletedMessage(file) })
      b.step({ author: alice, message: callHistoryMessage({ to: bob.uri, duration: 42_000 }) })
      b.step({ author: alice, message: callHistoryMessage({ confId: '6342183642926168', device: alice.deviceId, uri: alice.uri }) })
      return { head: b.say(rita, 'end of tour') }
    },
  },
  {
    id: 'history-ban-unban-rejoin',
    title: 'bob is banned, unbanned by vote, and writes again',
    reference: 'testAdminCanReAddMember',
    valid: true,
    jamiAccepts: true,
    build: (b) => {
      const { alice, bob } = b.actors
      b.group()
      b.ban(bob)
      b.step({ author: alice, message: voteMessage(bob.uri), edits: [b.empty(votePath('unban', 'members', bob.uri, alice.uri))] })
      const banned = b.blobAt(bannedPath('members', bob.uri))!
      b.step({
        author: alice,
        message: memberMessage('unban', bob.uri),
        edits: [b.remove(bannedPath('members', bob.uri)), { path: memberPath(bob.uri), oid: banned }, b.remove(votePath('unban', 'members', bob.uri, alice.uri))],
      })
      return { head: b.say(bob, 'back') }
    },
  },
  {
    id: 'history-ban-invited',
    title: 'an invited account is banned before joining',
    reference: 'testBanUnbanMultiDevice',
    valid: true,
    jamiAccepts: true,
    build: (b) => (b.group(), b.ban(b.actors.carol, 'invited'), { head: b.say(b.actors.alice, 'carol is out') }),
  },
  {
    id: 'history-leave-reinvite',
    title: 'bob leaves, is invited again and joins again',
    reference: 'testRemoveConversationNoMember',
    valid: true,
    jamiAccepts: true,
    build: (b) => {
      const { alice, bob } = b.actors
      b.group()
      b.step({ author: bob, message: memberMessage('remove', bob.uri), edits: [b.remove(memberPath(bob.uri)), b.remove(devicePath(bob.deviceId))], addDevice: false })
      b.add(alice, bob)
      b.join(bob)
      return { head: b.say(bob, 'hello again') }
    },
  },
  {
    id: 'history-one-to-one',
    title: 'a one-to-one conversation: created, joined, talked in',
    reference: 'testAddContact',
    valid: true,
    jamiAccepts: true,
    build: (b) => {
      const { alice, bob } = b.actors
      b.root(alice, 0, bob.uri)
      b.join(bob)
      b.say(alice, 'hi bob')
      return { head: b.say(bob, 'hi alice') }
    },
  },
  {
    id: 'history-device-ban',
    title: "alice bans one of bob's devices; bob's other device goes on writing",
    reference: 'testSplitMemberAndDeviceBanStatus',
    valid: true,
    jamiAccepts: true,
    build: async (b) => {
      const { alice, bob } = b.actors
      b.group()
      const bob2 = await b.device(bob, 'bob-second')
      b.say(bob2, 'from my second device')
      banDevice(b, alice, bob2)
      return { head: b.say(bob, 'my first device still works') }
    },
  },
  {
    id: 'history-banned-device-writes',
    title: 'a banned device writes after its ban',
    reference: 'testSplitMemberAndDeviceBanStatus',
    rule: 'device.cert-missing',
    valid: false,
    jamiAccepts: false,
    build: async (b) => {
      const { alice, bob } = b.actors
      b.group()
      const bob2 = await b.device(bob, 'bob-second')
      b.say(bob2, 'from my second device')
      banDevice(b, alice, bob2)
      return invalid(b.forge({ author: bob2, message: text('am I banned?'), addDevice: false }))
    },
  },
]

/** `admin` bans `device` alone, as the only admin: the vote, then its resolution. */
function banDevice(b: Builder, admin: DeviceIdentity, device: DeviceIdentity): void {
  const vote = votePath('ban', 'devices', device.deviceId, admin.uri)
  b.step({ author: admin, message: voteMessage(device.deviceId), edits: [b.empty(vote)] })
  b.step({
    author: admin,
    message: memberMessage('ban', device.deviceId),
    edits: [b.remove(devicePath(device.deviceId)), { path: bannedPath('devices', device.deviceId), oid: b.blobAt(devicePath(device.deviceId))! }, b.remove(vote)],
  })
}

/** A fetch of five new commits on top of a trusted base where the k-th is bad (k = 0: none). */
function batch(k: number): CaseDefinition {
  return {
    id: k === 0 ? 'fetch-batch-all-good' : `fetch-batch-bad-${k}-of-5`,
    title: k === 0 ? 'a fetch of five valid commits on top of a trusted base' : `a fetch of five commits whose commit ${k} adds BADFILE; the whole batch is rejected there`,
    reference: '§4.1 V7 (validFetch, oldest → newest)',
    rule: k === 0 ? undefined : 'files.unexpected',
    valid: k === 0,
    jamiAccepts: k === 0,
    build: (b) => {
      const { alice, bob, rita } = b.actors
      b.group()
      const base = b.head
      let bad: string | undefined
      for (let i = 1; i <= 5; i++) {
        const who = [alice, bob, rita][i % 3]!
        const id = b.step({ author: who, message: text(`new commit ${i}`), edits: i === k ? [BAD(b)] : [] })
        if (i === k) bad = id
      }
      return bad ? { head: b.head, base, bad } : { head: b.head, base }
    },
  }
}

const BATCHES: CaseDefinition[] = [
  ...[0, 1, 2, 3, 4, 5].map(batch),
  {
    id: 'fetch-bad-commit-already-trusted',
    title: 'a bad commit inside the trusted base is not re-judged; the new commits are valid',
    reference: '§4.1 V7 (only commits after the base are validated)',
    valid: true,
    jamiAccepts: true,
    build: (b) => {
      b.group()
      b.step({ author: b.actors.bob, message: text('old, with a bad file'), edits: [BAD(b)] })
      const base = b.head
      b.say(b.actors.alice, 'new 1')
      return { head: b.say(b.actors.bob, 'new 2'), base }
    },
  },
  revokedBehindBase(false),
  revokedBehindBase(true),
]

/**
 * A device revoked by a CRL the receiver already holds (the trusted base) writes on an older
 * parent, whose tree lacks the CRL: dated after its revocation it is refused all the same —
 * a revoked device cannot slip past its revocation by building on old history.
 */
function revokedBehindBase(before: boolean): CaseDefinition {
  return {
    id: before ? 'revoked-device-old-parent-before-revocation' : 'revoked-device-old-parent-after-revocation',
    title: before ? 'a revoked device’s commit on a parent older than the CRL, dated before its revocation' : 'a revoked device’s commit on a parent older than the CRL the receiver holds, dated after its revocation',
    reference: '§1 CRLs note (device.revoked, with the receiver’s revocations)',
    ...(before ? {} : { rule: 'device.revoked' as const }),
    valid: before,
    jamiAccepts: true,
    build: async (b) => {
      const { alice, bob } = b.actors
      b.group()
      const alice2 = await b.device(alice, 'alice2')
      b.say(alice2, 'alice2 was here')
      const at = b.tick() + 600
      const crl = await b.crl(alice, alice2, new Date(at * 1000))
      // The receiver's side holds the CRL (the base); alice2's side writes on the older head; bob merges both.
      let base = ''
      let late = ''
      const head = partition(
        b,
        (b) => (base = b.step({ author: alice, message: text('revoking alice2'), edits: [b.put(crlPath(alice.uri), crl)] })),
        (b) => (late = b.step({ author: alice2, message: text(before ? 'written before' : 'written after'), time: before ? at - 60 : at + 60 })),
        bob,
      )
      return before ? { head, base } : { head, base, bad: late }
    },
  }
}

/** Two partitions growing from the same commit, then merged by `merger`. */
function partition(b: Builder, left: (b: Builder) => void, right: (b: Builder) => void, merger = b.actors.alice): string {
  const fork = b.head
  left(b)
  const a = b.head
  b.head = fork
  right(b)
  const c = b.head
  b.head = a
  return b.step({ author: merger, parents: [a, c], message: `Merge commit '${c}'`, tree: mergedTree(b, fork, a, c) })
}

function treeOf(b: Builder, commit: string): string {
  return parseCommit(b.repo.objects.read(commit, 'commit').content).tree
}

/** A three-way merge of trees: `a` plus what `c` changed since `fork` (the sides must not overlap). */
function mergedTree(b: Builder, fork: string, a: string, c: string): string {
  const store = b.repo.objects
  const theirs = diffTrees(store, treeOf(b, fork), treeOf(b, c)).map((ch) => ({ path: ch.path, oid: ch.newOid ?? null }))
  return editTree(store, treeOf(b, a), theirs)
}

const PARTITIONS: CaseDefinition[] = [
  {
    id: 'partition-messages-merged',
    title: 'two partitions write messages; alice merges them',
    reference: 'testMerge, testFFMerge (§4.13 M5-M6)',
    valid: true,
    jamiAccepts: true,
    build: (b) => (b.group(), { head: partition(b, (x) => (x.say(x.actors.alice, 'left 1'), x.say(x.actors.rita, 'left 2')), (x) => x.say(x.actors.bob, 'right 1')) }),
  },
  {
    id: 'partition-profile-conflict',
    title: 'both partitions edit profile.vcf; the merge keeps the side with the larger commit id',
    reference: 'testMergeProfileWithConflict (§4.13 M5)',
    valid: true,
    jamiAccepts: true,
    build: (b) => {
      const { alice } = b.actors
      b.group()
      const fork = b.head
      const left = b.step({ author: alice, message: updateProfileMessage(), edits: [b.put('profile.vcf', serializeProfile({ title: 'left' }))] })
      b.head = fork
      const right = b.step({ author: alice, message: updateProfileMessage(), edits: [b.put('profile.vcf', serializeProfile({ title: 'right' }))] })
      const [ours, theirs] = [left, right]
      const winner = theirs > ours ? theirs : ours
      const tree = treeOf(b, winner)
      b.head = ours
      return { head: b.step({ author: alice, parents: [ours, theirs], message: `Merge commit '${theirs}'`, tree }) }
    },
  },
  {
    id: 'partition-ban-and-concurrent-message',
    title: 'alice bans bob in one partition while bob writes in the other; the merge is valid',
    reference: 'convergence: a commit concurrent with a ban is not after it',
    valid: true,
    jamiAccepts: true,
    build: (b) => (b.group(), { head: partition(b, (x) => void x.ban(x.actors.bob), (x) => x.say(x.actors.bob, 'written before I knew')) }),
  },
  {
    id: 'partition-ban-then-write-after-merge',
    title: 'after the ban is merged, bob writes on top of the merge',
    reference: 'testBannedMemberCannotSendMessage',
    rule: 'author.not-member',
    valid: false,
    jamiAccepts: false,
    build: (b) => {
      b.group()
      partition(b, (x) => void x.ban(x.actors.bob), (x) => x.say(x.actors.rita, 'meanwhile'))
      return invalid(b.forge({ author: b.actors.bob, message: text('after the merge') }))
    },
  },
  {
    id: 'partition-merge-by-banned-member',
    title: 'bob, banned in one partition, writes the merge of both (the ban removed his device certificate)',
    reference: '§4.1 V6 (the merge author must be a member at the merge)',
    rule: 'device.cert-missing',
    valid: false,
    jamiAccepts: false,
    build: (b) => {
      b.group()
      const merge = partition(b, (x) => void x.ban(x.actors.bob), (x) => x.say(x.actors.bob, 'mine'), b.actors.bob)
      return invalid(merge)
    },
  },
  {
    id: 'partition-evil-merge-drops-a-member',
    title: "a merge whose tree drops rita's member certificate (differs from both parents)",
    reference: 'testMergeWithInvalidFile (§4.11)',
    rule: 'merge.content',
    valid: false,
    jamiAccepts: false,
    build: (b) => {
      const { alice, bob, rita } = b.actors
      b.group()
      const fork = b.head
      const l = b.say(alice, 'left')
      b.head = fork
      const r = b.say(bob, 'right')
      b.head = l
      return invalid(b.forge({ author: alice, parents: [l, r], message: `Merge commit '${r}'`, edits: [b.remove(memberPath(rita.uri))] }))
    },
  },
  {
    id: 'partition-criss-cross',
    title: 'two partitions merge each other twice (criss-cross), then converge',
    reference: '§4.13 (recursive merges)',
    valid: true,
    jamiAccepts: true,
    build: (b) => {
      const { alice, bob } = b.actors
      b.group()
      const fork = b.head
      const a1 = b.say(alice, 'a1')
      b.head = fork
      const b1 = b.say(bob, 'b1')
      const tree = mergedTree(b, fork, a1, b1)
      const m1 = b.forge({ author: alice, parents: [a1, b1], message: `Merge commit '${b1}'`, tree })
      const m2 = b.forge({ author: bob, parents: [b1, a1], message: `Merge commit '${a1}'`, tree })
      b.head = m1
      return { head: b.step({ author: alice, parents: [m1, m2], message: `Merge commit '${m2}'`, tree }) }
    },
  },
]

/** The repositories written by jami-daemon 13.7 (../shared/fixtures/jami). */
const REAL_JAMI: CaseDefinition[] = [
  { id: 'jami-daemon-solo-alice', title: 'written by jami-daemon: one member, every message kind', reference: 'shared/fixtures/jami/solo-alice.bundle', valid: true, jamiAccepts: true, keyType: 'rsa', bundle: 'solo-alice' },
  { id: 'jami-daemon-group-alice', title: 'written by jami-daemon: three members, merges, a ban', reference: 'shared/fixtures/jami/group-alice.bundle', valid: true, jamiAccepts: true, keyType: 'rsa', bundle: 'group-alice' },
  {
    id: 'jami-daemon-group-alice-fetch',
    title: 'written by jami-daemon: the last 20 commits fetched on top of a trusted base',
    reference: 'shared/fixtures/jami/group-alice.bundle',
    valid: true,
    jamiAccepts: true,
    keyType: 'rsa',
    bundle: 'group-alice',
    bundleBase: '6b68c198a8e6203a3be9905dd6d036e7ef442d46',
  },
  { id: 'jami-daemon-group-alice-nonbare', title: 'the same, as Jami keeps it (non-bare, with a working tree)', reference: 'shared/fixtures/jami/group-alice.bundle', valid: true, jamiAccepts: true, keyType: 'rsa', bundle: 'group-alice', repository: 'non-bare' },
]

export function scenarioCases(): CaseDefinition[] {
  return [...JAMI_REJECTS, ...ACCEPTED, ...BATCHES, ...PARTITIONS, ...REAL_JAMI]
}
