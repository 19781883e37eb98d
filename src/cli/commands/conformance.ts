/**
 * `gitswarm conformance [--impl "<command with {repo} {base}>"] [--filter S] [--json]`: runs
 * the conformance suite against gitswarm, or against any verifier, prints one line per case
 * and ends with `N passed, M failed`. Exit 0 when all pass.
 * @module
 */
import { commandImplementation, gitswarmImplementation, runConformance, type CaseResult } from '../../conformance/runner.js'
import { parseArgs } from '../args.js'
import type { Output } from '../output.js'

export const usage = 'gitswarm conformance [--impl "<command {repo} {base}>"] [--filter S] [--dir D] [--json]'

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['impl', 'filter', 'dir'] })
  const template = args.values.get('impl')
  const impl = template ? commandImplementation(template) : gitswarmImplementation()
  const line = (r: CaseResult): void => {
    const e = r.case.expected
    const expected = e.valid ? 'valid' : `invalid ${e.rule ?? ''}`.trim()
    out.line(`${r.passed ? 'pass' : 'FAIL'}  ${r.case.id.padEnd(58)} ${expected}${r.reason ? `  — ${r.reason}` : ''}`)
  }
  const report = await runConformance(impl, { dir: args.values.get('dir'), filter: args.values.get('filter'), onResult: out.json ? undefined : line })
  if (out.json) {
    out.data({
      implementation: report.implementation,
      passed: report.passed,
      failed: report.failed,
      results: report.results.map((r) => ({ id: r.case.id, passed: r.passed, expected: r.case.expected, got: r.got, reason: r.reason })),
    })
  } else {
    out.line()
    out.line(`conformance of ${report.implementation}:`)
    out.line(`${report.passed} passed, ${report.failed} failed`)
  }
  return report.failed === 0 ? 0 : 1
}
