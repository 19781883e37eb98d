/**
 * A group where several people write at once, with real Accounts on one loopback Tox
 * network: the first account befriends the others and invites them all into one group, then
 * `messages` texts go out `intervalMs` apart, from the first account alone or from every
 * member in turn. Measured: last send → every member shows every message, then → one head
 * everywhere, and the merge commits the burst left in the history. Used by the suite
 * (test/account/group-storm.test.ts) and by `npm run bench`.
 * @module
 */
import type { Account } from '../../src/account/account.js'
import { conversationNeighbours } from '../../src/account/peers.js'
import { befriend, invite } from './social.js'
import { until } from '../until.js'

export interface StormOptions {
  /** Who writes: the first account alone, or every member in turn. */
  writers: 'one' | 'rotating'
  /** Texts in the burst (default 30). */
  messages?: number
  /** Between two sends (default 50 ms). */
  intervalMs?: number
  /** Bound on each wait (default 120 s). */
  timeoutMs?: number
}

export interface StormResult {
  members: number
  writers: StormOptions['writers']
  messages: number
  /** Last send → every member shows every text. */
  deliveryMs: number
  /** Then → one head on every member, nothing held back. */
  oneHeadMs: number
  /** Distinct heads among the members when the last text arrived everywhere. */
  headsAtDelivery: number
  /** Merge commits the burst added to the history. */
  merges: number
  /** CPU this process used from the first send to one head (every account shares it here). */
  cpuMs: number
}

/** Makes `accounts[0]` the host of a new group with all the others in it, every ring link up and one head. */
export async function formGroup(accounts: Account[], timeoutMs = 120_000): Promise<string> {
  const [host, ...others] = accounts
  for (const m of others) await befriend(host!, m)
  const id = host!.startConversation({ title: `storm of ${accounts.length}` })
  for (const m of others) await invite(host!, id, m)
  const joined = (a: Account) => a.conversation(id).members().filter((m) => m.role === 'member' || m.role === 'admin').length === accounts.length
  await until(() => accounts.every(joined), 'every join at every member', timeoutMs)
  const linked = (a: Account) => {
    const online = new Set(a.node.onlinePeers().map((p) => p.deviceId))
    return conversationNeighbours(a.conversation(id), a.deviceId).every((d) => online.has(d.deviceId))
  }
  await until(() => accounts.every(linked), () => `ring links (${accounts.filter((a) => !linked(a)).map((a) => a.displayName).join(', ')} missing some)`, timeoutMs)
  await until(() => oneHead(accounts, id), 'one head before the burst', timeoutMs)
  return id
}

/** Whether every account has the same head and holds nothing apart from it. */
export function oneHead(accounts: Account[], id: string): boolean {
  const convs = accounts.map((a) => a.conversation(id))
  return convs.every((c) => c.head === convs[0]!.head && c.heldHeads().length === 0)
}

/** The burst on a formed group (formGroup), measured. */
export async function storm(accounts: Account[], id: string, options: StormOptions): Promise<StormResult> {
  const messages = options.messages ?? 30
  const interval = options.intervalMs ?? 50
  const timeoutMs = options.timeoutMs ?? 120_000
  const before = new Set(accounts[0]!.conversation(id).history().all().map((e) => e.id))
  const texts = Array.from({ length: messages }, (_, i) => `storm ${i} of ${messages}`)
  const seen = accounts.map(() => new Set<string>())
  const listeners = accounts.map((a, i) => {
    const listener = (cid: string, m: { body: Record<string, string> }) => {
      if (cid === id && m.body['body']?.startsWith('storm ')) seen[i]!.add(m.body['body'])
    }
    a.on('swarmMessageReceived', listener)
    return listener
  })
  const cpu = process.cpuUsage()
  try {
    for (let i = 0; i < messages; i++) {
      const w = options.writers === 'one' ? 0 : i % accounts.length
      accounts[w]!.sendMessage(id, texts[i]!)
      seen[w]!.add(texts[i]!)
      if (i < messages - 1) await new Promise((r) => setTimeout(r, interval))
    }
    const lastSend = performance.now()
    const missing = () => accounts.map((a, i) => `${a.displayName} ${seen[i]!.size}/${messages}`).filter((s) => !s.endsWith(` ${messages}/${messages}`)).join(', ')
    await until(() => seen.every((s) => s.size === messages), () => `every text at every member (short: ${missing()})`, timeoutMs)
    const delivered = performance.now()
    const headsAtDelivery = new Set(accounts.map((a) => a.conversation(id).head)).size
    await until(() => oneHead(accounts, id), () => `one head (${new Set(accounts.map((a) => a.conversation(id).head)).size} heads, ${accounts.reduce((n, a) => n + a.conversation(id).heldHeads().length, 0)} held)`, timeoutMs)
    const converged = performance.now()
    const used = process.cpuUsage(cpu)
    const history = accounts[0]!.conversation(id).history().all()
    const shown = new Set(accounts[0]!.conversation(id).loadMessages({ n: 0 }).map((m) => m.body['body']))
    const lost = texts.filter((t) => !shown.has(t))
    if (lost.length > 0) throw new Error(`one head, but ${lost.length} texts are not in its history: ${lost.join(', ')}`)
    return {
      members: accounts.length,
      writers: options.writers,
      messages,
      deliveryMs: delivered - lastSend,
      oneHeadMs: converged - delivered,
      headsAtDelivery,
      merges: history.filter((e) => e.kind === 'merge' && !before.has(e.id)).length,
      cpuMs: (used.user + used.system) / 1000,
    }
  } finally {
    accounts.forEach((a, i) => a.off('swarmMessageReceived', listeners[i]!))
  }
}

/** One line for logs and the bench. */
export function describeStorm(r: StormResult): string {
  return `${r.members} members, ${r.writers === 'one' ? 'one writer' : 'rotating writers'}, ${r.messages} texts: delivered everywhere ${(r.deliveryMs / 1000).toFixed(2)} s after the last send (${r.headsAtDelivery} heads then), one head ${(r.oneHeadMs / 1000).toFixed(2)} s later, ${r.merges} merge commits; ${(r.cpuMs / 1000).toFixed(1)} s of CPU`
}
