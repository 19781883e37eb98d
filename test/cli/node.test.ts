/**
 * Two terminals chatting: `gitswarm node` runs two accounts as child processes on 127.0.0.1
 * (the second bootstraps from the first), and the other commands reach them through their
 * control sockets — contact by Tox ID, accept, a group invitation, messages — or, with no node
 * running, write to the account directory (delivered when the node starts). Every process
 * started here is stopped by PID.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startNode, stopNode } from './node-process.js'
import { gitswarm } from './run.js'

const dir = mkdtempSync(join(tmpdir(), 'gitswarm-node-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>

describe('gitswarm node and the account commands', () => {
  it('two accounts in two processes befriend by Tox ID, share a conversation and chat', async () => {
    const [a, b] = [join(dir, 'alice'), join(dir, 'bob')]
    expect(gitswarm(['account', 'create', a, '--name', 'alice']).status).toBe(0)
    expect(gitswarm(['account', 'create', b, '--name', 'bob']).status).toBe(0)
    const bob = json(gitswarm(['account', 'show', b, '--json']))
    const alice = json(gitswarm(['account', 'show', a, '--json']))

    const first = startNode(a)
    const started = await first.waitFor((e) => e.event === 'started', 'start')
    const bootstrap = (started.args[0] as { bootstrap: string }).bootstrap
    const second = startNode(b, ['--bootstrap', bootstrap])
    const bobBootstrap = ((await second.waitFor((e) => e.event === 'started', 'start')).args[0] as { bootstrap: string }).bootstrap

    expect(gitswarm(['contact', 'add', String(bob['toxId']), '--account', a]).status).toBe(0)
    await second.waitFor((e) => e.event === 'trustRequestReceived', 'the trust request')
    expect(gitswarm(['contact', 'accept', String(alice['uri']), '--account', b]).status).toBe(0)
    const ready = await first.waitFor((e) => e.event === 'conversationReady', 'the 1:1 conversation')
    const oneToOne = ready.args[0] as string
    await second.waitFor((e) => e.event === 'conversationReady' && e.args[0] === oneToOne, 'the 1:1 conversation at bob')

    const sent = gitswarm(['send', oneToOne, '--account', a, 'hello from the other terminal'])
    expect(sent.status).toBe(0)
    const commit = sent.stdout.trim()
    expect(commit).toMatch(/^[0-9a-f]{40}$/)
    const got = await second.waitFor((e) => e.event === 'swarmMessageReceived' && (e.args[1] as { id: string }).id === commit, 'the message')
    expect((got.args[1] as { body: { body: string } }).body.body).toBe('hello from the other terminal')

    // By default a node stays on loopback, without LAN discovery.
    expect(started.args[0]).toMatchObject({ lanDiscovery: false })
    expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+:[0-9a-f]{64}$/)
    // How alice reaches bob: one peer, bob's device, UDP on loopback (a LAN address, as c-toxcore counts).
    const peers = json(gitswarm(['peers', '--account', a, '--json'])) as { running: boolean; peers: Array<Record<string, unknown>> }
    expect(peers.running).toBe(true)
    expect(peers.peers).toHaveLength(1)
    expect(peers.peers[0]).toMatchObject({ accountUri: bob['uri'], deviceId: bob['deviceId'], path: 'udp-lan', address: bobBootstrap.split(':').slice(0, 2).join(':') })
    expect(peers.peers[0]!['rttMs']).toEqual(expect.any(Number))
    expect(gitswarm(['peers', '--account', a]).stdout).toMatch(new RegExp(`^${bob['uri']} device [0-9a-f]{12}… udp-lan 127\\.0\\.0\\.1:\\d+ rtt [0-9.]+ ms$`, 'm'))

    const group = gitswarm(['start', '--account', a, '--title', 'Terminals']).stdout.trim()
    expect(gitswarm(['invite', group, '--account', a, String(bob['uri'])]).status).toBe(0)
    await second.waitFor((e) => e.event === 'conversationRequestReceived' && e.args[0] === group, 'the invitation')
    expect(json(gitswarm(['requests', '--account', b, '--json']) as { stdout: string }) as unknown as unknown[]).toHaveLength(1)
    expect(gitswarm(['accept', group, '--account', b]).status).toBe(0)
    await second.waitFor((e) => e.event === 'conversationReady' && e.args[0] === group, 'the group at bob')
    const reply = gitswarm(['send', group, '--account', b, 'got it']).stdout.trim()
    await first.waitFor((e) => e.event === 'swarmMessageReceived' && (e.args[1] as { id: string }).id === reply, 'the reply at alice')

    // A file: shared through alice's node, fetched through bob's, verified, quiet with --json.
    const original = join(dir, 'report.bin')
    writeFileSync(original, randomBytes(300_000))
    const shared = json(gitswarm(['send-file', group, original, '--account', a, '--name', 'report.bin', '--json']))
    expect(shared['fileId']).toMatch(/^[0-9a-f]{40}_[0-9]+\.bin$/)
    await second.waitFor((e) => e.event === 'swarmMessageReceived' && (e.args[1] as { id: string }).id === shared['id'], 'the file announcement')
    const dest = join(dir, 'bob-report.bin')
    const fetched = gitswarm(['download', group, String(shared['id']), dest, '--account', b, '--json'])
    expect(fetched.status, fetched.stderr).toBe(0)
    expect(json(fetched)).toMatchObject({ status: 'finished', bytes: 300_000, total: 300_000, path: dest })
    expect(readFileSync(dest).equals(readFileSync(original))).toBe(true)
    const notAFile = gitswarm(['download', group, reply, '--account', b, '--json'])
    expect(notAFile.status).toBe(1)
    expect(json(notAFile)['error']).toMatchObject({ code: 'ERR_INVALID_STATE' })

    // Errors from the node come back typed: a message to a conversation that does not exist.
    const bad = gitswarm(['send', 'f'.repeat(40), '--account', a, 'x', '--json'])
    expect(bad.status).toBe(2)
    expect(json(bad)['error']).toMatchObject({ code: 'ERR_NOT_FOUND' })

    // Without a running node, a write lands in the directory and goes out when it starts.
    expect(await stopNode(first)).toBe(0)
    const offline = gitswarm(['send', group, '--account', a, 'written while the node was down']).stdout.trim()
    const again = startNode(a, ['--bootstrap', bobBootstrap])
    await second.waitFor((e) => e.event === 'swarmMessageReceived' && (e.args[1] as { id: string }).id === offline, 'the offline message', 30_000)
    expect(await stopNode(again)).toBe(0)
    expect(await stopNode(second)).toBe(0)
    expect(gitswarm(['peers', '--account', a]).stdout.trim()).toBe('no node is running for this account (start one with gitswarm node)')
  }, 120_000)

  it('export and import an account; bad passphrase and bad bootstrap give typed errors', () => {
    const a = join(dir, 'carol')
    gitswarm(['account', 'create', a, '--name', 'carol'])
    const archive = join(dir, 'carol.gsarchive')
    expect(gitswarm(['account', 'export', a, archive, '--archive-passphrase', 'pw']).status).toBe(0)
    const wrong = gitswarm(['account', 'import', archive, join(dir, 'carol2'), '--archive-passphrase', 'nope', '--json'])
    expect(wrong.status).toBe(2)
    expect(json(wrong)['error']).toMatchObject({ code: 'ERR_BAD_PASSPHRASE' })
    const ok = json(gitswarm(['account', 'import', archive, join(dir, 'carol2'), '--archive-passphrase', 'pw', '--name', 'carol-phone', '--json']))
    expect(ok['uri']).toBe(json(gitswarm(['account', 'show', a, '--json']))['uri'])
    writeFileSync(join(dir, 'junk'), 'not an archive')
    expect(gitswarm(['account', 'import', join(dir, 'junk'), join(dir, 'carol3'), '--archive-passphrase', 'pw']).status).toBe(2)
    const node = gitswarm(['node', '--account', a, '--bootstrap', 'nonsense'])
    expect(node.status).toBe(2)
    expect(node.stderr).toMatch(/host:port:dhtkey/)
    expect(readFileSync(archive).subarray(0, 8).toString()).toBe('GSARCH01')
  })
})
