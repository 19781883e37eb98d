/**
 * The fault-injection harness (issue #12): three devices of three accounts share a
 * conversation over in-memory links that lose, duplicate, reorder and delay announcements,
 * cut fetch streams part way, partition and heal; devices crash at injected kill points
 * (mid-append, mid-fetch, mid-merge, mid-index-write, mid-repack) and restart from what is on
 * disk, clearing leftovers as an Account does when it starts. After healing and a quiet
 * period the property must hold:
 *
 * - every device has the same head;
 * - no acknowledged message is lost (every id `sendMessage` returned is in every history);
 * - every repository passes `gitswarm verify` and `git fsck --strict`;
 * - the history index on disk equals one rebuilt from scratch.
 *
 * A crash is a throw at a fault point (src/util/fault-points.ts): what the process wrote to
 * the kernel stays, everything in memory goes — a process crash, not a power cut (the flush
 * order for those is checked in test/git/durability.test.ts). Schedules come from a seed and
 * replay exactly: `npm run faults -- --seed N --schedules 1`.
 * @module
 */
import { cpSync, existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { duplexPair } from '../src/git/duplex-pair.js'
import { recoverRepository } from '../src/git/recovery.js'
import { prng } from '../src/dht/testnet.js'
import { createAccount, type DeviceIdentity } from '../src/identity/identity.js'
import { Conversation } from '../src/swarm/conversation.js'
import { brokenOnPurpose, setFaultHook, type FaultPoint } from '../src/util/fault-points.js'
import { forgeCommit } from '../src/conformance/forge.js'
import { textMessage } from '../src/swarm/messages.js'
import type { Figure } from './util.js'
import { checkProperty } from './fault-checks.js'

/**
 * The fetch errors a schedule causes on purpose (cut streams, peers crashed mid-fetch, idle
 * timeouts) and their consequences; anything else a fetch throws fails the schedule.
 */
const EXPECTED_FETCH_ERRORS = new Set<string>([
  'ERR_CORRUPT_OBJECT', // a pack or a request cut short
  'ERR_TIMEOUT', // a peer that went quiet (crashed) mid-fetch
  'ERR_LOCKED', // two fetches into one device at once: one waits its turn, or gives up
])

/** A crash injected at a fault point: the device's process is gone from here on. */
export class SimulatedCrash extends Error {
  constructor(readonly point: FaultPoint) {
    super(`simulated crash at ${point}`)
  }
}

/** What the faults cost and did, summed over schedules. */
export interface FaultStats {
  schedules: number
  appends: number
  acknowledged: number
  crashes: Partial<Record<FaultPoint, number>>
  restarts: number
  fetches: number
  cutStreams: number
  lostAnnouncements: number
  duplicatedAnnouncements: number
  partitions: number
  repacks: number
  merges: number
  quietRounds: number
  /** Devices whose index file was behind their head at the end (allowed: the next open extends it). */
  indexBehind: number
  /** Fetch errors taken as part of the schedule, by side and code (any other kind fails it). */
  swallowed: Record<string, number>
}

export function emptyStats(): FaultStats {
  return { schedules: 0, appends: 0, acknowledged: 0, crashes: {}, restarts: 0, fetches: 0, cutStreams: 0, lostAnnouncements: 0, duplicatedAnnouncements: 0, partitions: 0, repacks: 0, merges: 0, quietRounds: 0, indexBehind: 0, swallowed: {} }
}

interface Device {
  index: number
  identity: DeviceIdentity
  path: string
  conv: Conversation | undefined
  /** Dead since its crash, until restarted: every write it still attempts dies too. */
  dead: boolean
  /** Crash at the n-th fault point from now (0: not armed). */
  crashIn: number
  /** Or crash the next time it reaches this point. */
  crashAt: FaultPoint | undefined
  inflight: Set<Promise<unknown>>
  streams: Set<Duplex>
}

interface Template {
  dir: string
  identities: DeviceIdentity[]
  /** An account that is no member: what it signs breaks the rules (for brokenOnPurpose.acceptUnvalidated). */
  stranger: DeviceIdentity
  repo: string
}

const DEVICES = 3
/** Every kill point of the engine (src/util/fault-points.ts). */
export const FAULT_POINTS: readonly FaultPoint[] = ['object:temp-written', 'object:renamed', 'ref:locked', 'ref:written', 'pack:received', 'pack:renamed', 'index:appending', 'index:rewriting', 'sync:quarantined', 'sync:validated', 'merge:committed', 'gc:pack-installed']
let template: Promise<Template> | undefined

/** One conversation with three members who have joined, built once per process and copied per schedule. */
function makeTemplate(root: string): Promise<Template> {
  template ??= (async () => {
    const seed = (n: number) => new Uint8Array(32).fill(n)
    // Fixed keys, dates and serials: the same template, so the same commit ids, in every process.
    const notBefore = new Date('2026-01-01T00:00:00Z')
    const identities = await Promise.all(['alice', 'bob', 'carol'].map((displayName, i) => createAccount({ displayName, seeds: { ca: seed(40 + i * 3), account: seed(41 + i * 3), device: seed(42 + i * 3) }, notBefore, deterministic: true })))
    const dir = mkdtempSync(join(root, 'gitswarm-faults-template-'))
    let clock = 1_795_000_000
    const conv = Conversation.create(identities[0]!, { path: join(dir, 'repo'), clock: () => ++clock, autoRepack: false })
    for (const other of identities.slice(1)) conv.addMember(other.uri)
    for (const other of identities.slice(1)) {
      const as = Conversation.open(conv.path, { identity: other, clock: () => ++clock, autoRepack: false })
      as.join()
      as.close()
    }
    conv.history()
    conv.close()
    const stranger = await createAccount({ displayName: 'stranger', seeds: { ca: seed(60), account: seed(61), device: seed(62) }, notBefore, deterministic: true })
    return { dir, identities, stranger, repo: join(dir, 'repo') }
  })()
  return template
}

/** Scratch space on tmpfs when there is one: the harness measures the engine, not the disk. */
export function scratchRoot(): string {
  if (!existsSync('/dev/shm')) return tmpdir()
  const fs = statfsSync('/dev/shm')
  // A container's /dev/shm may be 64 MiB: use it only with room to spare.
  return fs.bavail * fs.bsize > 256 * 1024 * 1024 ? '/dev/shm' : tmpdir()
}

export interface ScheduleOptions {
  /** Steps of random operations before the quiet period (default 30). */
  steps?: number
  /** Run git fsck --strict on every repository (default true). */
  fsck?: boolean
}

/** Runs one seeded schedule; throws an Error naming the seed and the broken property if one fails. */
export async function runSchedule(seed: number, stats: FaultStats, options: ScheduleOptions = {}): Promise<void> {
  const root = scratchRoot()
  const t = await makeTemplate(root)
  const rand = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const chance = (p: number): boolean => rand() < p
  const dir = mkdtempSync(join(root, `gitswarm-faults-${seed}-`))
  let clock = 1_796_000_000 + seed
  const tick = (): number => ++clock
  const acked = new Set<string>()
  let written = 0
  const devices: Device[] = t.identities.map((identity, index) => {
    const path = join(dir, `d${index}`)
    cpSync(t.repo, path, { recursive: true })
    return { index, identity, path, conv: undefined, dead: false, crashIn: 0, crashAt: undefined, inflight: new Set(), streams: new Set() }
  })
  const byGitdir = new Map<string, Device>()
  const open = (d: Device): void => {
    recoverRepository(d.path) // what Account.start does, under its run lock
    d.conv = Conversation.open(d.path, { identity: d.identity, clock: tick, autoRepack: false })
    byGitdir.set(d.conv.repo.gitdir, d)
    d.dead = false
  }
  devices.forEach(open)
  if (brokenOnPurpose.acceptUnvalidated) {
    // What the broken engine lets in: a message signed by a device of no member, on device 0.
    const conv = devices[0]!.conv!
    conv.repo.refs.update('refs/heads/main', forgeCommit(conv.repo, { author: t.stranger, parents: [conv.head], message: textMessage('from a stranger') }))
  }
  const crash = (d: Device, point: FaultPoint): never => {
    if (!d.dead) {
      d.dead = true
      stats.crashes[point] = (stats.crashes[point] ?? 0) + 1
      d.conv?.close()
      d.conv = undefined
      for (const s of d.streams) s.destroy()
      d.streams.clear()
    }
    throw new SimulatedCrash(point)
  }
  setFaultHook((point, gitdir) => {
    const d = byGitdir.get(gitdir)
    if (!d) return
    if (d.dead) throw new SimulatedCrash(point)
    if (d.crashAt === point || (d.crashIn > 0 && --d.crashIn === 0)) {
      d.crashAt = undefined
      d.crashIn = 0
      crash(d, point)
    }
  })

  let side: number | undefined // bitmask: devices on side A of a partition
  const linked = (a: number, b: number): boolean => side === undefined || ((side >> a) & 1) === ((side >> b) & 1)
  const queue: Array<{ from: number; to: number }> = []
  const errors: unknown[] = []
  /**
   * An error of a fetch (the client's or the server's side): counted by kind. A cut stream, a
   * peer that crashed mid-serve, a timeout — those are what the schedules cause; any other
   * kind is a failure of the schedule, reported at its end.
   */
  const swallow = (side: 'client' | 'server', err: unknown): void => {
    if (err instanceof SimulatedCrash) return
    const code = (err as { code?: string }).code
    const kind = `${side} ${code ?? (err instanceof Error ? err.name : typeof err)}`
    stats.swallowed[kind] = (stats.swallowed[kind] ?? 0) + 1
    if (!code || !EXPECTED_FETCH_ERRORS.has(code)) errors.push(err instanceof Error ? Object.assign(err, { message: `unexpected ${kind} during a fetch: ${err.message}` }) : new Error(`unexpected ${kind}: ${String(err)}`))
  }
  const track = (d: Device, p: Promise<unknown>): void => {
    const wrapped = p.catch((err) => swallow('client', err))
    d.inflight.add(wrapped)
    void wrapped.finally(() => d.inflight.delete(wrapped))
  }
  const fetch = (to: Device, from: Device, cut: boolean): void => {
    if (!to.conv || !from.conv || to.dead || from.dead || !linked(to.index, from.index)) return
    stats.fetches++
    const [server, client] = duplexPair()
    if (cut) {
      stats.cutStreams++
      let budget = 200 + Math.floor(rand() * 4000)
      const write = server.write.bind(server)
      server.write = ((chunk: Buffer, ...rest: never[]) => {
        budget -= chunk.length
        if (budget < 0) {
          server.destroy()
          client.destroy()
          return false
        }
        return write(chunk, ...rest)
      }) as typeof server.write
    }
    // A crash of either device hangs up both ends (in-memory streams do not carry a reset).
    for (const x of [from, to]) (x.streams.add(server), x.streams.add(client))
    for (const s of [server, client]) s.on('error', () => undefined)
    const serving = from.conv.serve(server, { timeoutMs: 2000 }).catch((err) => swallow('server', err))
    const syncing = to.conv
      .syncFrom(client, from.identity.deviceId, { timeoutMs: 2000 })
      .then((r) => {
        if (r.result === 'merged') stats.merges++
      })
      .finally(() => {
        // Hang up whatever happened, so the server is not left waiting for its idle timeout.
        client.end()
        setImmediate(() => (server.destroy(), client.destroy()))
        for (const x of [from, to]) (x.streams.delete(server), x.streams.delete(client))
      })
    track(to, syncing.finally(() => serving))
  }
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 50 && devices.some((d) => d.inflight.size > 0); i++) await Promise.all(devices.flatMap((d) => [...d.inflight]))
  }
  const append = (d: Device, announce = true): void => {
    if (!d.conv || d.dead) return
    stats.appends++
    try {
      const roll = rand()
      const profile = roll < 0.06 && d.index === 0 // only the admin may
      const id = profile ? d.conv.updateProfile({ title: pick(['red', 'green', 'blue']) }) : d.conv.sendMessage(`m${++written} from ${d.index}`)
      if (!profile) acked.add(id) // only messages count; a profile edit may lose a merge tie
      stats.acknowledged++
      for (const other of announce ? devices : []) {
        if (other === d) continue
        if (chance(0.2)) {
          stats.lostAnnouncements++
          continue
        }
        queue.push({ from: d.index, to: other.index })
        if (chance(0.1)) (stats.duplicatedAnnouncements++, queue.push({ from: d.index, to: other.index }))
      }
    } catch (err) {
      if (!(err instanceof SimulatedCrash)) throw err
    }
  }

  try {
    // Each schedule first drives one device into a crash at its focus point (the seed picks
    // it, in turn): left to chance, a crash in a pack fetch (a burst, then a fetch of it) came
    // about twice in a thousand schedules; this way CI's 200 crash at every point.
    const focus = FAULT_POINTS[seed % FAULT_POINTS.length]!
    const victim = pick(devices)
    const peer = devices[(victim.index + 1 + Math.floor(rand() * (DEVICES - 1))) % DEVICES]!
    victim.crashAt = focus
    if (focus.startsWith('pack:')) {
      for (let i = 0; i < 110 && !peer.dead; i++) append(peer, false)
      fetch(victim, peer, false)
    } else if (focus === 'gc:pack-installed') {
      append(victim, false)
      try {
        victim.conv?.repack()
        stats.repacks++
      } catch (err) {
        if (!(err instanceof SimulatedCrash)) throw err
      }
    } else if (focus.startsWith('sync:') || focus === 'merge:committed') {
      append(peer)
      if (focus === 'merge:committed') append(victim)
      fetch(victim, peer, false)
    } else append(victim)
    await settle()
    victim.crashAt = undefined
    const steps = options.steps ?? 30
    for (let step = 0; step < steps; step++) {
      const r = rand()
      const d = pick(devices)
      if (r < 0.4) append(d)
      else if (r < 0.6 && queue.length > 0) {
        // Deliver a random queued announcement: the queue order is not the send order.
        const [a] = queue.splice(Math.floor(rand() * queue.length), 1)
        fetch(devices[a!.to]!, devices[a!.from]!, chance(0.15))
      } else if (r < 0.7) fetch(d, pick(devices.filter((x) => x !== d)), chance(0.15))
      else if (r < 0.73) d.crashIn = 1 + Math.floor(rand() * 8)
      else if (r < 0.77) d.crashAt = pick(FAULT_POINTS)
      else if (r < 0.78 && d.conv && !d.dead) {
        // A burst: enough new objects that the next fetch of them comes as a pack, not loose.
        for (let i = 0; i < 110 && !d.dead; i++) append(d, false)
      }
      else if (r < 0.83) {
        side = 1 + Math.floor(rand() * ((1 << DEVICES) - 2))
        stats.partitions++
      } else if (r < 0.87) side = undefined
      else if (r < 0.9 && d.conv && !d.dead) {
        try {
          d.conv.repack()
          stats.repacks++
        } catch (err) {
          if (!(err instanceof SimulatedCrash)) throw err
        }
      } else if (r < 0.96) {
        // Let in-flight work run for a moment (a delay), without waiting for all of it.
        await new Promise((resolve) => setImmediate(resolve))
      } else await settle()
      // A crashed device restarts once its in-flight work has died out.
      for (const x of devices) {
        if (x.dead && x.inflight.size === 0 && chance(0.5)) {
          open(x)
          stats.restarts++
        }
      }
    }
    // Heal and quiet: no more crashes, everyone up, every ordered pair synced until no head moves.
    side = undefined
    for (const x of devices) (x.crashIn = 0), (x.crashAt = undefined)
    await settle()
    for (const x of devices) if (x.dead || !x.conv) (open(x), stats.restarts++)
    for (let round = 0; round < 12; round++) {
      const before = devices.map((x) => x.conv!.head).join()
      for (const to of devices) for (const from of devices) if (to !== from) (fetch(to, from, false), await settle())
      stats.quietRounds++
      if (devices.map((x) => x.conv!.head).join() === before && round > 0) break
    }
    // An unexpected fetch error is the first thing to report: what follows from it (devices
    // that could not converge) would only hide it.
    if (errors.length) throw errors[0]
    await checkProperty(seed, devices, acked, options.fsck ?? true, stats)
    stats.schedules++
  } catch (err) {
    if (err instanceof Error && !err.message.startsWith(`seed ${seed}:`)) err.message = `seed ${seed}: ${err.message}`
    throw err
  } finally {
    setFaultHook(undefined)
    for (const x of devices) x.conv?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `count` schedules from `firstSeed`; returns the stats and the failures (seed and message). */
export async function runSchedules(count: number, firstSeed: number, options: ScheduleOptions & { onFailure?: (seed: number, err: Error) => void; stopAfter?: number } = {}): Promise<{ stats: FaultStats; failures: Array<{ seed: number; message: string }>; ms: number }> {
  const stats = emptyStats()
  const failures: Array<{ seed: number; message: string }> = []
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i
    try {
      await runSchedule(seed, stats, options)
    } catch (err) {
      failures.push({ seed, message: (err as Error).message })
      options.onFailure?.(seed, err as Error)
      if (failures.length >= (options.stopAfter ?? Infinity)) break
    }
  }
  return { stats, failures, ms: performance.now() - started }
}

/** Removes the template (call once at the end of a process). */
export async function disposeTemplate(): Promise<void> {
  if (!template) return
  const t = await template
  rmSync(t.dir, { recursive: true, force: true })
  template = undefined
}

function summary(stats: FaultStats): string {
  const crashes = Object.entries(stats.crashes).map(([p, n]) => `${p} ${n}`).join(', ')
  return [
    `${stats.schedules} schedules: ${stats.appends} appends (${stats.acknowledged} acknowledged), ${stats.fetches} fetches (${stats.cutStreams} cut), ${stats.merges} merges, ${stats.repacks} repacks`,
    `${stats.lostAnnouncements} announcements lost, ${stats.duplicatedAnnouncements} duplicated, ${stats.partitions} partitions, ${stats.restarts} restarts`,
    `crashes by point: ${crashes}`,
    `history index files behind their head at the end (extended by the next open): ${stats.indexBehind}`,
    `fetch errors taken (expected kinds): ${Object.entries(stats.swallowed).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
  ].join('\n')
}

export { summary as describeStats }

/** `npm run bench` figures: a shorter run than `npm run faults`, same property. */
export async function benchFaults(options: { schedules: number }): Promise<Figure[]> {
  const { stats, failures, ms } = await runSchedules(options.schedules, 1)
  await disposeTemplate()
  const points = Object.keys(stats.crashes).length
  const crashes = Object.values(stats.crashes).reduce((a, b) => a + (b ?? 0), 0)
  return [
    {
      what: `${options.schedules} seeded schedules: crashes at ${points} kill points, lossy links, cut streams, partitions`,
      value: `${failures.length} failed; ${(ms / options.schedules).toFixed(0)} ms a schedule`,
      target: '0 failed',
      met: failures.length === 0,
      note: `${stats.acknowledged} acknowledged writes, ${crashes} crashes, ${stats.restarts} restarts, ${stats.cutStreams} cut streams, ${stats.merges} merges, ${stats.repacks} repacks${failures[0] ? `; first failure: ${failures[0].message}` : ''}`,
    },
  ]
}

// `node dist/bench/faults.js [--schedules N] [--seed S]`: the long run (npm run faults).
if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? Number(process.argv[i + 1]) : fallback
  }
  const count = arg('schedules', 10_000)
  const seed = arg('seed', 1)
  const progressEvery = Math.max(1, Math.round(count / 20))
  const stats = emptyStats()
  const failures: Array<{ seed: number; message: string }> = []
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    try {
      await runSchedule(seed + i, stats)
    } catch (err) {
      failures.push({ seed: seed + i, message: (err as Error).message })
      console.log(`FAILED ${(err as Error).message}`)
    }
    if ((i + 1) % progressEvery === 0) console.log(`${i + 1}/${count} schedules, ${failures.length} failed, ${((performance.now() - started) / (i + 1)).toFixed(0)} ms each`)
  }
  await disposeTemplate()
  console.log(summary(stats))
  console.log(`${count} schedules from seed ${seed}: ${failures.length} failed, ${((performance.now() - started) / 1000).toFixed(0)} s`)
  process.exitCode = failures.length ? 1 : 0
}
