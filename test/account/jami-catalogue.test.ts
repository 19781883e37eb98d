/**
 * docs/jami-tests.md and the ported tests stay in step: every test marked ported exists,
 * under Jami's name, in the file named; every jami-*.test.ts test is in the table; every
 * test not ported says why — a reason, not "not built yet"; at least 130 of Jami's 143 are
 * ported and the count at the top of the page is true.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'

const root = join(import.meta.dirname, '../..')

test('docs/jami-tests.md lists every ported test, and says why for the others', () => {
  const rows = readFileSync(join(root, 'docs/jami-tests.md'), 'utf8')
    .split('\n')
    .filter((l) => /^\| [A-Za-z0-9]+ \| (ported|not ported) \|/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()))
  const ported = new Map(rows.filter((r) => r[2] === 'ported').map((r) => [r[1]!, r[3]!.replace(/`/g, '')]))
  const files = readdirSync(join(root, 'test/account')).filter((f) => /^jami-.*\.test\.ts$/.test(f) && f !== 'jami-catalogue.test.ts')
  const inTests = new Map<string, string>()
  for (const f of files) for (const m of readFileSync(join(root, 'test/account', f), 'utf8').matchAll(/\bit\('([A-Za-z0-9]+)'/g)) inTests.set(m[1]!, `test/account/${f}`)
  expect([...inTests.keys()].filter((n) => !ported.has(n))).toEqual([])
  for (const [name, file] of ported) expect(inTests.get(name), name).toBe(file)
  for (const r of rows.filter((r) => r[2] === 'not ported')) {
    expect(r[3]!.length, r[1]).toBeGreaterThan(20)
    expect(r[3], r[1]).not.toMatch(/not (built|ported) yet|not yet/i)
  }
  expect(rows.length).toBe(143)
  expect(ported.size).toBeGreaterThanOrEqual(130)
  expect(readFileSync(join(root, 'docs/jami-tests.md'), 'utf8')).toContain(`${ported.size} of 143 ported.`)
})
