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
import * as files from './commands/files.js'
import * as gc from './commands/gc.js'
import * as graph from './commands/graph.js'
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
  peers: node.peers,
  'send-file': files.sendFile,
  download: files.download,
  graph: graph.run,
  gc: gc.run,
}

/** Every command's usage line(s), in the order of the help text. */
export const USAGE: string[] = [verify.usage, ...inspect.usage, graph.usage, gc.usage, ...identity.usage, ...write.usage, node.usage, node.peersUsage, ...accounts.usage, ...files.usage, conformance.usage, demo.usage, uploadPack.usage]

const ACCOUNT_NOTE = [
  '(every write verb also takes --account <dir> and a conversation id instead of --identity and a path:',
  ' through the running node, so the message is delivered at once, or on the account directory)',
]

export const EXIT_CODES: Array<[code: number, meaning: string]> = [
  [0, 'success; for verify, a valid repository'],
  [1, 'a refused operation (a rule, a permission, a conflict) or an invalid repository'],
  [2, 'bad usage, or an unreadable input (no such repository, not a repository, corrupt object, bad passphrase)'],
  [141, 'the reader of the output closed it early (gitswarm log … | head), as git'],
]

const EXITS = ['Exit codes: ' + EXIT_CODES.map(([c, m]) => `${c} ${m}`).join('; ') + '.']

const HELP = ['gitswarm — Jami-style swarm conversations in git', '', 'Usage:', ...USAGE.map((u) => `  ${u}`), ...ACCOUNT_NOTE.map((u) => `  ${u}`), '', ...EXITS].join('\n')

/** The usage lines of one command (`gitswarm edit|react …` is both edit's and react's). */
export function usageOf(name: string): string[] {
  return USAGE.filter((u) => u.split(' ')[1]!.split('|').includes(name))
}

function commandHelp(name: string): string {
  const lines = usageOf(name)
  const writes = write.isWriteVerb(name) ? ACCOUNT_NOTE : []
  return ['Usage:', ...lines.map((u) => `  ${u}`), ...writes.map((u) => `  ${u}`), '', ...EXITS].join('\n')
}

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
    out.line(usageOf(name).length > 0 ? commandHelp(name) : HELP)
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
