/**
 * `gitswarm gc <repo>`: packs the loose objects (and folds packs once they pile up, or all of
 * them with --all), removes the loose copies once the pack is durable, and clears temp files
 * crashed writers left more than an hour ago. Safe while a node or git uses the repository.
 * @module
 */
import { recoverRepository } from '../../git/recovery.js'
import { repack } from '../../git/repack.js'
import { closeRepository, openRepository } from '../../git/repository.js'
import { parseArgs, positional } from '../args.js'
import type { Output } from '../output.js'

export const usage = 'gitswarm gc <repo> [--all] [--json]'

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { flags: ['all'], values: [] })
  const repo = openRepository(positional(args, 0, 'repository path'))
  try {
    const tty = !out.json && process.stderr.isTTY
    const report = repack(repo, {
      all: args.flags.has('all'),
      onProgress: tty ? (done, total) => process.stderr.write(`\rpacking ${done}/${total}`) : undefined,
    })
    if (tty && report.objects >= 1000) process.stderr.write('\r\x1b[K')
    const leftovers = recoverRepository(repo.gitdir, { olderThanMs: 3_600_000, locks: false }).tempFiles.length
    const ms = Math.round(report.ms)
    if (out.json) out.data({ ...report, ms, tempFilesRemoved: leftovers })
    else if (!report.pack) out.line(`nothing to pack: ${report.packs} pack(s), no loose objects`)
    else {
      const folded = report.foldedPacks ? `, ${report.foldedPacks} pack(s) folded in` : ''
      out.line(`packed ${report.objects} objects (${report.deltas} as deltas) into ${report.pack}, ${report.packBytes} bytes; ${report.loose} loose removed${folded} (${ms} ms)`)
    }
    return 0
  } finally {
    closeRepository(repo)
  }
}
