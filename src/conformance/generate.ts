/**
 * `npm run fixtures`: writes every case of the catalogue to fixtures/conformance/cases/<id>/
 * (repo.bundle + case.json) and the README's table of cases. Fixed keys, fixed times and our
 * own pack writer make the output byte-identical on every run and with any git version.
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseBundle, writeBundle } from '../git/bundle.js'
import { initBareRepository } from '../git/repository.js'
import { Builder, loadActors } from './builder.js'
import type { CaseDefinition, CaseJson } from './case.js'
import { allCases } from './catalogue.js'
import { conformanceDir, packageRoot } from './paths.js'
import { renderReadme } from './readme.js'

export interface GenerateOptions {
  /** Output directory (default fixtures/conformance). */
  outDir?: string
  /** RSA keys of the actors (default fixtures/conformance/keys). */
  keysDir?: string
  /** Where the real Jami bundles are (default ../shared/fixtures/jami, else the existing copies). */
  jamiDir?: string
  onCase?: (c: CaseJson) => void
}

async function build(def: CaseDefinition, keysDir: string, scratch: string): Promise<{ bundle: Buffer; json: CaseJson }> {
  const repo = initBareRepository(join(scratch, def.id))
  try {
    const b = new Builder(repo, await loadActors(def.keyType ?? 'ed25519', keysDir))
    const result = await def.build!(b)
    const bundle = writeBundle(repo.objects, new Map([['HEAD', result.head], ['refs/heads/main', result.head]]), [], { skipMissing: true })
    return { bundle, json: caseJson(def, result.head, result.base ?? null, result.bad ?? null) }
  } finally {
    repo.objects.close()
  }
}

function caseJson(def: CaseDefinition, head: string, base: string | null, bad: string | null): CaseJson {
  if (def.valid !== (bad === null)) throw new Error(`case ${def.id}: declared ${def.valid ? 'valid' : 'invalid'} but ${bad ? 'marks a bad commit' : 'marks none'}`)
  return {
    id: def.id,
    title: def.title,
    reference: def.reference,
    key_type: def.keyType ?? 'ed25519',
    repository: def.repository ?? 'bare',
    base,
    head,
    expected: { valid: def.valid, first_bad_commit: bad, rule: def.valid ? null : def.rule ?? null },
    jami_accepts: def.jamiAccepts,
  }
}

function jamiBundle(name: string, jamiDir: string | undefined, outDir: string): Buffer {
  const candidates = (jamiDir ? [jamiDir] : [join(packageRoot(), '..', 'shared', 'fixtures', 'jami'), join(packageRoot(), 'fixtures', 'jami')]).map((d) => join(d, `${name}.bundle`))
  for (const path of candidates) if (existsSync(path)) return readFileSync(path)
  const copy = join(outDir, 'cases', `jami-daemon-${name}`, 'repo.bundle')
  if (existsSync(copy)) return readFileSync(copy)
  throw new Error(`the Jami bundle ${name} is neither in ../shared/fixtures/jami nor already copied`)
}

/** Writes the conformance cases (deterministic: the same bytes on every run). */
export async function generateConformance(options: GenerateOptions = {}): Promise<CaseJson[]> {
  const outDir = options.outDir ?? conformanceDir()
  const keysDir = options.keysDir ?? join(conformanceDir(), 'keys')
  const scratch = mkdtempSync(join(tmpdir(), 'gitswarm-fixtures-'))
  const cases = allCases()
  const out: Array<{ json: CaseJson; bundle: Buffer }> = []
  try {
    for (const def of cases) {
      if (def.bundle) {
        const bundle = jamiBundle(def.bundle, options.jamiDir, outDir)
        const head = parseBundle(bundle).refs.get('refs/heads/main')!
        out.push({ bundle, json: caseJson(def, head, def.bundleBase ?? null, null) })
      } else out.push(await build(def, keysDir, scratch))
      options.onCase?.(out[out.length - 1]!.json)
    }
    const casesDir = join(outDir, 'cases')
    rmSync(casesDir, { recursive: true, force: true })
    for (const { json, bundle } of out) {
      const dir = join(casesDir, json.id)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'repo.bundle'), bundle)
      writeFileSync(join(dir, 'case.json'), JSON.stringify(json, null, 2) + '\n')
    }
    writeFileSync(join(outDir, 'README.md'), renderReadme(out.map((o) => o.json)))
    return out.map((o) => o.json)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
