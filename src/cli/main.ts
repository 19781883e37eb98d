/**
 * The `gitswarm` command. Exit codes: 0 success (or a valid repository), 1 a refused
 * operation or an invalid repository, 2 bad usage or an unreadable repository.
 * @module
 */
import { pathToFileURL } from 'node:url'
import { BadPassphraseError, CorruptObjectError, GitswarmError, InvalidArgumentError, NotARepositoryError, NotFoundError } from '../errors.js'
import * as conformance from './commands/conformance.js'
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
}

const HELP = [
  'gitswarm — Jami-style swarm conversations in git',
  '',
  'Usage:',
  `  ${verify.usage}`,
  ...inspect.usage.map((u) => `  ${u}`),
  ...identity.usage.map((u) => `  ${u}`),
  ...write.usage.map((u) => `  ${u}`),
  `  ${conformance.usage}`,
  `  ${demo.usage}`,
  `  ${uploadPack.usage}`,
  '',
  'Exit codes: 0 ok, 1 refused or invalid, 2 bad usage or unreadable repository.',
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
