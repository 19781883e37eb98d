/**
 * The conformance suite (issue #3): enough cases, every rule id accepted and rejected,
 * gitswarm passing all of them, a runner that really consults the implementation, and
 * fixtures that regenerate byte for byte.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { generateConformance } from '../src/conformance/generate.js'
import { conformanceDir } from '../src/conformance/paths.js'
import { commandImplementation, loadCases, runConformance, type ConformanceReport } from '../src/conformance/runner.js'
import type { CaseJson } from '../src/conformance/case.js'
import { RULE_IDS } from '../src/validation/rules.js'
import { tempDir } from './helpers.js'

const cases: CaseJson[] = loadCases()
const dir = tempDir()

describe('the case catalogue', () => {
  test('at least 150 cases, each matching case.schema.json', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150)
    const schema = JSON.parse(readFileSync(join(conformanceDir(), 'case.schema.json'), 'utf8'))
    for (const c of cases) expect(validate(schema, c), c.id).toEqual([])
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length)
  })

  test('every rule id of src/validation has an accepted and a rejected case', () => {
    const missing: string[] = []
    for (const rule of RULE_IDS) {
      const mine = cases.filter((c) => c.id === `rule-${rule}-accepted` || c.id === `rule-${rule}-rejected` || c.expected.rule === rule)
      if (!mine.some((c) => c.expected.valid)) missing.push(`${rule}: no accepted case`)
      if (!mine.some((c) => !c.expected.valid && c.expected.rule === rule)) missing.push(`${rule}: no rejected case`)
    }
    expect(missing).toEqual([])
  })

  test('both key types, both layouts, fetch batches, merges, and the real Jami repositories', () => {
    expect(cases.filter((c) => c.key_type === 'rsa').length).toBeGreaterThan(20)
    expect(cases.filter((c) => c.repository === 'non-bare').length).toBeGreaterThan(5)
    expect(cases.filter((c) => c.base && !c.expected.valid).length).toBeGreaterThanOrEqual(5)
    expect(cases.filter((c) => c.id.startsWith('partition-')).length).toBeGreaterThanOrEqual(5)
    const jami = cases.filter((c) => c.id.startsWith('jami-daemon-'))
    expect(jami.length).toBeGreaterThanOrEqual(2)
    expect(jami.every((c) => c.expected.valid && c.jami_accepts)).toBe(true)
  })
})

describe('running the suite', () => {
  let self: ConformanceReport
  beforeAll(async () => {
    self = await runConformance()
  }, 300_000)

  test('gitswarm ran every case', () => {
    expect(self.results.map((r) => r.case.id)).toEqual(cases.map((c) => c.id))
  })

  test.each(cases.map((c) => [c.id]))('gitswarm passes %s', (id) => {
    const r = self.results.find((x) => x.case.id === id)!
    expect(r.reason ?? 'passed').toBe('passed')
  })

  test('an implementation that always says "valid" scores exactly the number of valid cases', async () => {
    const script = join(dir, 'always-valid.sh')
    writeFileSync(script, '#!/bin/sh\nexit 0\n')
    chmodSync(script, 0o755)
    const report = await runConformance(commandImplementation(`${script} {repo} {base}`))
    expect(report.passed).toBe(cases.filter((c) => c.expected.valid).length)
    expect(report.failed).toBe(cases.filter((c) => !c.expected.valid).length)
  }, 300_000)

  test('an implementation naming the wrong first bad commit fails those cases', async () => {
    const script = join(dir, 'wrong-commit.sh')
    writeFileSync(script, `#!/bin/sh\necho '{"valid": false, "first_bad_commit": "${'0'.repeat(40)}"}'\nexit 1\n`)
    chmodSync(script, 0o755)
    const report = await runConformance(commandImplementation(`${script} {repo} {base}`), { filter: 'fetch-batch' })
    expect(report.results.length).toBe(cases.filter((c) => c.id.includes('fetch-batch')).length)
    expect(report.passed).toBe(0)
  }, 120_000)
})

test('regenerating the fixtures is byte-identical', async () => {
  const out = join(dir, 'regenerated')
  await generateConformance({ outDir: out, keysDir: join(conformanceDir(), 'keys') })
  const files = (root: string) =>
    readdirSync(join(root, 'cases'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length))
      .sort()
  const ours = files(out)
  expect(ours).toEqual(files(conformanceDir()))
  for (const f of [...ours, '/README.md']) {
    expect(readFileSync(join(out, f)).equals(readFileSync(join(conformanceDir(), f))), f).toBe(true)
  }
}, 300_000)

/** The subset of JSON Schema that case.schema.json uses: type (incl. null), required, enum, pattern, properties. */
function validate(schema: Record<string, unknown>, value: unknown, path = ''): string[] {
  const errors: string[] = []
  const types = ([] as string[]).concat((schema['type'] as string | string[] | undefined) ?? [])
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v)
  if (types.length && !types.includes(typeOf(value))) return [`${path}: ${typeOf(value)} is not ${types.join('|')}`]
  if (schema['enum'] && !(schema['enum'] as unknown[]).includes(value)) errors.push(`${path}: not one of ${JSON.stringify(schema['enum'])}`)
  if (typeof value === 'string' && schema['pattern'] && !new RegExp(schema['pattern'] as string).test(value)) errors.push(`${path}: does not match ${schema['pattern']}`)
  if (typeof value === 'string' && typeof schema['minLength'] === 'number' && value.length < schema['minLength']) errors.push(`${path}: too short`)
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>
    const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>
    for (const r of (schema['required'] as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${path}.${r}: missing`)
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...validate(props[k]!, v, `${path}.${k}`))
      else if (schema['additionalProperties'] === false) errors.push(`${path}.${k}: not allowed`)
    }
  }
  return errors
}
