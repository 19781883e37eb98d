/**
 * The Python client printed in docs/daemon-api.md (docs/daemon-client.py, standard library
 * only) against a real `gitswarm node` process: account details, subscribe, a message sent
 * and its notification, a typed error. Needs python3; skipped without it, never when CI=true.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startNode, stopNode } from '../cli/node-process.js'
import { gitswarm } from '../cli/run.js'

const CLIENT = join(import.meta.dirname, '../../docs/daemon-client.py')
const hasPython = spawnSync('python3', ['--version']).status === 0
if (!hasPython && process.env.CI === 'true') throw new Error('python3 is required in CI')
const dir = mkdtempSync(join(tmpdir(), 'gitswarm-python-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.skipIf(!hasPython)('the Python client of docs/daemon-api.md', () => {
  it('drives a real node over its Unix socket', async () => {
    const account = join(dir, 'alice')
    expect(gitswarm(['account', 'create', account, '--name', 'alice']).status).toBe(0)
    const node = startNode(account)
    await node.waitFor((e) => e.event === 'started', 'start')
    const conv = gitswarm(['start', '--account', account, '--title', 'from python']).stdout.trim()
    expect(conv).toMatch(/^[0-9a-f]{40}$/)
    const run = spawnSync('python3', [CLIENT, account, conv, 'hello from Python'], { encoding: 'utf8', timeout: 30_000 })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const uri = (gitswarm(['account', 'show', account, '--json']).stdout.match(/"uri": "([0-9a-f]{40})"/) ?? [])[1]!
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(new RegExp(`^account ${uri} \\(alice\\), Tox ID [0-9A-F]{76}$`))
    expect(lines[1]).toBe(`notified: ${uri.slice(0, 8)} wrote 'hello from Python' in ${conv.slice(0, 8)}`)
    expect(lines[2]).toMatch(/^error ERR_NOT_FOUND \(-32001\): not found: conversation f{40}/)
    // The node saw the same message.
    await node.waitFor((e) => e.event === 'swarmMessageReceived' && (e.args[1] as { body: { body?: string } }).body.body === 'hello from Python', 'the message')
    expect(await stopNode(node)).toBe(0)
  })
})
