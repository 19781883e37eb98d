/**
 * Running the conformance suite against an implementation: gitswarm itself, or any program
 * given as a command template. Each case is unpacked (with our own pack indexer: some cases
 * reference missing objects on purpose) into a bare or non-bare repository in a scratch dir.
 * @module
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { unbundle } from '../git/bundle.js'
import { isTreeMode } from '../git/object-codec.js'
import { initBareRepository } from '../git/repository.js'
import { readBlobAt, walkTree } from '../git/tree.js'
import { parseCommit } from '../git/object-codec.js'
import { verifyRepository } from '../swarm/verify.js'
import type { CaseJson } from './case.js'
import { conformanceDir } from './paths.js'

/** What an implementation concluded about one case. */
export interface ImplementationVerdict {
  valid: boolean
  /** The first commit it rejected, if it says. */
  firstBadCommit?: string
  /** Its rule id, if it says (compared only for gitswarm). */
  rule?: string
  /** Anything worth showing when it fails (stderr, an error). */
  detail?: string
  /**
   * Set when the implementation gave no verdict at all: it crashed, was killed, timed out, or
   * exited with a code that means neither valid (0) nor invalid (1). Such a case fails
   * whatever was expected — a crash is an error, never an "invalid".
   */
  error?: string
}

/** A swarm engine under test: judges a repository (optionally only after a base commit). */
export interface Implementation {
  name: string
  /** Whether rule ids are gitswarm's and must match `expected.rule`. */
  checksRules: boolean
  /** Judges the repository at `repo`, trusting `base` and its ancestors when given. */
  verify(repo: string, base: string | null, c: CaseJson): Promise<ImplementationVerdict>
}

/** gitswarm's own verifier, in process. */
export function gitswarmImplementation(): Implementation {
  return {
    name: 'gitswarm',
    checksRules: true,
    async verify(repo, base) {
      const report = await verifyRepository(repo, { base: base ?? undefined })
      return { valid: report.ok, firstBadCommit: report.rejection?.commit, rule: report.rejection?.rule, detail: report.rejection?.reason }
    },
  }
}

/** Parses a verifier's JSON output, in our `verify --json` shape or the suite's own. */
function fromJson(text: string): Partial<ImplementationVerdict> | undefined {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof data !== 'object' || data === null) return undefined
  const d = data as Record<string, unknown>
  const first = (d['rejection'] ?? (Array.isArray(d['rejections']) ? d['rejections'][0] : undefined)) as Record<string, unknown> | undefined
  const pick = (...v: unknown[]) => v.find((x) => typeof x === 'string') as string | undefined
  return {
    valid: typeof d['valid'] === 'boolean' ? d['valid'] : typeof d['ok'] === 'boolean' ? d['ok'] : undefined,
    firstBadCommit: pick(d['first_bad_commit'], d['firstBadCommit'], first?.['commit']),
    rule: pick(d['rule'], first?.['rule']),
  }
}

/**
 * Any program: `template` with `{repo}` and `{base}` (empty for a clone) is run by the shell.
 * Exit 0 means valid, 1 invalid; a JSON object on stdout may say more (see the suite's
 * README). Any other exit, a signal or the timeout is an error: no verdict, a failed case.
 */
export function commandImplementation(template: string, timeoutMs = 120_000): Implementation {
  return {
    name: template,
    checksRules: false,
    verify(repo, base) {
      const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
      const cmd = template.replaceAll('{repo}', quote(repo)).replaceAll('{base}', base ? quote(base) : "''")
      return new Promise((resolve) => {
        const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        child.on('close', (code, signal) => {
          clearTimeout(timer)
          const json = fromJson(stdout.trim())
          const detail = stderr.trim().split('\n').slice(-1)[0]
          // Exit 0 is "valid", 1 "invalid"; anything else (a crash, a kill, exit 2 for an
          // unreadable input…) is no verdict, even with JSON on stdout.
          if (signal || (code !== 0 && code !== 1)) return resolve({ valid: false, error: signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}` : `exit code ${code}`, detail })
          resolve({ valid: json?.valid ?? code === 0, firstBadCommit: json?.firstBadCommit, rule: json?.rule, detail })
        })
      })
    },
  }
}

/** Unpacks a case's bundle into `dir` as its case.json says: bare, or `dir/.git` plus the files of `head`. */
export function extractCase(caseDir: string, c: CaseJson, dir: string): string {
  const bundle = readFileSync(join(caseDir, 'repo.bundle'))
  if (c.repository === 'bare') {
    const repo = initBareRepository(dir)
    unbundle(repo, bundle)
    repo.refs.update('refs/heads/main', c.head)
    repo.objects.close()
    return dir
  }
  const repo = initBareRepository(join(dir, '.git'))
  writeFileSync(join(dir, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n')
  unbundle(repo, bundle)
  repo.refs.update('refs/heads/main', c.head)
  try {
    const tree = parseCommit(repo.objects.read(c.head, 'commit').content).tree
    for (const f of walkTree(repo.objects, tree)) {
      if (isTreeMode(f.mode)) continue
      const data = readBlobAt(repo.objects, tree, f.path)
      if (data === undefined) continue
      mkdirSync(dirname(join(dir, f.path)), { recursive: true })
      writeFileSync(join(dir, f.path), data)
    }
  } catch {
    // A case whose head tree is deliberately incomplete has no working tree to show.
  }
  repo.objects.close()
  return dir
}

/** One case's outcome. */
export interface CaseResult {
  case: CaseJson
  passed: boolean
  got: ImplementationVerdict
  /** Why it failed. */
  reason?: string
}

/** The outcome of runConformance. */
export interface ConformanceReport {
  implementation: string
  results: CaseResult[]
  passed: number
  failed: number
}

export interface RunOptions {
  /** The suite's directory (default: gitswarm's fixtures/conformance). */
  dir?: string
  /** Only cases whose id contains this. */
  filter?: string
  onResult?: (r: CaseResult) => void
}

/** The conformance cases in `dir` (fixtures/conformance by default). */
export function loadCases(dir = conformanceDir()): CaseJson[] {
  const casesDir = join(dir, 'cases')
  return readdirSync(casesDir)
    .sort()
    .map((id) => JSON.parse(readFileSync(join(casesDir, id, 'case.json'), 'utf8')) as CaseJson)
}

function judge(c: CaseJson, got: ImplementationVerdict, checksRules: boolean): string | undefined {
  const e = c.expected
  if (got.error !== undefined) return `error, no verdict: ${got.error}${got.detail ? ` (${got.detail})` : ''}`
  if (got.valid !== e.valid) return `expected ${e.valid ? 'valid' : `invalid at ${e.first_bad_commit}`}, got ${got.valid ? 'valid' : `invalid${got.rule ? ` (${got.rule})` : ''}`}`
  if (!e.valid && got.firstBadCommit && got.firstBadCommit !== e.first_bad_commit) return `first bad commit ${got.firstBadCommit}, expected ${e.first_bad_commit}`
  if (!e.valid && checksRules && e.rule && got.rule !== e.rule) return `rule ${got.rule}, expected ${e.rule}`
  return undefined
}

/** Runs every case against `impl` and scores it. */
export async function runConformance(impl: Implementation = gitswarmImplementation(), options: RunOptions = {}): Promise<ConformanceReport> {
  const dir = options.dir ?? conformanceDir()
  const cases = loadCases(dir).filter((c) => !options.filter || c.id.includes(options.filter))
  const scratch = mkdtempSync(join(tmpdir(), 'gitswarm-conformance-'))
  const results: CaseResult[] = []
  try {
    for (const c of cases) {
      let got: ImplementationVerdict
      try {
        const repo = extractCase(join(dir, 'cases', c.id), c, join(scratch, c.id))
        got = await impl.verify(repo, c.base, c)
      } catch (err) {
        got = { valid: false, error: err instanceof Error ? err.message : String(err) }
      }
      const reason = judge(c, got, impl.checksRules)
      const result: CaseResult = { case: c, passed: !reason, got, ...(reason ? { reason } : {}) }
      results.push(result)
      options.onResult?.(result)
      rmSync(join(scratch, c.id), { recursive: true, force: true })
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  const passed = results.filter((r) => r.passed).length
  return { implementation: impl.name, results, passed, failed: results.length - passed }
}
