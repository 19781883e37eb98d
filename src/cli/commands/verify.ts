/**
 * `gitswarm verify <repo>`: checks every commit against the swarm rules. Exit 0 when valid,
 * 1 when a commit is rejected (one line per rejected commit, with its rule id), 2 when the
 * repository cannot be read. Never writes to the repository.
 * @module
 */
import { verifyRepository } from '../../swarm/verify.js'
import { parseArgs, positional } from '../args.js'
import type { Output } from '../output.js'

export const usage = 'gitswarm verify <repo> [--base <trusted commit>] [--first] [--json]'

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { flags: ['first'], values: ['base'] })
  const path = positional(args, 0, 'repository path')
  const report = await verifyRepository(path, {
    base: args.values.get('base') || undefined,
    collectAll: !args.flags.has('first'),
    onProgress: out.json ? undefined : (done, total) => total > 5000 && process.stderr.isTTY && process.stderr.write(`\rverifying ${done}/${total}`),
  })
  if (!out.json && process.stderr.isTTY && report.commits > 5000) process.stderr.write('\r\x1b[K')
  if (out.json) {
    out.data({
      valid: report.ok,
      conversationId: report.conversationId,
      head: report.head,
      commits: report.commits,
      validated: report.validated,
      rejections: report.rejections,
      milliseconds: report.milliseconds,
    })
  } else if (report.ok) {
    out.line(`valid: ${report.commits} commits, conversation ${report.conversationId} (${report.milliseconds} ms)`)
  } else {
    for (const r of report.rejections) out.line(`rejected ${r.commit} ${r.rule}: ${r.reason}${r.path ? ` [${r.path}]` : ''}`)
    out.line(`invalid: ${report.rejections.length} rejected commit(s) of ${report.commits}; history valid up to ${report.validated} commit(s)`)
  }
  return report.ok ? 0 : 1
}
