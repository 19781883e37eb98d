/**
 * Convergence when many write at once (issue 22): 8–12 devices of as many accounts in one
 * group; a burst of 10–30 messages from random writers while the announcements (each device
 * fetching from the writer) arrive in a random order interleaved with the writes, as the
 * Account does it — a diverged history is held, not merged — and a merge by the first device
 * of the merge order may fire early, mid-burst (a quiet gap). Then the merge order plays out
 * (src/account/merging.ts): the first device that holds heads merges them and everyone
 * fetches from it; the next one only if something is still apart.
 *
 * An announcement is a fetch from the announcer queued at every other device.
 *
 * Properties: every message is everywhere, one head, nothing held; every merge commit of
 * the burst comes from a merge round (none from a fetch); and each round writes at most one
 * merge per writer of the burst — so a burst by w writers with no early merge ends with at
 * most w merges.
 * Used by test/swarm/convergence.test.ts (fixed seed) and `npm run bench`.
 * @module
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { mergeRank } from '../src/account/merging.js'
import { createAccount, type DeviceIdentity } from '../src/identity/identity.js'
import { Conversation } from '../src/swarm/conversation.js'
import { cloneFrom, pull } from './convergence.js'

export const MAX_DEVICES = 12

export interface BurstPlan {
  devices: number
  /** The writer of each message (taken modulo `devices`). */
  writers: number[]
  /** Drives the schedule: each step writes the next message or delivers a pending announcement. */
  steps: number[]
  /** Step indexes (modulo the schedule length) where the first device merges early. */
  early: number[]
}

export const burstArbitrary: fc.Arbitrary<BurstPlan> = fc.integer({ min: 8, max: MAX_DEVICES }).chain((devices) =>
  fc.record({
    devices: fc.constant(devices),
    writers: fc.array(fc.nat(devices - 1), { minLength: 10, maxLength: 30 }),
    steps: fc.array(fc.nat(1000), { minLength: 200, maxLength: 200 }),
    early: fc.array(fc.nat(400), { maxLength: 2 }),
  }),
)

export interface BurstStats {
  messages: number
  /** Distinct writers of the burst. */
  writers: number
  /** Merge commits the burst left, with held heads and merge rounds. */
  merges: number
  /** Merge rounds that wrote something (early ones included). */
  rounds: number
}

interface Group {
  dir: string
  identities: DeviceIdentity[]
}

let template: Promise<Group> | undefined

/** One group of MAX_DEVICES members with one head everywhere, built once per process and copied for each run. */
function groupTemplate(): Promise<Group> {
  template ??= (async () => {
    const seed = (n: number) => new Uint8Array(32).fill(n)
    const identities: DeviceIdentity[] = []
    for (let i = 0; i < MAX_DEVICES; i++) identities.push(await createAccount({ displayName: `w${i}`, seeds: { ca: seed(200 + i), account: seed(100 + i), device: seed(i + 1) } }))
    const dir = mkdtempSync(join(tmpdir(), 'gitswarm-burst-template-'))
    let clock = 1_795_800_000
    const tick = () => ++clock
    const host = Conversation.create(identities[0]!, { path: join(dir, 'd0'), clock: tick })
    const convs = [host]
    for (let i = 1; i < MAX_DEVICES; i++) {
      host.addMember(identities[i]!.uri)
      const c = await cloneFrom(host, identities[i]!, join(dir, `d${i}`), tick)
      c.join()
      await pull(host, c)
      convs.push(c)
    }
    for (const c of convs) await pull(c, host)
    for (const c of convs) c.close()
    return { dir, identities }
  })()
  return template
}

/** Runs one plan on a fresh copy of the group; throws when a property fails. */
export async function runBurst(plan: BurstPlan): Promise<BurstStats> {
  const group = await groupTemplate()
  const dir = mkdtempSync(join(tmpdir(), 'gitswarm-burst-'))
  let clock = 1_795_900_000
  const tick = () => ++clock
  const convs: Conversation[] = []
  try {
    for (let i = 0; i < plan.devices; i++) {
      cpSync(join(group.dir, `d${i}`), join(dir, `d${i}`), { recursive: true })
      convs.push(Conversation.open(join(dir, `d${i}`), { identity: group.identities[i], clock: tick, autoRepack: false }))
    }
    const start = new Set(convs[0]!.history().all().map((e) => e.id))
    const devices = convs.map((c) => c.identity!.deviceId)
    const order = [...convs.keys()].sort((a, b) => mergeRank(convs[0]!.id, devices[a]!, devices) - mergeRank(convs[0]!.id, devices[b]!, devices))
    const written: string[] = []
    const pending: Array<{ to: number; from: number }> = []
    let rounds = 0
    let roundMerges = 0
    const writers = new Set<number>()
    /** The merge order plays out from the first device: merge what it holds, everyone fetches from it. */
    const mergeRound = async (only?: number): Promise<void> => {
      for (const d of only === undefined ? order : [only]) {
        if (convs[d]!.heldHeads().length === 0) continue
        const made = convs[d]!.mergeHeld()
        if (made.length > writers.size) throw new Error(`device ${d} wrote ${made.length} merges in one round for ${writers.size} writers`)
        roundMerges += made.length
        rounds += made.length > 0 ? 1 : 0
        for (let to = 0; to < convs.length; to++) if (to !== d) await pull(convs[to]!, convs[d]!, true)
        if (oneHead(convs)) return
      }
    }
    let next = 0
    for (let step = 0; next < plan.writers.length || pending.length > 0; step++) {
      const choice = plan.steps[step % plan.steps.length]! + step
      if (plan.early.some((e) => e % 400 === step)) await mergeRound(order[0])
      if (next < plan.writers.length && (pending.length === 0 || choice % 3 === 0)) {
        const w = plan.writers[next++]! % plan.devices
        writers.add(w)
        written.push(convs[w]!.sendMessage(`burst ${next} from w${w}`))
        for (let to = 0; to < convs.length; to++) if (to !== w) pending.push({ to, from: w })
      } else {
        const [{ to, from }] = pending.splice(choice % pending.length, 1) as [{ to: number; from: number }]
        await pull(convs[to]!, convs[from]!, true)
      }
    }
    await mergeRound()
    if (!oneHead(convs)) throw new Error(`no single head after the merge rounds: ${new Set(convs.map((c) => c.head)).size} heads, ${convs.reduce((n, c) => n + c.heldHeads().length, 0)} held`)
    for (const [i, c] of convs.entries()) {
      const history = c.history()
      const lost = written.filter((id) => !history.has(id))
      if (lost.length > 0) throw new Error(`device ${i} lacks ${lost.length} of the ${written.length} messages`)
    }
    const merges = convs[0]!.history().all().filter((e) => e.kind === 'merge' && !start.has(e.id)).length
    if (merges !== roundMerges) throw new Error(`${merges} merge commits in the history, ${roundMerges} written by merge rounds: a fetch merged`)
    return { messages: written.length, writers: writers.size, merges, rounds }
  } finally {
    for (const c of convs) c.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function oneHead(convs: Conversation[]): boolean {
  return convs.every((c) => c.head === convs[0]!.head && c.heldHeads().length === 0)
}
