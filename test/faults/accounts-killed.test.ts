/**
 * Whole Accounts under crashes: three accounts in a group conversation run as `gitswarm node`
 * processes on a loopback Tox network; messages are sent through their control sockets while
 * nodes are killed with SIGKILL at random moments (seeded) and started again. Once all run and
 * the network is quiet: one head everywhere, every acknowledged message (an id `gitswarm send`
 * printed) in every repository, each one valid and clean under `git fsck --strict`. What the
 * in-process harness (bench/faults.ts) cannot give: real process death, the run lock taken
 * over, recovery in Account.start, delivery from the outbox after a restart. Every process
 * started here is stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, expect, test } from 'vitest'
import { Account } from '../../src/account/account.js'
import { prng } from '../../src/dht/testnet.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { befriend, invite, testNetwork, until } from '../account/net.js'
import { BIN, gitswarm } from '../cli/run.js'
import { git } from '../helpers.js'

const children = new Set<ChildProcess>()
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL')
})

function startNode(dir: string, bootstrap: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'node', '--account', dir, '--bootstrap', bootstrap], { stdio: ['ignore', 'ignore', 'ignore'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((r) => child.once('exit', r))
  process.kill(child.pid!, 'SIGKILL')
  await gone
}

test('three accounts as node processes, killed with SIGKILL mid-conversation and restarted: nothing acknowledged is lost, all converge', async () => {
  const net = await testNetwork()
  const accounts = [await net.account('alice'), await net.account('bob'), await net.account('carol')]
  const [alice, bob, carol] = accounts as [Account, Account, Account]
  await befriend(alice, bob)
  await befriend(alice, carol)
  await befriend(bob, carol)
  const id = alice.startConversation({ title: 'under fire' })
  await invite(alice, id, bob)
  await invite(alice, id, carol)
  const repos = accounts.map((a) => a.conversation(id).path)
  const dirs = accounts.map((a) => a.dir)
  await Promise.all(accounts.map((a) => a.stop()))
  const boot = net.bootstrap[0]!
  const bootstrap = `${boot.host}:${boot.port}:${Buffer.from(boot.publicKey).toString('hex')}`
  const nodes: Array<ChildProcess | undefined> = dirs.map((d) => startNode(d, bootstrap))

  const rand = prng(20261203)
  const acked: string[] = []
  let kills = 0
  for (let step = 0; step < 30; step++) {
    const who = Math.floor(rand() * 3)
    const r = rand()
    if (r < 0.7) {
      const sent = gitswarm(['send', id, '--account', dirs[who]!, `step ${step} from ${who}`])
      const line = sent.stdout.trim()
      if (sent.status === 0 && /^[0-9a-f]{40}$/.test(line)) acked.push(line)
    } else if (nodes[who]) {
      // Kill it a moment from now, wherever it is then (often mid-fetch of the last message).
      await new Promise((res) => setTimeout(res, Math.floor(rand() * 300)))
      await kill(nodes[who]!)
      nodes[who] = undefined
      kills++
    }
    // A dead node comes back one step or more later.
    for (let i = 0; i < 3; i++) if (!nodes[i] && rand() < 0.4) nodes[i] = startNode(dirs[i]!, bootstrap)
  }
  for (let i = 0; i < 3; i++) nodes[i] ??= startNode(dirs[i]!, bootstrap)
  expect(kills).toBeGreaterThanOrEqual(3)
  expect(acked.length).toBeGreaterThanOrEqual(15)
  const started = Date.now()

  const heads = (): string[] => repos.map((r) => git(r, 'rev-parse', 'refs/heads/main').trim())
  await until(() => new Set(heads()).size === 1 && acked.every((c) => repos.every((r) => hasCommit(r, c))), 'one head holding every acknowledged message', 90_000)
  console.log(`${acked.length} messages acknowledged, ${kills} nodes killed; converged ${Date.now() - started} ms after the last restart`)
  for (const n of nodes) await kill(n!)
  for (const repo of repos) {
    const conv = Conversation.open(repo, { readOnly: true })
    const history = conv.history()
    expect(acked.filter((c) => !history.has(c))).toEqual([])
    conv.close()
    expect((await verifyRepository(repo)).ok).toBe(true)
    git(repo, 'fsck', '--strict', '--no-dangling')
  }
}, 240_000)

function hasCommit(repo: string, id: string): boolean {
  try {
    git(repo, 'merge-base', '--is-ancestor', id, 'refs/heads/main')
    return true
  } catch {
    return false
  }
}
