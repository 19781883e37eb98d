/**
 * Test helpers for accounts: a loopback Tox network whose bootstrap node is one of our own
 * ToxNodes, accounts in temporary directories started on it, and waiting for events with a
 * bound in time. Everything started here is stopped after the test file.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { Account } from '../../src/account/account.js'
import { nextEvent, type AccountEvents } from '../../src/account/events.js'
import type { BootstrapNode } from '../../src/account/network.js'
import { ToxNode } from '../../src/transport/tox-node.js'
import { until } from '../transport/net.js'
import { befriend, invite } from './social.js'
import { editTree, type TreeEdit } from '../../src/git/tree.js'
import { writeSignedCommit } from '../../src/swarm/commit-writer.js'
import { MAIN_REF } from '../../src/swarm/conversation.js'
import type { CommitMessage } from '../../src/validation/commit-message.js'

export interface TestNetwork {
  bootstrap: BootstrapNode[]
  /** A new account (own directory), started on the network. */
  account(name: string): Promise<Account>
  /** Starts an account directory again (after stop), on the same network. */
  restart(account: Account): Promise<Account>
  /** Stops `account` with the others after the test. */
  adopt(account: Account): void
  /** Stops everything (also done after the file). */
  close(): Promise<void>
  dir: string
}

export async function testNetwork(): Promise<TestNetwork> {
  const dir = mkdtempSync(join(tmpdir(), 'gitswarm-accounts-'))
  const boot = await ToxNode.start({ host: '127.0.0.1' })
  const bootstrap = [{ host: '127.0.0.1', port: boot.address.port, publicKey: boot.dhtPublicKey }]
  const accounts = new Set<Account>()
  let closed = false
  let made = 0
  const net: TestNetwork = {
    bootstrap,
    dir,
    async account(name) {
      const a = await Account.create(join(dir, `${name}-${made++}`), { displayName: name })
      await a.start({ bootstrap })
      accounts.add(a)
      return a
    },
    async restart(old) {
      if (old.started) await old.stop()
      accounts.delete(old)
      const a = Account.open(old.dir)
      await a.start({ bootstrap })
      accounts.add(a)
      return a
    },
    adopt(a) {
      accounts.add(a)
    },
    async close() {
      if (closed) return
      closed = true
      await Promise.all([...accounts].map((a) => a.stop()))
      await boot.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  afterAll(() => net.close())
  // Each test's accounts leave when it ends: a network of dozens of idle accounts is no test.
  afterEach(async () => {
    await Promise.all([...accounts].map((a) => a.stop()))
    accounts.clear()
  })
  return net
}

/** Adds a started account to the network's cleanup (for accounts made by hand, e.g. importArchive). */
export function track(net: TestNetwork, account: Account): Account {
  net.adopt(account)
  return account
}

/** The arguments of the first matching event (see nextEvent). */
export const next = nextEvent

/** Records every `event` on `account`, in order. */
export function record<K extends keyof AccountEvents>(account: Account, event: K): AccountEvents[K][] {
  const out: AccountEvents[K][] = []
  account.on(event, ((...args: AccountEvents[K]) => out.push(args)) as never)
  return out
}

/** Polls until a condition holds, bounded in time (the transport tests' helper). */
export { until }

export { befriend, invite }

/**
 * Writes a signed commit on `main` of `account`'s copy without checking any rule (as a
 * modified client would), and announces it: for the scenarios where a peer must refuse it.
 */
export function forge(account: Account, id: string, message: CommitMessage, edits: TreeEdit[] = []): string {
  const conv = account.conversation(id)
  const parent = conv.head
  const store = conv.repo.objects
  const tree = editTree(store, conv.view.commit(parent).fields.tree, edits)
  const commit = writeSignedCommit(store, account.identity, { tree, parents: [parent], message, time: Math.floor(Date.now() / 1000) })
  conv.repo.refs.update(MAIN_REF, commit, parent)
  account.announce(id)
  return commit
}

/** A tree edit adding a file to the forged commit. */
export function addFile(account: Account, id: string, path: string, data: string | Buffer): TreeEdit {
  return { path, oid: account.conversation(id).repo.objects.write('blob', Buffer.from(data)) }
}

/** Waits `ms` (to show that something does not happen). */
export const quiet = (ms = 400) => new Promise((r) => setTimeout(r, ms))

/** Three started accounts: alice, a contact of both bob and carla. */
export async function trio(net: TestNetwork): Promise<{ alice: Account; bob: Account; carla: Account }> {
  const [alice, bob, carla] = [await net.account('alice'), await net.account('bob'), await net.account('carla')]
  await befriend(alice, bob)
  await befriend(alice, carla)
  return { alice, bob, carla }
}

/** trio, and a group of alice's that bob and carla joined. */
export async function trioGroup(net: TestNetwork): Promise<{ alice: Account; bob: Account; carla: Account; id: string }> {
  const { alice, bob, carla } = await trio(net)
  const id = alice.startConversation()
  await invite(alice, id, bob)
  await invite(alice, id, carla)
  return { alice, bob, carla, id }
}

/** A second device of `account`, linked from its archive (in a directory of its own) and started; resolves once the first one verified it. */
export async function secondDevice(net: TestNetwork, account: Account, name: string): Promise<Account> {
  const device = track(net, await Account.importArchive(join(net.dir, `${name}-${Math.random().toString(36).slice(2, 8)}`), account.exportArchive('pass'), 'pass', { displayName: name }))
  const linked = nextEvent(account, 'deviceAdded', (id) => id === device.deviceId, 30_000)
  await device.start({ bootstrap: net.bootstrap })
  await linked
  return device
}

/** A new group of `host`'s (or `id`) to which `invitee` is invited; resolves once the request arrived. */
export async function offer(host: Account, invitee: Account, options: { id?: string; title?: string } = {}): Promise<string> {
  const id = options.id ?? host.startConversation(options.title === undefined ? {} : { title: options.title })
  const request = next(invitee, 'conversationRequestReceived', (cid) => cid === id)
  host.addConversationMember(id, invitee.uri)
  await request
  return id
}

/** Resolves once `a` and `b` hold a verified connection (ring links form once each has the other's device certificate). */
export function linked(a: Account, b: Account, timeoutMs = 20_000): Promise<void> {
  return until(() => a.node.onlinePeers().some((p) => p.deviceId === b.deviceId) && b.node.onlinePeers().some((p) => p.deviceId === a.deviceId), `${a.displayName} and ${b.displayName} linked`, timeoutMs)
}
