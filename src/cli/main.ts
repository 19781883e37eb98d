/**
 * The `gitswarm` command. Exit codes: 0 success (or a valid repository), 1 a refused
 * operation or an invalid repository, 2 bad usage or an unreadable repository.
 * @module
 */
import { pathToFileURL } from 'node:url'
import { BadPassphraseError, CorruptObjectError, GitswarmError, InvalidArgumentError, NotARepositoryError, NotFoundError } from '../errors.js'
import * as accounts from './commands/account.js'
import * as conformance from './commands/conformance.js'
import * as node from './commands/node.js'
import * as demo from './commands/demo.js'
import * as uploadPack from './commands/upload-pack.js'
import * as identity from './commands/identity.js'
import * as inspect from './commands/inspect.js'
import * as verify from './commands/verify.js'
import * as write from './commands/write.js'
import { createOutput, type Output } from './output.js'

type Command = (argv: string[], out: Output) => Promise<number>

const COMMANDS: Record<string, Command> = {
  verify: verify.run,
  log: inspect.log,
  show: inspect.show,
  members: inspect.members,
  profile: inspect.profile,
  identity: identity.run,
  create: write.create,
  demo: demo.run,
  conformance: conformance.run,
  'upload-pack': uploadPack.run,
  account: accounts.run,
  contact: accounts.contact,
  requests: accounts.requests,
  accept: accounts.answer('acceptConversationRequest'),
  decline: accounts.answer('declineConversationRequest'),
  start: accounts.start,
  node: node.run,
}

const HELP = [
  'gitswarm — Jami-style swarm conversations in git',
  '',
  'Usage:',
  `  ${verify.usage}`,
  ...inspect.usage.map((u) => `  ${u}`),
  ...identity.usage.map((u) => `  ${u}`),
  ...write.usage.map((u) => `  ${u}`),
  '  (every write verb also takes --account <dir> and a conversation id instead of --identity and a path:',
  '   through the running node, so the message is delivered at once, or on the account directory)',
  `  ${node.usage}`,
  ...accounts.usage.map((u) => `  ${u}`),
  `  ${conformance.usage}`,
  `  ${demo.usage}`,
  `  ${uploadPack.usage}`,
  '',
  'Exit codes: 0 ok, 1 refused or invalid, 2 bad usage or unreadable repository',
  '(141, as git, when the reader of the output closed it early: gitswarm log … | head).',
].join('\n')

const UNREADABLE = new Set([InvalidArgumentError.code, NotARepositoryError.code, NotFoundError.code, BadPassphraseError.code, CorruptObjectError.code])

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const out = createOutput(json)
  const [name, ...rest] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    out.line(HELP)
    return name ? 0 : 2
  }
  const command = COMMANDS[name] ?? (write.isWriteVerb(name) ? (a: string[], o: Output) => write.run(name, a, o) : undefined)
  if (!command) {
    out.error(`gitswarm: unknown command "${name}" (see gitswarm help)`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.line(HELP)
    return 0
  }
  try {
    return await command(rest, out)
  } catch (err) {
    if (err instanceof GitswarmError) {
      if (json) out.data({ error: err.toJSON() })
      else out.error(`gitswarm ${name}: ${err.message}`)
      return UNREADABLE.has(err.code) ? 2 : 1
    }
    out.error(`gitswarm ${name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    return 1
  }
}

/** Exit status of a command whose reader closed the pipe early, as git's (killed by SIGPIPE). */
export const BROKEN_PIPE_EXIT = 141

/** Runs the command line as a process: sets the exit code, and owns stdout's failures. */
export async function runProcess(argv: string[]): Promise<void> {
  // `gitswarm log | head` closes the pipe under us: stop quietly, as git does, rather than
  // die on an unhandled EPIPE. upload-pack handles its own peer hanging up.
  if (argv[0] !== 'upload-pack') {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err
      process.exit(BROKEN_PIPE_EXIT)
    })
  }
  process.exitCode = await main(argv)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runProcess(process.argv.slice(2))
