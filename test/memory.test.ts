/**
 * The per-case memory measure of the hostile-peer and limit tests (./memory.ts) sees each
 * case's own peak, also after a larger one earlier in the same process — where the process
 * high-water mark (`maxRSS`, what they read before) shows growth only past the earlier peak.
 */
import { expect, test } from 'vitest'
import { gc, peakGrowth } from './memory.js'

const MiB = 1024 * 1024
const touch = (bytes: number) => Buffer.alloc(bytes, 1) // alloc + fill: every page resident

test('a case that holds 64 MiB for a moment reads about 64 MiB, after a 256 MiB spike as before it', async () => {
  const first = await peakGrowth(async () => touch(64 * MiB).length)
  expect(first.growthMiB).toBeGreaterThan(60)
  expect(first.growthMiB).toBeLessThan(100)
  await peakGrowth(async () => touch(256 * MiB).length)
  // What the tests read before, after that spike: the same 64 MiB case shows no growth.
  gc()
  const maxRssBefore = process.resourceUsage().maxRSS
  touch(64 * MiB)
  expect((process.resourceUsage().maxRSS - maxRssBefore) / 1024).toBeLessThan(8)
  const again = await peakGrowth(async () => touch(64 * MiB).length)
  expect(again.growthMiB).toBeGreaterThan(60)
  expect(again.growthMiB).toBeLessThan(100)
  const idle = await peakGrowth(async () => 0)
  expect(idle.growthMiB).toBeLessThan(8)
})
