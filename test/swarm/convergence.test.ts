/**
 * The convergence property over random operations, partitions and sync orders, with fixed
 * seeds (fast-check prints the seed and the shrunk plan of any failure).
 */
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { planArbitrary, runPlan, type RunStats } from '../../bench/convergence.js'

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
