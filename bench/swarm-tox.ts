/**
 * DESIGN's end-to-end targets over real Tox tunnels on 127.0.0.1: one new message from one
 * device to another (a git channel opened, upload-pack negotiation, pack, validation,
 * fast-forward), and a clone of a 10,000-message conversation over one channel, next to the
 * same clone over an in-memory stream and `git clone --bare` over file:// in the same run.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { createAccount } from '../src/identity/identity.js'
import { Conversation } from '../src/swarm/conversation.js'
import { SwarmNode } from '../src/account/swarm-node.js'
import { cloneOf } from './sync.js'
import { median, tempDir, timeAsync, timeCommand, type Figure } from './util.js'

export async function benchSwarmOverTox(options: { messages: number; rounds: number }): Promise<Figure[]> {
  const dir = tempDir('swarm-tox')
  const seed = (n: number) => new Uint8Array(32).fill(n)
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((displayName, i) => createAccount({ displayName, seeds: { ca: seed(70 + i), account: seed(80 + i), device: seed(90 + i) } })))
  const [a, b] = await Promise.all([SwarmNode.start(alice!), SwarmNode.start(bob!)])
  const figures: Figure[] = []
  try {
    b.addPeer(a.asPeer)
    const connect = await timeAsync(() => a.connect(b.asPeer, { address: b.tox.address, dhtPublicKey: b.tox.dhtPublicKey }))
    const conv = Conversation.create(alice!, { path: join(dir, 'alice') })
    conv.addMember(bob!.uri)
    a.host(conv)
    const copy = await b.clone(conv.id, a.asPeer, join(dir, 'bob'))
    copy.join()
    await a.pull(conv.id, b.asPeer)

    // 1. One message: written on A, pulled by B over a fresh git:// channel, validated, merged.
    for (let i = 0; i < 10; i++) (conv.sendMessage(`warm ${i}`), await b.pull(conv.id, a.asPeer))
    const latencies: number[] = []
    for (let i = 0; i < options.rounds; i++) {
      const t = await timeAsync(async () => {
        const id = conv.sendMessage(`message ${i}`)
        await b.pull(conv.id, a.asPeer)
        if (copy.head !== id) throw new Error('the message did not arrive')
      })
      latencies.push(t.ms)
    }
    latencies.sort((x, y) => x - y)
    const med = median(latencies)
    figures.push({
      what: `one message end to end over Tox: write, channel, fetch, validate, merge (${options.rounds} rounds)`,
      value: `median ${med.toFixed(2)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)]!.toFixed(2)} ms`,
      target: '≤ 50 ms median',
      met: med <= 50,
      note: `tunnel up in ${connect.ms.toFixed(1)} ms (Noise IK); a pull alone — the live path with its msg: announcement is under Accounts`,
    })

    // 2. A long conversation cloned over one channel, against the same clone in memory.
    const have = Number(execFileSync('git', ['-C', conv.path, 'rev-list', '--count', 'HEAD']).toString())
    for (let i = have; i < options.messages; i++) conv.sendMessage(`message ${i} in a long conversation`)
    const commits = Math.max(have, options.messages)
    const overTox = await timeAsync(() => b.clone(conv.id, a.asPeer, join(dir, 'tox-clone')))
    if (overTox.value.head !== conv.head) throw new Error('the clone over Tox is incomplete')
    const inMemory = await timeAsync(() => cloneOf(conv, bob!, join(dir, 'memory-clone')))
    const gitMs = timeCommand('sh', ['-c', `rm -rf ${join(dir, 'git.git')} && git clone -q --bare file://${conv.path} ${join(dir, 'git.git')}`], 3)
    figures.push({
      what: `clone ${commits} commits over one Tox channel, validated from the root`,
      value: `${(overTox.ms / 1000).toFixed(2)} s`,
      target: '≤ 5 s',
      met: overTox.ms <= 5000,
      note: `in-memory stream ${(inMemory.ms / 1000).toFixed(2)} s (tunnel ${(overTox.ms / inMemory.ms).toFixed(2)}x); git clone --bare file:// ${(gitMs / 1000).toFixed(2)} s (${(overTox.ms / gitMs).toFixed(2)}x)`,
    })
    return figures
  } finally {
    await Promise.all([a.close(), b.close()])
    rmSync(dir, { recursive: true, force: true })
  }
}

