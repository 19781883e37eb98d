/**
 * The fault harness (bench/faults.ts) in CI: 200 seeded schedules of lossy, duplicating,
 * reordering links, cut streams, partitions and crash-restarts at kill points must all keep
 * the property (converged heads, no acknowledged message lost, verify and git fsck --strict
 * clean, the history index equal to a rebuild). Two deliberate bugs (a test-only switch) must
 * make it fail, or the harness proves nothing. And real processes killed with SIGKILL
 * mid-write, to cover what a throw cannot (no finally blocks, locks left behind).
 * `npm run faults` runs 10,000 schedules.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { describeStats, disposeTemplate, FAULT_POINTS, runSchedules } from '../../bench/faults.js'
import { recoverRepository } from '../../src/git/recovery.js'
import { saveIdentity } from '../../src/identity/storage.js'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { brokenOnPurpose } from '../../src/util/fault-points.js'
import { account, git, tempDir } from '../helpers.js'

const SCHEDULES = Number(process.env['FAULT_SCHEDULES'] ?? 200)
const SEED = Number(process.env['FAULT_SEED'] ?? 20261203)

afterAll(() => disposeTemplate())

test(`${SCHEDULES} seeded fault schedules keep every acknowledged message and every repository sound (first seed ${SEED})`, async () => {
  const { stats, failures, ms } = await runSchedules(SCHEDULES, SEED, { stopAfter: 3 })
  console.log(`${describeStats(stats)}\n${(ms / 1000).toFixed(1)} s, ${(ms / SCHEDULES).toFixed(0)} ms a schedule`)
  // A failure names its seed: `npm run faults -- --seed <seed> --schedules 1` replays it.
  expect(failures).toEqual([])
  // The schedules did what they claim: crashes at many points, cut streams, merges, restarts
  // (a short local run, FAULT_SCHEDULES=20, may not reach eight kill points).
  expect(Object.keys(stats.crashes).sort()).toEqual(SCHEDULES >= 200 ? [...FAULT_POINTS].sort() : expect.any(Array))
  console.log(Object.entries(stats.crashes).map(([p, n]) => `${p} ${n}`).join(', '))
  expect(stats.restarts).toBeGreaterThan(SCHEDULES / 2)
  expect(stats.cutStreams).toBeGreaterThan(SCHEDULES / 10)
  expect(stats.merges).toBeGreaterThan(SCHEDULES)
  expect(stats.lostAnnouncements).toBeGreaterThan(0)
  expect(stats.duplicatedAnnouncements).toBeGreaterThan(0)
  // Fetch errors were taken, of the expected kinds only (any other fails its schedule).
  expect(stats.swallowed['client ERR_CORRUPT_OBJECT']).toBeGreaterThan(0)
}, 600_000)

describe('the harness fails when the engine is broken on purpose', () => {
  test('a ref moved before its commit object is written: caught (a dangling head after a crash)', async () => {
    brokenOnPurpose.refBeforeObject = true
    try {
      const { failures } = await runSchedules(40, 1000, { stopAfter: 1 })
      expect(failures.length).toBe(1)
      console.log(failures[0]!.message)
      expect(failures[0]!.message).toMatch(/^seed \d+: (not found: object|devices did not converge|device \d+|unexpected (client|server) ERR_NOT_FOUND during a fetch: not found: object)/)
    } finally {
      brokenOnPurpose.refBeforeObject = false
    }
  }, 120_000)

  for (const [name, what, caught] of [
    ['acceptUnvalidated', 'fetched commits taken without validation (one breaks a rule)', /device \d+ does not verify: /],
    ['unsortedTrees', 'trees written unsorted', /device \d+: git fsck --strict failed: .*(treeNotSorted|not properly sorted)/],
    ['indexDropsMerges', 'merges left out of the history index file', /device \d+: history index \(\d+ entries\) differs from a rebuild/],
  ] as const) {
    test(`${what}: caught by its part of the property`, async () => {
      brokenOnPurpose[name] = true
      try {
        const { failures } = await runSchedules(20, 1000, { stopAfter: 1 })
        console.log(failures[0]?.message)
        expect(failures[0]?.message).toMatch(caught)
      } finally {
        brokenOnPurpose[name] = false
      }
    }, 120_000)
  }

  test('a fetch error of an unexpected kind fails its schedule', async () => {
    brokenOnPurpose.fetchThrowsUnexpected = true
    try {
      const { failures } = await runSchedules(5, 1000, { stopAfter: 1 })
      expect(failures[0]?.message).toMatch(/unexpected client \S+ during a fetch/)
    } finally {
      brokenOnPurpose.fetchThrowsUnexpected = false
    }
  }, 120_000)

  test('a merge that drops our own side: caught (an acknowledged message lost)', async () => {
    brokenOnPurpose.mergeDropsOurs = true
    try {
      const { failures } = await runSchedules(10, 1000, { stopAfter: 1 })
      expect(failures[0]?.message).toMatch(/lost acknowledged message [0-9a-f]{40}/)
    } finally {
      brokenOnPurpose.mergeDropsOurs = false
    }
  }, 120_000)
})

test('a writer process killed with SIGKILL mid-write, eight times: every acknowledged message survives, the repository stays sound', async () => {
  const dir = tempDir()
  const alice = await account('alice')
  saveIdentity(join(dir, 'alice'), alice)
  const conv = Conversation.create(alice, { path: join(dir, 'c') })
  conv.close()
  const dist = JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../dist/src/index.js')).href)
  // Appends as fast as it can, repacking now and then, printing each id once sendMessage returned.
  const script = `
    const { Conversation, loadIdentity } = await import(${dist})
    const conv = Conversation.open(${JSON.stringify(join(dir, 'c'))}, { identity: loadIdentity(${JSON.stringify(join(dir, 'alice'))}), autoRepack: false })
    for (let i = 0; ; i++) {
      process.stdout.write(conv.sendMessage('kill ' + process.pid + ' ' + i) + '\\n')
      if (i % 97 === 96) conv.repack()
    }`
  const acked: string[] = []
  let seed = 7
  for (let kill = 0; kill < 8; kill++) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    const closed = new Promise((r) => child.once('close', r))
    let out = ''
    let err = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    // Wait until it writes, then a little more (seeded), then kill it wherever it is.
    const deadline = Date.now() + 20_000
    while (!out.includes('\n') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 5))
    seed = (seed * 48271) % 2147483647
    await new Promise((r) => setTimeout(r, 20 + (seed % 200)))
    child.kill('SIGKILL')
    await closed
    expect(err).toBe('')
    expect(child.signalCode).toBe('SIGKILL')
    acked.push(...out.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l)))
    // Restart as an Account does: clear what the dead writer left, then open.
    recoverRepository(join(dir, 'c'))
    const reopened = Conversation.open(join(dir, 'c'), { identity: alice, autoRepack: false })
    const history = reopened.history()
    const lost = acked.filter((id) => !history.has(id))
    expect(lost, `after kill ${kill}`).toEqual([])
    reopened.sendMessage(`after kill ${kill}`) // writes work again: no lock left behind
    reopened.close()
    expect((await verifyRepository(join(dir, 'c'))).ok).toBe(true)
    git(join(dir, 'c'), 'fsck', '--strict', '--no-dangling')
  }
  expect(acked.length).toBeGreaterThan(8)
}, 180_000)
