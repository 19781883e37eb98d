/**
 * The convergence property over random operations, partitions and sync orders, and over
 * bursts of many writers at once (held heads, merge rounds), with fixed seeds (fast-check
 * prints the seed and the shrunk plan of any failure).
 */
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { planArbitrary, runPlan, type RunStats } from '../../bench/convergence.js'
import { burstArbitrary, runBurst } from '../../bench/burst-convergence.js'

const RUNS = Number(process.env['CONVERGENCE_RUNS'] ?? 200)

test(`devices converge after partitions (${RUNS} random runs, seed 20261123)`, async () => {
  const totals: RunStats = { attempted: 0, written: 0, syncs: 0, merges: 0, rounds: 0 }
  await fc.assert(
    fc.asyncProperty(planArbitrary, async (plan) => {
      const s = await runPlan(plan)
      for (const k of Object.keys(totals) as Array<keyof RunStats>) totals[k] += s[k]
    }),
    { numRuns: RUNS, seed: 20261123, verbose: 1 },
  )
  // The runs did real work: writes, syncs and merges happened.
  expect(totals.written).toBeGreaterThan(RUNS * 5)
  expect(totals.merges).toBeGreaterThan(RUNS / 4)
  console.log(`convergence: ${RUNS} runs, ${totals.written} commits written of ${totals.attempted} operations tried, ${totals.syncs} syncs, ${totals.merges} merges`)
}, 1_200_000)

const BURSTS = Number(process.env['BURST_RUNS'] ?? 12)

test(`8–12 devices writing at once converge with few merges, all by one device (${BURSTS} random bursts, seed 20261207)`, async () => {
  const totals = { messages: 0, writers: 0, merges: 0, rounds: 0 }
  await fc.assert(
    fc.asyncProperty(burstArbitrary, async (plan) => {
      const s = await runBurst(plan)
      // The bound: a merge round writes at most one merge per writer of the burst.
      expect(s.merges).toBeLessThanOrEqual(s.writers * Math.max(1, s.rounds))
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += s[k]
    }),
    { numRuns: BURSTS, seed: 20261207, verbose: 1 },
  )
  expect(totals.messages).toBeGreaterThanOrEqual(BURSTS * 10)
  expect(totals.rounds).toBeGreaterThanOrEqual(BURSTS)
  console.log(`bursts: ${BURSTS} runs, ${totals.messages} messages by ${totals.writers} writers, ${totals.merges} merge commits in ${totals.rounds} merge rounds (${(totals.merges / totals.rounds).toFixed(1)} a round)`)
}, 1_200_000)
