/**
 * docs/rules.md, docs/errors.md, docs/cli.md and docs/daemon-api.md are generated from the code
 * (the rule catalogue, the error classes, the commands' usage and exit codes, the daemon API), so they cannot drift;
 * `npm run docs` rewrites them and a test compares.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EXIT_CODES, USAGE } from './cli/main.js'
import { renderDaemonApiDoc } from './daemon/doc.js'
import { ERROR_CLASSES } from './errors.js'
import { RULES, RULE_IDS } from './validation/rules.js'

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function renderRulesDoc(): string {
  const rows = RULE_IDS.map((id) => {
    const r = RULES[id] as (typeof RULES)[typeof id] & { deviation?: string }
    const mark = r.deviation === 'strict' ? ' **(stricter)**' : r.deviation === 'lenient' ? ' **(more lenient)**' : ''
    return `| \`${id}\` | ${cell(r.what)} | ${cell(r.ref)} | ${cell(r.jami)} | ${cell(r.ours)}${mark} |`
  })
  const strict = RULE_IDS.filter((id) => (RULES[id] as { deviation?: string }).deviation === 'strict').length
  const lenient = RULE_IDS.filter((id) => (RULES[id] as { deviation?: string }).deviation === 'lenient').length
  return [
    '# Swarm validation rules',
    '',
    '<!-- Generated from src/validation/rules.ts by `npm run docs`; a test keeps it in step. -->',
    '',
    `Every rejection names one of these ${RULE_IDS.length} rule ids. References (§) are sections of the`,
    'notes on Jami\'s swarm design this project was built from (`jami-swarm.md`, kept outside this',
    'repository; its primary source is jami-daemon\'s `src/jamidht/conversation*.cpp`). Where',
    'gitswarm differs from jami-daemon the last column',
    `says so: ${strict} rules are stricter (we reject commits Jami accepts — mostly its gaps G1–G8),`,
    `${lenient} are more lenient (Ed25519 device keys, and an account publishing its own CRL).`,
    'Checks run in this order for each commit: structure, author (device and account certificates),',
    'signature, message, then the rule of the commit type; a batch is rejected at its first bad commit.',
    '',
    '| rule id | what is required | reference | jami-daemon | gitswarm |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}

export function renderErrorsDoc(): string {
  const rows = ERROR_CLASSES.map((E) => {
    const doc = ERROR_DOCS[E.name] ?? ''
    return `| \`${E.name}\` | \`${E.code}\` | ${cell(doc)} |`
  })
  return [
    '# Errors',
    '',
    '<!-- Generated from src/errors.ts by `npm run docs`; a test keeps it in step. -->',
    '',
    'Every error gitswarm throws on purpose is one of these classes. Test `err.code` (or',
    '`err.name`); `err.data` holds the details. The CLI exits 2 for the first five rows of',
    'unreadable input and bad usage, 1 for the others.',
    '',
    '| name | code | when |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}

const ERROR_DOCS: Record<string, string> = {
  InvalidArgumentError: 'A caller passed a value that cannot be right (bad id, option, path). `data` names it.',
  NotFoundError: 'A repository, object, ref, commit, message or identity that should exist does not. `data.what`.',
  NotARepositoryError: 'The path is not a git repository (bare or with `.git`). `data.path`, `data.reason`.',
  CorruptObjectError: 'A git object, pack or index cannot be decoded or does not hash to its id. `data.what`, `data.reason`.',
  BadPassphraseError: 'An encrypted identity needs a passphrase, or got a wrong one. `data.path`.',
  LockedError: "Another writer holds the ref's lock file (git's `.lock` protocol). `data.path`.",
  RefConflictError: 'A ref moved between reading and updating it (compare-and-swap). `data.ref`, `expected`, `actual`.',
  InvalidCommitError: 'A commit broke a swarm rule. `data.commit`, `data.rule` (see rules.md), `data.reason`.',
  UnauthorizedError: 'The local device may not do this (not an admin, not the author, no identity, read-only).',
  InvalidStateError: 'The operation contradicts the conversation state (already a member, not invited, already voted).',
  InvalidModeError: 'A conversation mode outside 0–3 (mode 4, documents, is not supported).',
  InvalidCertificateError: 'A certificate, key or CRL cannot be parsed or has an unsupported key type.',
  AlreadyExistsError: 'Something already exists where a new one was to be created (never overwritten).',
  LimitExceededError: 'A configured limit was exceeded. `data.limit`, `data.max`, `data.actual`.',
  TimeoutError: 'A peer sent nothing for the idle timeout, or a whole fetch outlasted its deadline (a slowloris peer trickling bytes); nothing it sent is kept. `data.what`, `data.ms`.',
  ChannelRefusedError: 'The peer refused a channel. `data.name`, `data.reason` (unknown, unauthorised, busy, bad-name, closed), `data.detail`.',
  ChannelResetError: 'An open channel was reset by the peer, by a protocol violation or by the connection going away. `data.name`, `data.reason`.',
  ConnectionFailedError: 'A Tox connection could not be made (no answer, or a peer that must use Noise did not). `data.peer`, `data.reason`.',
  ProtocolError: 'A peer sent what the account protocol does not allow (garbage or oversized frame, a hello that does not verify, a request flood); reported as `peerError`. `data.peer`, `data.reason`.',
  InvalidPathError: 'A file name or file id that could leave its directory (`../`, an absolute path, NUL, over-long); nothing is written. Jami\'s invalid_pathname. `data.what`, `data.name`, `data.reason`.',
  DiskFullError: 'The disk filled up (ENOSPC) during a download; the partial file and its progress are kept for resume. `data.path`, `data.written`.',
  IntegrityError: 'A downloaded file does not match the size or SHA3-512 its announcement gives, and no holder served the right bytes. `data.fileId`, `data.reason`.',
  MethodNotFoundError: 'A daemon API client called a method the node does not have (JSON-RPC code -32601). `data.method`.',
}

export function renderCliDoc(): string {
  return [
    '# The gitswarm command',
    '',
    '<!-- Generated from src/cli/ by `npm run docs`; a test keeps it in step. -->',
    '',
    'Every command prints its own usage with `--help` (or `-h`); `--json` gives one JSON document',
    '(for `gitswarm node`, one JSON object a line) instead of lines for people. Every write verb',
    '(send, edit, delete, react, unreact, invite, join, leave, ban, unban, set-profile) also takes',
    '`--account <dir>` and a conversation id instead of `--identity <dir>` and a repository path:',
    'through the running node (`gitswarm node`), or on the account directory when none runs.',
    '',
    '```',
    ...USAGE,
    '```',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    ...EXIT_CODES.map(([code, meaning]) => `| ${code} | ${cell(meaning)} |`),
    '',
    'With `--json`, a failure prints `{"error": {"name", "code", "message", "data"}}` (see errors.md).',
    '',
  ].join('\n')
}

/** Rewrites docs/*.md (used by `npm run docs`). */
export function writeDocs(root = process.cwd()): void {
  writeFileSync(join(root, 'docs/rules.md'), renderRulesDoc())
  writeFileSync(join(root, 'docs/errors.md'), renderErrorsDoc())
  writeFileSync(join(root, 'docs/cli.md'), renderCliDoc())
  writeFileSync(join(root, 'docs/daemon-api.md'), renderDaemonApiDoc(readFileSync(join(root, 'docs/daemon-client.py'), 'utf8')))
}
