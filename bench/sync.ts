/**
 * Issue #4 figures: the latency of one new message between two devices over an in-memory
 * stream (fetch, validate, fast-forward), cloning a 10,000-message conversation next to
 * `git clone --bare` of the same repository over file://, and a long convergence run.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { duplexPair } from '../src/git/duplex-pair.js'
import { createAccount, type DeviceIdentity } from '../src/identity/identity.js'
import { Conversation } from '../src/swarm/conversation.js'
import { planArbitrary, runPlan } from './convergence.js'
import { median, tempDir, timeAsync, timeCommand, type Figure } from './util.js'

async function pull(to: Conversation, from: Conversation): Promise<void> {
  const [server, client] = duplexPair()
  const serving = from.serve(server)
  await to.syncFrom(client, from.identity!.deviceId)
  client.end()
  await serving
}

export async function benchSync(options: { messages: number; rounds: number; convergenceRuns: number }): Promise<Figure[]> {
  const dir = tempDir('sync')
  const figures: Figure[] = []
  try {
    const seed = (n: number) => new Uint8Array(32).fill(n)
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((displayName, i) => createAccount({ displayName, seeds: { ca: seed(40 + i), account: seed(50 + i), device: seed(60 + i) } })),
    )
    const a = Conversation.create(alice!, { path: join(dir, 'alice') })
    a.addMember(bob!.uri)
    a.addMember(carol!.uri)
    const b = await cloneOf(a, bob!, join(dir, 'bob'))
    b.join()
    await pull(a, b)

    // 1. One new message, A → B: fetch + validate + fast-forward, over an in-memory stream.
    for (let i = 0; i < 20; i++) (a.sendMessage(`warm ${i}`), await pull(b, a))
    const latencies: number[] = []
    for (let i = 0; i < options.rounds; i++) {
      const id = a.sendMessage(`message ${i}`)
      const t = await timeAsync(() => pull(b, a))
      if (b.head !== id) throw new Error('the message did not arrive')
      latencies.push(t.ms)
    }
    latencies.sort((x, y) => x - y)
    const med = median(latencies)
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!
    figures.push({ what: `sync one new message A → B (${options.rounds} rounds, in-memory stream)`, value: `median ${med.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`, target: '≤ 10 ms median', met: med <= 10 })

    // 2. Clone a conversation of N messages from three authors.
    const c = Conversation.open(a.path, { identity: carol })
    c.join()
    const writers = [a, Conversation.open(a.path, { identity: bob }), c]
    const have = Number(execFileSync('git', ['-C', a.path, 'rev-list', '--count', 'HEAD']).toString())
    for (let i = have; i < options.messages; i++) writers[i % 3]!.sendMessage(`message ${i} in a long conversation`)
    const commits = Number(execFileSync('git', ['-C', a.path, 'rev-list', '--count', 'HEAD']).toString())
    const clones: number[] = []
    for (let r = 0; r < 3; r++) {
      const path = join(dir, `clone-${r}`)
      const t = await timeAsync(() => cloneOf(a, carol!, path))
      clones.push(t.ms)
      rmSync(path, { recursive: true, force: true })
    }
    const cloneMs = median(clones)
    const gitMs = timeCommand('sh', ['-c', `rm -rf ${join(dir, 'git-clone.git')} && git clone -q --bare file://${a.path} ${join(dir, 'git-clone.git')}`], 3)
    figures.push({
      what: `clone ${commits} commits over a stream, validated from the root`,
      value: `${(cloneMs / 1000).toFixed(2)} s`,
      target: '≤ 5 s',
      met: cloneMs <= 5000,
      note: `git clone --bare file:// (no validation) ${(gitMs / 1000).toFixed(2)} s; ratio ${(cloneMs / gitMs).toFixed(2)}x`,
    })

    // 3. A longer convergence run than the test suite's.
    const conv = await timeAsync(() =>
      fc.assert(fc.asyncProperty(planArbitrary, (p) => runPlan(p).then(() => undefined)), { numRuns: options.convergenceRuns, seed: Date.now() % 1_000_000 }),
    )
    figures.push({ what: `convergence property, ${options.convergenceRuns} random runs (random seed)`, value: `all converged in ${(conv.ms / 1000).toFixed(1)} s`, target: 'all converge', met: true })
    return figures
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Clones `from` over an in-memory stream, as `identity`. */
export async function cloneOf(from: Conversation, identity: DeviceIdentity, path: string): Promise<Conversation> {
  const [server, client] = duplexPair()
  const serving = from.serve(server)
  const c = await Conversation.clone(client, { identity, peer: from.identity!.deviceId, path })
  client.end()
  await serving
  return c
}
