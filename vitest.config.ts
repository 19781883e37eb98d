import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // gc() lets the memory-bound tests (test/memory.ts) free what earlier cases left before
    // measuring the next one's peak.
    execArgv: ['--expose-gc'],
  },
})
