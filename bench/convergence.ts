/**
 * The convergence property (issue #4): 3–6 devices of several accounts do random operations
 * under random partitions and random pairwise syncs; after healing and syncing every pair,
 * every device must hold the same members and the same accepted messages, nothing written
 * must be lost, and no commit may come from a member already banned in its own history.
 *
 * Precondition: the creator's account never leaves. A merge must be signed by a member of
 * the merged history (reference §4.1 V6), so if every member leaves on a different branch no
 * one can ever join those branches — a conversation everyone left is dead, in Jami as here.
 * (Found by this very test, seed 20261123, before the precondition was stated.)
 * Used by test/swarm/convergence.test.ts (fixed seeds) and by `npm run bench` (longer runs).
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { GitswarmError } from '../src/errors.js'
import { duplexPair } from '../src/git/duplex-pair.js'
import { addDevice, createAccount, type DeviceIdentity } from '../src/identity/identity.js'
import { Conversation } from '../src/swarm/conversation.js'
import { membersOf } from '../src/swarm/members.js'
import { verifyRepository } from '../src/swarm/verify.js'
import { field, parseCommitMessage } from '../src/validation/commit-message.js'

const ACCOUNTS = ['alice', 'bob', 'carol', 'dave'] as const
/** Device i belongs to account ROSTER[i]: alice twice, bob twice. */
const ROSTER = [0, 1, 2, 0, 3, 1] as const

export type Op =
  | { kind: 'msg' | 'edit' | 'join' | 'leave'; d: number }
  | { kind: 'react'; d: number; k: number }
  | { kind: 'invite' | 'ban' | 'unban'; d: number; k: number }
  | { kind: 'profile'; d: number; title: string }
  | { kind: 'partition'; mask: number }
  | { kind: 'heal' }
  | { kind: 'sync'; from: number; to: number }

export interface Plan {
  devices: number
  ops: Op[]
}

export const planArbitrary: fc.Arbitrary<Plan> = fc.integer({ min: 3, max: 6 }).chain((devices) => {
  const d = fc.integer({ min: 0, max: devices - 1 })
  const k = fc.integer({ min: 0, max: ACCOUNTS.length - 1 })
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('msg' as const, 'edit' as const), d }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('join' as const, 'leave' as const), d }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('react' as const), d, k: fc.nat(20) }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('invite' as const, 'ban' as const, 'unban' as const), d, k }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('profile' as const), d, title: fc.constantFrom('red', 'green', 'blue') }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('partition' as const), mask: fc.nat((1 << devices) - 1) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: d, to: d }) },
  )
  // Invites and joins first, so most runs have several members to work with.
  const warmup: Op[] = [
    { kind: 'invite', d: 0, k: 1 },
    { kind: 'invite', d: 0, k: 2 },
    { kind: 'sync', from: 0, to: 1 },
    { kind: 'sync', from: 0, to: 2 },
    { kind: 'join', d: 1 },
    { kind: 'join', d: 2 },
  ]
  return fc.record({ devices: fc.constant(devices), ops: fc.array(op, { minLength: 5, maxLength: 35 }).map((ops) => [...warmup, ...ops]) })
})

let identities: Promise<DeviceIdentity[]> | undefined

/** The six devices (deterministic keys): alice ×2, bob ×2, carol, dave. */
function devicesOf(): Promise<DeviceIdentity[]> {
  identities ??= (async () => {
    const seed = (n: number) => new Uint8Array(32).fill(n)
    const accounts = await Promise.all(ACCOUNTS.map((displayName, i) => createAccount({ displayName, seeds: { ca: seed(i * 4 + 1), account: seed(i * 4 + 2), device: seed(i * 4 + 3) } })))
    const out: DeviceIdentity[] = []
    for (let i = 0; i < ROSTER.length; i++) {
      const acc = accounts[ROSTER[i]!]!
      out.push(out.some((x) => x.uri === acc.uri) ? await addDevice(acc, { seed: seed(100 + i) }) : acc)
    }
    return out
  })()
  return identities
}

export interface RunStats {
  attempted: number
  written: number
  syncs: number
  merges: number
  rounds: number
}

/** Runs one plan; throws (with a precise message) if a property does not hold. */
export async function runPlan(plan: Plan, root = tmpdir()): Promise<RunStats> {
  const all = await devicesOf()
  const ids = all.slice(0, plan.devices)
  const dir = mkdtempSync(join(root, 'gitswarm-converge-'))
  let clock = 1_795_700_000
  const tick = () => ++clock
  const stats: RunStats = { attempted: 0, written: 0, syncs: 0, merges: 0, rounds: 0 }
  const written = new Set<string>()
  try {
    const convs: Conversation[] = [Conversation.create(ids[0]!, { path: join(dir, 'd0'), clock: tick })]
    for (let i = 1; i < ids.length; i++) convs.push(await cloneFrom(convs[0]!, ids[i]!, join(dir, `d${i}`), tick))
    let groups: number | undefined // bitmask of the devices on side A of a partition
    const together = (a: number, b: number) => groups === undefined || ((groups >> a) & 1) === ((groups >> b) & 1)
    const sync = async (from: number, to: number): Promise<void> => {
      if (from === to || !together(from, to)) return
      const r = await pull(convs[to]!, convs[from]!)
      stats.syncs++
      if (r === 'merged') stats.merges++
    }
    const uriOf = (k: number) => all[ROSTER.indexOf(k as 0)]!.uri
    for (const op of plan.ops) {
      if (op.kind === 'partition') groups = op.mask
      else if (op.kind === 'heal') groups = undefined
      else if (op.kind === 'sync') await sync(op.from % ids.length, op.to % ids.length)
      else {
        stats.attempted++
        const c = convs[op.d % ids.length]!
        const made = attempt(() => perform(c, op, uriOf))
        for (const id of made) written.add(id)
        stats.written += made.length
      }
    }
    // Heal, then sync every ordered pair until no head moves.
    groups = undefined
    for (let round = 0; round < 10; round++) {
      const before = convs.map((c) => c.head).join()
      for (let to = 0; to < convs.length; to++) for (let from = 0; from < convs.length; from++) await sync(from, to)
      stats.rounds = round + 1
      if (convs.map((c) => c.head).join() === before) break
    }
    check(convs, written)
    const report = await verifyRepository(convs[0]!.path)
    if (!report.ok) throw new Error(`converged history is invalid: ${report.rejection?.reason}`)
    return stats
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs an operation; refusals (typed errors) are part of the game. */
function attempt(op: () => string | string[] | undefined): string[] {
  try {
    const r = op()
    return r === undefined ? [] : Array.isArray(r) ? r : [r]
  } catch (err) {
    if (err instanceof GitswarmError) return []
    throw err
  }
}

function perform(c: Conversation, op: Exclude<Op, { kind: 'partition' | 'heal' | 'sync' }>, uriOf: (k: number) => string): string | string[] | undefined {
  const me = c.identity!
  switch (op.kind) {
    case 'msg':
      return c.sendMessage(`message from ${me.displayName}`)
    case 'edit': {
      const mine = c.loadMessages({ n: 20 }).find((m) => m.author === me.uri && m.type === 'text/plain')
      return mine ? c.editMessage(mine.id, `${mine.body['body']} (edited)`) : undefined
    }
    case 'react': {
      const msgs = c.loadMessages({ n: 21 }).filter((m) => m.type === 'text/plain')
      return msgs.length ? c.addReaction(msgs[op.k % msgs.length]!.id, '👍') : undefined
    }
    case 'invite':
      return c.addMember(uriOf(op.k))
    case 'join':
      return c.join()
    case 'leave':
      // The creator's account stays (see the precondition above).
      return me.uri === uriOf(0) ? undefined : c.leave()
    case 'ban':
      return c.banMember(uriOf(op.k))
    case 'unban':
      return c.unbanMember(uriOf(op.k))
    case 'profile':
      return c.updateProfile({ title: op.title })
  }
}

/** `to` fetches from `from` over an in-memory stream (holding diverged heads with `hold`); the result. */
export async function pull(to: Conversation, from: Conversation, hold = false): Promise<string> {
  const [server, client] = duplexPair()
  const serving = from.serve(server)
  try {
    return (await to.syncFrom(client, from.identity!.deviceId, { hold })).result
  } finally {
    client.end()
    await serving
  }
}

/** Clones `from`'s conversation into `path` for `identity`. */
export async function cloneFrom(from: Conversation, identity: DeviceIdentity, path: string, clock: () => number): Promise<Conversation> {
  const [server, client] = duplexPair()
  const serving = from.serve(server)
  try {
    return await Conversation.clone(client, { identity, peer: from.identity!.deviceId, path, clock })
  } finally {
    client.end()
    await serving
  }
}

function check(convs: Conversation[], written: Set<string>): void {
  const heads = new Set(convs.map((c) => c.head))
  const members = convs.map((c) => JSON.stringify(c.members().sort((a, b) => a.uri.localeCompare(b.uri))))
  if (new Set(members).size !== 1) throw new Error(`member states differ after healing:\n${[...new Set(members)].join('\n')}`)
  const accepted = convs.map((c) => new Set(c.history().all().map((e) => e.id)))
  for (const [i, set] of accepted.entries()) {
    for (const id of written) if (!set.has(id)) throw new Error(`device ${i} lost commit ${id} (heads: ${[...heads].join(', ')})`)
    const messages = (s: Set<string>) => [...s].filter((id) => convs[i]!.history().get(id)!.kind !== 'merge').sort().join()
    if (messages(set) !== messages(accepted[0]!)) throw new Error(`device ${i} accepted other messages than device 0`)
  }
  // No commit from an account banned in its own first-parent history.
  const c = convs[0]!
  for (const entry of c.history().all()) {
    if (entry.kind === 'merge' || entry.parents.length === 0) continue
    const commit = c.view.commit(entry.id)
    const parsed = parseCommitMessage(commit.fields.message)
    if (parsed.ok && field(parsed.value, 'type') === 'member' && field(parsed.value, 'action') === 'join') continue
    const role = membersOf(c.view.commit(entry.parents[0]!).tree).find((m) => m.uri === entry.uri)?.role
    if (role === 'banned') throw new Error(`commit ${entry.id} was written by ${entry.uri}, banned in its parent`)
  }
}
