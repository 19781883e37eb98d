/**
 * `gitswarm upload-pack <repo>`: serves the repository on standard input and output, so
 * stock git can clone and fetch from gitswarm's server through its `ext::` transport:
 * `git -c protocol.ext.allow=always clone "ext::gitswarm upload-pack <repo>" dest`.
 * @module
 */
import { Duplex } from 'node:stream'
import { openRepository } from '../../git/repository.js'
import { serveUploadPack } from '../../git/upload-pack.js'
import { parseArgs, positional } from '../args.js'
import type { Output } from '../output.js'

export const usage = 'gitswarm upload-pack <repo>   (git protocol on stdin/stdout, for git’s ext:: transport)'

export async function run(argv: string[], _out: Output): Promise<number> {
  const args = parseArgs(argv, {})
  const repo = openRepository(positional(args, 0, 'repository path'))
  const stream = Duplex.from({ readable: process.stdin, writable: process.stdout })
  try {
    await serveUploadPack(stream, { repo })
    return 0
  } finally {
    repo.objects.close()
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  }
}
