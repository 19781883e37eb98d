/**
 * The catalogue of swarm rules: every id the engine can reject with, what it checks, what
 * Jami does (reference/jami-swarm.md §2.2, §4) and what we do. `strict` marks rules where
 * gitswarm rejects commits that jami-daemon accepts; `lenient` the few it accepts that Jami
 * rejects. docs/rules.md is generated from this table (a test keeps them equal).
 * @module
 */

/** One rule's description. */
export interface RuleInfo {
  /** What the rule requires. */
  what: string
  /** Where the rule comes from in reference/jami-swarm.md. */
  ref: string
  /** jami-daemon's behaviour. */
  jami: string
  /** gitswarm's behaviour (same as Jami unless `deviation` is set). */
  ours: string
  /** 'strict': we reject what Jami accepts; 'lenient': we accept what Jami rejects. */
  deviation?: 'strict' | 'lenient'
}

const SAME = 'Same.'

/** Every validation rule by id: what it checks, where Jami checks it (docs/rules.md is made from it). */
export const RULES = {
  'commit.object': {
    what: 'The commit, its trees and the blobs the rules read exist and decode, and hash to their ids.',
    ref: '§2.3',
    jami: 'libgit2 lookup errors abort validation (some paths crash, G8).',
    ours: 'Rejected with this rule; never a crash.',
    deviation: 'strict',
  },
  'commit.signature-header': {
    what: 'Exactly one `signature` header holding canonical base64.',
    ref: '§4.1 V1',
    jami: 'Rejects a missing header; a duplicated one is not detected.',
    ours: 'Missing, duplicated or non-base64 → rejected.',
    deviation: 'strict',
  },
  'commit.header': {
    what: 'No header other than tree, parent, author, committer, signature.',
    ref: '§2.1',
    jami: 'Extra headers (gpgsig, encoding, …) are ignored.',
    ours: 'Any other header → rejected (it would be covered by the signature, but no swarm writer emits one).',
    deviation: 'strict',
  },
  'commit.author': {
    what: 'author == committer, and the e-mail is a 64-hex device id.',
    ref: '§2.1',
    jami: 'Not checked; the e-mail is only used to find `devices/<email>.crt`.',
    ours: 'Checked.',
    deviation: 'strict',
  },
  'commit.message': {
    what: 'The message of a non-merge commit is a JSON object with a non-empty string `type`.',
    ref: '§4.1 V3',
    jami: '"Malformed commit (empty type)".',
    ours: SAME,
  },
  'commit.message-size': {
    what: 'The commit message is at most `maxMessageBytes` (default 256 KiB).',
    ref: '§4.14 L2',
    jami: 'No limit.',
    ours: 'Larger messages are rejected before being parsed.',
    deviation: 'strict',
  },
  'history.foreign-root': {
    what: 'The only root commit is the conversation root.',
    ref: '§1',
    jami: 'A second root would be checked as an initial commit.',
    ours: 'A root commit other than the conversation id → rejected (unrelated histories never merge).',
    deviation: 'strict',
  },
  'device.cert-missing': {
    what: '`devices/<author device>.crt` exists in the tree the author is checked at.',
    ref: '§2.2 step 1',
    jami: SAME,
    ours: SAME,
  },
  'device.cert-invalid': {
    what: 'The device certificate parses and is not a CA certificate.',
    ref: '§2.2',
    jami: 'Unparsable → invalid; a CA certificate is not refused.',
    ours: 'Unparsable or CA → rejected.',
    deviation: 'strict',
  },
  'device.key-type': {
    what: 'The device key is Ed25519 or RSA.',
    ref: '§0',
    jami: 'RSA only (GnuTLS verify with RSA-SHA512).',
    ours: 'Ed25519 and RSA accepted; any other key type rejected.',
    deviation: 'lenient',
  },
  'device.id': {
    what: 'The author device id equals the SHA-256 of the certificate key found at `devices/<id>.crt` (gap G2).',
    ref: '§4.18 G2',
    jami: 'Not checked.',
    ours: 'Checked.',
    deviation: 'strict',
  },
  'device.chain': {
    what: "The device certificate's issuer UID is the author's account and the account certificate's key signed it (gap G2).",
    ref: '§2.2 steps 2, 6; G2',
    jami: 'Only compares issuer UID with the account id; no signature check.',
    ours: 'Issuer UID and the X.509 signature are both checked.',
    deviation: 'strict',
  },
  'device.expired': {
    what: 'Device and account certificates had not expired at the commit time.',
    ref: '§2.2 step 4',
    jami: SAME,
    ours: SAME,
  },
  'device.revoked': {
    what: "The device is not listed, with a revocation date at or before the commit time, in its account's CRL at `CRLs/<uri>` — of the commit's tree, or of the tree the receiver already trusts (its head, a fetch's base).",
    ref: '§1 CRLs note',
    jami: 'CRLs are never consulted.',
    ours: 'Revoked devices cannot author commits after their revocation date, not even on a parent older than the CRL.',
    deviation: 'strict',
  },
  'author.account-cert': {
    what: "The author's account certificate parses and its key id equals the account URI it is filed under.",
    ref: '§2.2 step 6',
    jami: SAME,
    ours: SAME,
  },
  'author.not-member': {
    what: "The author's account has `admins/<uri>.crt` or `members/<uri>.crt` in the tree it is checked at.",
    ref: '§2.2 step 3',
    jami: SAME,
    ours: SAME,
  },
  'signature.invalid': {
    what: 'The signature verifies with the device key over the commit without its signature header — root commit included (gap G5).',
    ref: '§2.2 step 5; V2; G5',
    jami: 'Verified for every commit except the root.',
    ours: 'Verified for every commit.',
    deviation: 'strict',
  },
  'initial.mode': {
    what: 'The root commit is `{"type":"initial"}` with an integer mode 0–3.',
    ref: '§4.2.2',
    jami: 'Modes 0–4 (4 = collaborative document).',
    ours: 'Mode 4 and anything else → rejected (documents are not supported).',
    deviation: 'strict',
  },
  'initial.files': {
    what: 'The root adds only `admins/<U>.crt`, `devices/<D>.crt`, `CRLs/<U>` and, in 1:1 mode, `invited/<invited>`.',
    ref: '§4.2.3',
    jami: SAME,
    ours: SAME,
  },
  'initial.invited': {
    what: 'A 1:1 root names a valid `invited` URI other than the author and holds the empty `invited/<uri>`; other modes name none.',
    ref: '§4.2.5',
    jami: 'Not checked.',
    ours: 'Checked.',
    deviation: 'strict',
  },
  'files.unexpected': {
    what: "A message commit changes nothing but the author's own device certificate and the renewal of their account certificate.",
    ref: '§4.3',
    jami: SAME,
    ours: 'Same, plus the account may publish its CRL at `CRLs/<U>`.',
    deviation: 'lenient',
  },
  'files.deleted': {
    what: 'Files that may only be added or updated are not deleted (gap G8).',
    ref: '§4.18 G8',
    jami: 'A deletion there crashes or is misread.',
    ours: 'Rejected.',
    deviation: 'strict',
  },
  'crl.invalid': {
    what: "A changed `CRLs/<U>` is a CRL signed by U's account certificate.",
    ref: '§1 CRLs note',
    jami: 'CRL files are whitelisted but never read.',
    ours: 'Checked when changed.',
    deviation: 'strict',
  },
  'member.uri': {
    what: 'A member commit names a valid account URI (40 hex, non-zero; a device id for device bans).',
    ref: '§4.1 V4',
    jami: '"Invalid member URI".',
    ours: SAME,
  },
  'member.action': {
    what: 'A member action is one of add, join, remove, ban, unban.',
    ref: '§4.1 V4',
    jami: SAME,
    ours: SAME,
  },
  'add.one-to-one': {
    what: 'In a 1:1 conversation only the two initial members can be added.',
    ref: '§4.4.1',
    jami: SAME,
    ours: SAME,
  },
  'add.self': {
    what: 'A member cannot add themself.',
    ref: '§4.4.2',
    jami: SAME,
    ours: SAME,
  },
  'add.not-admin': {
    what: 'In ADMIN_INVITES_ONLY mode (1) only admins add members.',
    ref: '§4.16',
    jami: 'Mode 1 is not enforced.',
    ours: 'Enforced.',
    deviation: 'strict',
  },
  'add.files': {
    what: 'An add creates exactly the empty `invited/<uri>` (plus the author device cert, `CRLs/<U>`).',
    ref: '§4.4.3–4',
    jami: SAME,
    ours: SAME,
  },
  'add.target': {
    what: 'The added account is not banned (unban first) and not already a member.',
    ref: '§4.4.5',
    jami: 'Banned members only.',
    ours: 'Banned (any role) or already admin/member → rejected.',
    deviation: 'strict',
  },
  'join.files': {
    what: 'A join only deletes `invited/<uri>`, adds `members/<uri>.crt` and the author device cert.',
    ref: '§4.5.1',
    jami: SAME,
    ours: SAME,
  },
  'join.not-invited': {
    what: 'The joiner was invited in the parent and the invitation is removed.',
    ref: '§4.5.2',
    jami: SAME,
    ours: SAME,
  },
  'join.device': {
    what: 'The joining device belongs to the joiner.',
    ref: '§4.5.4–5',
    jami: SAME,
    ours: SAME,
  },
  'vote.files': {
    what: 'A vote adds one vote file and at most the author device cert.',
    ref: '§4.6.1–2',
    jami: SAME,
    ours: SAME,
  },
  'vote.not-admin': {
    what: 'Only admins vote.',
    ref: '§4.6.3',
    jami: SAME,
    ours: SAME,
  },
  'vote.path': {
    what: 'The vote file is `votes/<ban|unban>/<members|admins|invited|devices>/<target>/<voter>`.',
    ref: '§4.6.4',
    jami: SAME,
    ours: SAME,
  },
  'vote.voter': {
    what: 'The voter segment is the author.',
    ref: '§4.6.4',
    jami: SAME,
    ours: SAME,
  },
  'vote.file': {
    what: 'The vote file is new and empty.',
    ref: '§4.6.5',
    jami: SAME,
    ours: SAME,
  },
  'vote.target': {
    what: 'The target exists in the role voted on (banned for unban), is not the voter, and matches the message `uri`.',
    ref: '§4.6.6–7',
    jami: 'Unban targets and the message uri are not checked.',
    ours: 'Checked.',
    deviation: 'strict',
  },
  'remove.not-self': {
    what: 'A `remove` (leave) is authored by the leaving member (gap G4).',
    ref: '§4.18 G4',
    jami: 'Not checked.',
    ours: 'Checked.',
    deviation: 'strict',
  },
  'remove.files': {
    what: "A leave deletes the member's certificate and touches only their own files and devices.",
    ref: '§4.7',
    jami: 'Touching those files is enough.',
    ours: 'The member certificate must be deleted.',
    deviation: 'strict',
  },
  'remove.not-deleted': {
    what: 'A leave only deletes files (gap: Jami does not check).',
    ref: '§4.7 note',
    jami: 'Not checked.',
    ours: 'Checked.',
    deviation: 'strict',
  },
  'resolution.not-admin': {
    what: 'Only admins resolve ban/unban votes.',
    ref: '§4.8.3',
    jami: SAME,
    ours: SAME,
  },
  'resolution.files': {
    what: "A ban/unban only moves the target between `<type>/` and `banned/<type>/`, consumes that vote's files and drops the target's devices.",
    ref: '§4.8.1–2',
    jami: SAME,
    ours: SAME,
  },
  'resolution.move': {
    what: 'The target is actually moved: ban removes `<type>/<uri>` and adds the same blob under `banned/`, unban the reverse.',
    ref: '§4.8.5',
    jami: 'At least one `banned/` path changes.',
    ours: 'The move itself is checked.',
    deviation: 'strict',
  },
  'resolution.quorum': {
    what: 'More than half of the admins in the parent tree voted (their vote files are consumed) — gap G6.',
    ref: '§4.8.4, §4.8.6, G6',
    jami: 'Validator ≥ 50 % of the admins in its working tree; creator > 50 %.',
    ours: '> 50 % of the admins in the parent tree, for validator and creator alike.',
    deviation: 'strict',
  },
  'profile.not-admin': {
    what: 'Only admins update the profile.',
    ref: '§4.9.1',
    jami: SAME,
    ours: SAME,
  },
  'profile.files': {
    what: 'A profile update adds or modifies `profile.vcf` (and at most the author device cert).',
    ref: '§4.9.2',
    jami: 'Deleting profile.vcf is not refused cleanly (G8).',
    ours: 'Deletion rejected.',
    deviation: 'strict',
  },
  'profile.content': {
    what: '`profile.vcf` is a vCard (BEGIN:VCARD … END:VCARD) of at most `maxProfileBytes` (default 8 MiB).',
    ref: '§1.3',
    jami: 'Content not checked.',
    ours: 'Checked.',
    deviation: 'strict',
  },
  'edit.target': {
    what: 'The edited commit exists and is an ancestor of the edit.',
    ref: '§4.10.1',
    jami: 'Must exist locally.',
    ours: 'Must be in the edit’s own history (same verdict on every device).',
    deviation: 'strict',
  },
  'edit.not-author': {
    what: 'Only the author of a message edits, deletes or un-reacts it.',
    ref: '§4.10.2',
    jami: SAME,
    ours: SAME,
  },
  'edit.target-type': {
    what: 'The edited commit is a text message (incl. edits and reactions) or a file announcement with a tid.',
    ref: '§4.10.3',
    jami: SAME,
    ours: SAME,
  },
  'edit.files': {
    what: 'Edit commits obey the message-commit file rule (gap G1).',
    ref: '§4.18 G1',
    jami: 'No file rule for edits.',
    ours: 'Same file rule as any message.',
    deviation: 'strict',
  },
  'merge.parents': {
    what: 'A commit has at most two parents.',
    ref: '§4.11.1',
    jami: SAME,
    ours: SAME,
  },
  'merge.content': {
    what: 'No path in a merge differs from both parents (no "evil merge" content).',
    ref: '§4.11.2',
    jami: SAME,
    ours: SAME,
  },
} as const satisfies Record<string, RuleInfo>

/** A stable rule id, as rejections carry it. */
export type RuleId = keyof typeof RULES

/** Every rule id. */
export const RULE_IDS = Object.keys(RULES) as RuleId[]

export function isRuleId(value: unknown): value is RuleId {
  return typeof value === 'string' && Object.hasOwn(RULES, value)
}
