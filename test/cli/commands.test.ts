/**
 * The scripting verbs and read commands of the `gitswarm` binary, end to end: identities on
 * disk (with a passphrase), a conversation created, written to and read from the shell, and
 * the demo. Exit codes: 0 ok, 1 refused, 2 bad usage or unreadable.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { Conversation } from '../../src/swarm/conversation.js'
import { account, git, tempDir } from '../helpers.js'
import { BIN, gitswarm, type CliResult } from './run.js'

const dir = tempDir()

function ok(r: CliResult): string {
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  return r.stdout.trim()
}

describe('gitswarm from the shell', () => {
  test('identities, a conversation, messages, members, log, show, profile', () => {
    const passFile = join(dir, 'pass')
    writeFileSync(passFile, 'secret\n')
    const alice = JSON.parse(ok(gitswarm(['identity', 'create', join(dir, 'alice'), '--name', 'alice', '--passphrase-file', passFile, '--json'])))
    expect(alice).toMatchObject({ name: 'alice', keyType: 'ed25519' })
    expect(alice.toxId).toMatch(/^[0-9A-F]{76}$/)
    const bob = JSON.parse(ok(gitswarm(['identity', 'create', join(dir, 'bob'), '--name', 'bob', '--json'])))
    expect(gitswarm(['identity', 'show', join(dir, 'alice')]).status).toBe(2) // encrypted, no passphrase
    expect(ok(gitswarm(['identity', 'show', join(dir, 'alice')], { env: { GITSWARM_PASSPHRASE: 'secret' } }))).toContain(alice.uri)

    const env = { GITSWARM_PASSPHRASE: 'secret' }
    const [id, path] = ok(gitswarm(['create', '--identity', join(dir, 'alice'), '--dir', join(dir, 'convs')], { env })).split(' ')
    expect(path).toBe(join(dir, 'convs', id!))
    const asAlice = (...args: string[]) => gitswarm([args[0]!, path!, '--identity', join(dir, 'alice'), ...args.slice(1)], { env })
    const asBob = (...args: string[]) => gitswarm([args[0]!, path!, '--identity', join(dir, 'bob'), ...args.slice(1)])

    ok(asAlice('set-profile', '--title', 'Shell chat'))
    const hello = ok(asAlice('send', 'hello from the shell'))
    expect(hello).toMatch(/^[0-9a-f]{40}$/)
    ok(asAlice('invite', bob.uri))
    ok(asBob('join'))
    const reply = ok(asBob('send', 'hi', '--reply-to', hello))
    ok(asBob('edit', reply, 'hi alice'))
    ok(asBob('react', hello, '👍'))
    const refused = asBob('set-profile', '--title', 'mine')
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/not allowed to update the profile/)
    expect(asBob('send').status).toBe(2)

    const log = ok(gitswarm(['log', path!]))
    expect(log.split('\n')[0]).toMatch(/hi alice +\[edited\]$/)
    expect(log).toContain('hello from the shell  [👍]')
    const json = JSON.parse(ok(gitswarm(['log', path!, '--json', '-n', '2'])))
    expect(json[0].body.body).toBe('hi alice')
    expect(ok(gitswarm(['members', path!]))).toMatch(new RegExp(`${alice.uri} admin[\\s\\S]*${bob.uri} member`))
    expect(ok(gitswarm(['profile', path!]))).toContain('title: Shell chat')
    const show = ok(gitswarm(['show', path!, reply]))
    expect(show).toContain('verdict valid')
    expect(show).toContain(`"reply-to":"${hello}"`)
    expect(gitswarm(['show', path!, 'nothex']).status).toBe(2)
    expect(ok(gitswarm(['verify', path!]))).toMatch(/^valid: 8 commits/)
    git(path!, 'fsck', '--strict', '--no-dangling')
  })

  test('read commands work on a non-bare repository and never write to it', () => {
    const path = join(dir, 'plain')
    const id = JSON.parse(ok(gitswarm(['identity', 'create', join(dir, 'carol'), '--json'])))
    ok(gitswarm(['create', '--identity', join(dir, 'carol'), '--path', join(dir, 'bare-src')]))
    git(dir, 'clone', '-q', join(dir, 'bare-src'), path)
    const before = git(path, 'status', '--porcelain', '--ignored')
    expect(ok(gitswarm(['members', path]))).toContain(id.uri)
    ok(gitswarm(['log', path]))
    expect(git(path, 'status', '--porcelain', '--ignored')).toBe(before)
  })

  test('a reader that stops early (gitswarm log | head) ends it quietly with 141, as git', async () => {
    const alice = await account('pipe-alice')
    const conv = Conversation.create(alice, { dir: join(dir, 'piped') })
    for (let i = 0; i < 1000; i++) conv.sendMessage(`message ${i} `.padEnd(1000, '.'))
    conv.close()
    // 1 MB of lines is more than the pipe (a socket pair) holds: writes meet the closed end.
    const child = spawn(process.execPath, [BIN, 'log', conv.path, '-n', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
    await new Promise((resolve) => child.stdout!.once('data', resolve))
    child.stdout!.destroy()
    expect(await exited).toBe(141)
    expect(stderr).toBe('')
  })

  test('usage errors exit 2 with a message', () => {
    expect(gitswarm([]).status).toBe(2)
    expect(gitswarm(['nonsense']).status).toBe(2)
    expect(gitswarm(['log']).status).toBe(2)
    expect(gitswarm(['send', dir]).status).toBe(2)
    expect(ok(gitswarm(['help']))).toContain('gitswarm verify <repo>')
  })

  test('conformance: gitswarm itself, and an external verifier given as a command', () => {
    const self = gitswarm(['conformance', '--filter', 'rule-join'])
    expect(self.status).toBe(0)
    expect(self.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/)
    // fetch-batch: one valid case and seven invalid ones, so no constant answer passes them all.
    const external = gitswarm(['conformance', '--filter', 'fetch-batch', '--impl', `node ${BIN} verify {repo} --base {base} --json`])
    expect(external.stdout.trim().split('\n').at(-1)).toBe('8 passed, 0 failed')
    expect(external.status).toBe(0)
    // Controls: a verifier that always says "invalid" fails the valid case; one that crashes
    // (or exits with a code that is no verdict) fails every case, each reported as an error.
    const alwaysInvalid = gitswarm(['conformance', '--filter', 'fetch-batch', '--impl', 'exit 1'])
    expect(alwaysInvalid.stdout.trim().split('\n').at(-1)).toBe('7 passed, 1 failed')
    expect(alwaysInvalid.stdout).toMatch(/^FAIL {2}fetch-batch-all-good +valid {2}— expected valid, got invalid$/m)
    expect(alwaysInvalid.status).toBe(1)
    const crashing = gitswarm(['conformance', '--filter', 'fetch-batch', '--impl', 'kill -SEGV $$'])
    expect(crashing.stdout.trim().split('\n').at(-1)).toBe('0 passed, 8 failed')
    expect(crashing.stdout.match(/— error, no verdict: killed by SIGSEGV$/gm)).toHaveLength(8)
    expect(crashing.status).toBe(1)
    const unreadable = gitswarm(['conformance', '--filter', 'fetch-batch-bad-1', '--impl', 'echo cannot read it >&2; exit 2'])
    expect(unreadable.stdout).toMatch(/— error, no verdict: exit code 2 \(cannot read it\)$/m)
    expect(unreadable.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed')
    const json = JSON.parse(gitswarm(['conformance', '--filter', 'rule-vote', '--json']).stdout)
    expect(json.failed).toBe(0)
    expect(json.results.length).toBeGreaterThan(5)
  }, 120_000)

  test('every command answers --help with its own usage and the exit codes, exit 0', async () => {
    const { USAGE } = await import('../../src/cli/main.js')
    const names = [...new Set(USAGE.flatMap((u) => u.split(' ')[1]!.split('|')))]
    expect(names.length).toBeGreaterThan(20)
    for (const name of names) {
      const r = gitswarm([name, '--help'])
      expect(r.status, name).toBe(0)
      expect(r.stdout, name).toMatch(new RegExp(`^Usage:\\n  gitswarm [a-z|-]*\\b${name}\\b`))
      expect(r.stdout, name).toContain('Exit codes: 0 ')
    }
  })

  test('the demo narrates the scenario on accounts and ends with valid repositories', () => {
    const out = ok(gitswarm(['demo']))
    for (const step of ['trustRequestReceived from alice', 'conversationRequestReceived "Weekend trip" → accepted', 'swarmMessageReceived "Hello both! Saturday at 9?"', 'swarmMessageUpdated "Works for me, 9 sharp"', 'reactionAdded 👍', 'accountMessageStatusChanged displayed', 'composingStatusChanged (carol is typing', 'alice shares route-photos.tar', 'KiB from carol', 'alice links her phone', 'bob goes offline', 'bob comes back: swarmMessageReceived', 'conversationRequestReceived "Birthday surprise"', 'nobody takes it', 'carol=banned', 'the phone is told and stops']) {
      expect(out).toContain(step)
    }
    expect(out).not.toContain('should not happen')
    expect(out.match(/^ {6}\S+ +[0-9a-f]{10}… valid: \d+ commits in \d+ ms, fsck ok$/gm)!.length).toBeGreaterThanOrEqual(9)
    expect(out).not.toMatch(/INVALID|fsck FAILED/)
  }, 120_000)
})
