/**
 * `gitswarm upload-pack <repo>`: serves the repository on standard input and output, so
 * stock git can clone and fetch from gitswarm's server through its `ext::` transport:
 * `git -c protocol.ext.allow=always clone "ext::gitswarm upload-pack <repo>" dest`.
 * @module
 */
import { Duplex } from 'node:stream'
import { openRepository } from '../../git/repository.js'
import { drained } from '../../git/pkt-line.js'
import { serveUploadPack } from '../../git/upload-pack.js'
import { parseArgs, positional } from '../args.js'
import type { Output } from '../output.js'

export const usage = 'gitswarm upload-pack <repo>   (git protocol on stdin/stdout, for git’s ext:: transport)'

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, {})
  const repo = openRepository(positional(args, 0, 'repository path'))
  const stream = Duplex.from({ readable: process.stdin, writable: process.stdout })
  // A client that hangs up mid-pack breaks the pipe: a one-line failure, not a crash.
  let hungUp = false
  process.stdout.on('error', () => {
    hungUp = true
    stream.destroy()
  })
  try {
    // One fetch, as git's upload-pack: git closes its end after the pack and reads our exit code.
    await serveUploadPack(stream, { repo, maxFetches: 1 })
    return hungUp ? hangUpFailure(out) : 0
  } catch (err) {
    if (hungUp) return hangUpFailure(out)
    throw err
  } finally {
    repo.objects.close()
    // Everything queued reaches the pipe, then stdin lets go: like git's upload-pack we exit
    // after one fetch even if the client keeps its end open.
    // A stream that closed with bytes still queued rejects at once: stop rather than spin.
    while (!hungUp && stream.writableLength > 0) {
      if (!(await drained(stream).then(() => true, () => false))) break
    }
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
    process.stdin.destroy()
  }
}

function hangUpFailure(out: Output): number {
  out.error('gitswarm upload-pack: the client hung up before the pack was sent')
  return 1
}
