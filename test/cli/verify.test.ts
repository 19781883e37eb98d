/**
 * `gitswarm verify` on good and bad repositories: exit 0 valid, 1 invalid with the rule named
 * (one line per rejected commit), 2 unreadable or bad usage — and the repository is never
 * written to, whatever happens.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { cpSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { forgeCommit, put } from '../../src/conformance/forge.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { Conversation, MAIN_REF } from '../../src/swarm/conversation.js'
import { textMessage } from '../../src/swarm/messages.js'
import { account, git, tempDir } from '../helpers.js'
import { gitswarm } from './run.js'

const dir = tempDir()
let alice: DeviceIdentity
let bob: DeviceIdentity
let base: string

/** Path, size, mode and content hash of every file: equal snapshots mean nothing was written. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else {
        const st = statSync(p)
        out[relative(root, p)] = `${st.size}:${st.mode}:${st.mtimeMs}:${createHash('sha1').update(readFileSync(p)).digest('hex')}`
      }
    }
  }
  walk(root)
  return out
}

/** A copy of the base conversation whose main is moved to a commit forged on top of it. */
function withHead(name: string, forge: (c: Conversation) => string): string {
  const path = join(dir, name)
  cpSync(base, path, { recursive: true })
  const conv = Conversation.open(path)
  conv.repo.refs.update(MAIN_REF, forge(conv))
  conv.close()
  return path
}

function verifyUnchanged(path: string, ...extra: string[]) {
  const before = snapshot(path)
  const result = gitswarm(['verify', path, ...extra])
  expect(snapshot(path)).toEqual(before)
  return result
}

beforeAll(async () => {
  ;[alice, bob] = await Promise.all([account('alice'), account('bob')])
  const conv = Conversation.create(alice, { path: join(dir, 'base') })
  conv.sendMessage('one')
  conv.addMember(bob.uri)
  Conversation.open(conv.path, { identity: bob }).join()
  conv.sendMessage('two')
  base = conv.path
  conv.close()
})

describe('gitswarm verify', () => {
  test('a valid repository: exit 0, nothing written', () => {
    const r = verifyUnchanged(base)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^valid: 5 commits, conversation [0-9a-f]{40}/)
  })

  test('--json reports the verdict for scripts', () => {
    const r = gitswarm(['verify', base, '--json'])
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, commits: 5, validated: 5, rejections: [] })
  })

  const bad: Array<[string, (c: Conversation) => string, string]> = [
    ['unknown signed header', (c) => forgeCommit(c.repo, { author: bob, parents: [c.head], message: textMessage('x'), extraHeaders: [{ key: 'gpgsig', value: 'abc' }] }), 'commit.header'],
    ['duplicated signature header', (c) => forgeCommit(c.repo, { author: bob, parents: [c.head], message: textMessage('x'), signatureHeaders: (s) => [{ key: 'signature', value: s }, { key: 'signature', value: s }] }), 'commit.signature-header'],
    ['missing signature header', (c) => forgeCommit(c.repo, { author: bob, parents: [c.head], message: textMessage('x'), signatureHeaders: () => [] }), 'commit.signature-header'],
    ['non-JSON message', (c) => forgeCommit(c.repo, { author: bob, parents: [c.head], message: 'just some text' }), 'commit.message'],
    ['10 MiB message', (c) => forgeCommit(c.repo, { author: bob, parents: [c.head], message: textMessage('x'.repeat(10 * 1024 * 1024)) }), 'commit.message-size'],
    ['signature by another key', (c) => forgeCommit(c.repo, { author: bob, signer: alice, parents: [c.head], message: textMessage('x') }), 'signature.invalid'],
    ['an unexpected file', (c) => forgeCommit(c.repo, { author: { ...alice, uri: 'f'.repeat(40) }, parents: [c.head], message: textMessage('x'), edits: [put(c.repo, 'BADFILE', 'x')] }), 'files.unexpected'],
    ['wrong key type (a P-256 device certificate)', (c) => forgeCommit(c.repo, { author: ecDevice(bob), parents: [c.head], message: textMessage('x'), addDevice: false, edits: [put(c.repo, `devices/${ecDevice(bob).deviceId}.crt`, ecCertPem)] }), 'device.key-type'],
  ]
  for (const [what, forge, rule] of bad) {
    test(`${what}: exit 1 naming ${rule}, nothing written`, () => {
      const path = withHead(what.replace(/\W+/g, '-'), forge)
      const r = verifyUnchanged(path)
      expect(r.status).toBe(1)
      const lines = r.stdout.trim().split('\n')
      expect(lines[0]).toMatch(new RegExp(`^rejected [0-9a-f]{40} ${rule.replace('.', '\\.')}: `))
      expect(lines.at(-1)).toMatch(/^invalid: 1 rejected commit\(s\) of 6/)
    })
  }

  test('every rejected commit gets a line (--first stops at the first)', () => {
    const path = withHead('two-bad', (c) => {
      const a = forgeCommit(c.repo, { author: bob, parents: [c.head], message: 'not json' })
      const b = forgeCommit(c.repo, { author: bob, parents: [a], message: textMessage('fine') })
      return forgeCommit(c.repo, { author: bob, parents: [b], message: textMessage('x'), edits: [put(c.repo, 'BADFILE', 'x')] })
    })
    const all = verifyUnchanged(path)
    expect(all.status).toBe(1)
    expect(all.stdout.match(/^rejected /gm)).toHaveLength(2)
    const first = verifyUnchanged(path, '--first')
    expect(first.stdout.match(/^rejected /gm)).toHaveLength(1)
    expect(first.stdout).toContain('commit.message')
  })

  test('a corrupted object: exit 1, commit.object', () => {
    const path = withHead('corrupt', (c) => c.head)
    const head = git(path, 'rev-parse', 'HEAD')
    const file = join(path, 'objects', head.slice(0, 2), head.slice(2))
    rmSync(file, { force: true })
    writeFileSync(file, 'this is not zlib')
    const r = verifyUnchanged(path)
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/commit\.object: .*corrupt/)
  })

  test('a missing parent object: exit 1, commit.object', () => {
    const path = withHead('missing', (c) => c.head)
    const parent = git(path, 'rev-parse', 'HEAD~2')
    rmSync(join(path, 'objects', parent.slice(0, 2), parent.slice(2)))
    const r = verifyUnchanged(path)
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`rejected ${parent} commit\\.object`))
  })

  test('a missing blob (a certificate): exit 1, commit.object', () => {
    const path = withHead('missing-blob', (c) => c.head)
    const blob = git(path, 'rev-parse', `HEAD:devices/${bob.deviceId}.crt`)
    rmSync(join(path, 'objects', blob.slice(0, 2), blob.slice(2)))
    const r = verifyUnchanged(path)
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('commit.object')
  })

  test('a truncated pack: exit 1 or 2, never a crash', () => {
    const path = withHead('truncated', (c) => c.head)
    git(path, 'repack', '-a', '-d', '-q')
    git(path, 'prune-packed')
    const pack = readdirSync(join(path, 'objects/pack')).find((n) => n.endsWith('.pack'))!
    truncateSync(join(path, 'objects/pack', pack), 200)
    const r = verifyUnchanged(path)
    expect([1, 2]).toContain(r.status)
    expect(r.stderr).not.toMatch(/unexpected error|at .*\.js:\d+/)
    expect(r.stdout + r.stderr).toMatch(/commit\.object|corrupt/)
  })

  test('a truncated pack index: exit 2 (unreadable)', () => {
    const path = withHead('truncated-idx', (c) => c.head)
    git(path, 'repack', '-a', '-d', '-q')
    const idx = readdirSync(join(path, 'objects/pack')).find((n) => n.endsWith('.idx'))!
    truncateSync(join(path, 'objects/pack', idx), 100)
    const r = verifyUnchanged(path)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/corrupt/)
  })

  test('unreadable input and bad usage: exit 2', () => {
    expect(gitswarm(['verify', join(dir, 'does-not-exist')]).status).toBe(2)
    expect(gitswarm(['verify', dir]).status).toBe(2)
    expect(gitswarm(['verify']).status).toBe(2)
    expect(gitswarm(['verify', base, '--bogus']).status).toBe(2)
    const empty = join(dir, 'empty.git')
    git(dir, 'init', '-q', '--bare', empty)
    const r = gitswarm(['verify', empty])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/HEAD/)
  })

  test('works on a non-bare (Jami-style) repository', () => {
    const work = join(dir, 'nonbare')
    git(dir, 'clone', '-q', base, work)
    expect(gitswarm(['verify', work]).status).toBe(0)
  })
})

// ── a P-256 device certificate, issued by bob's account, for the wrong-key-type case ──
let ecCertPem = ''
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
function ecDevice(owner: DeviceIdentity): DeviceIdentity {
  return { ...owner, deviceId: createHash('sha256').update(ecKey.publicKey.export({ type: 'spki', format: 'der' })).digest('hex') }
}
beforeAll(async () => {
  const { webcrypto } = await import('node:crypto')
  await import('reflect-metadata')
  const x509 = await import('@peculiar/x509')
  x509.cryptoProvider.set(webcrypto as never)
  const owner = await account('bob')
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Jami device',
    issuer: [{ CN: ['Jami'] }, { '0.9.2342.19200300.100.1.1': [owner.uri] }],
    notBefore: new Date('2026-01-01Z'),
    notAfter: new Date('2036-01-01Z'),
    signingAlgorithm: { name: 'Ed25519' },
    publicKey: await webcrypto.subtle.importKey('spki', ecKey.publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']),
    signingKey: await webcrypto.subtle.importKey('pkcs8', owner.accountKey!.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'Ed25519' }, false, ['sign']),
  })
  ecCertPem = cert.toString('pem') + '\n'
})
