/**
 * A small argument parser: positionals, `--flag`, `--key value`, `--key=value`, `-n 5`.
 * Unknown options are errors, so a typo never silently changes what a command does.
 * @module
 */
import { InvalidArgumentError } from '../errors.js'

export interface OptionSpec {
  /** Options taking a value. */
  values?: readonly string[]
  /** Boolean options. */
  flags?: readonly string[]
  /** Short aliases: `{ n: 'count' }`. */
  aliases?: Readonly<Record<string, string>>
}

export interface ParsedArgs {
  positionals: string[]
  values: Map<string, string>
  flags: Set<string>
}

export function parseArgs(argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const out: ParsedArgs = { positionals: [], values: new Map(), flags: new Set() }
  const values = new Set(spec.values ?? [])
  const flags = new Set([...(spec.flags ?? []), 'help', 'json'])
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg)
      continue
    }
    let name = arg.startsWith('--') ? arg.slice(2) : arg.slice(1)
    let inline: string | undefined
    const eq = name.indexOf('=')
    if (eq >= 0) [name, inline] = [name.slice(0, eq), name.slice(eq + 1)]
    if (!arg.startsWith('--')) name = spec.aliases?.[name] ?? (name === 'h' ? 'help' : name)
    if (flags.has(name) && inline === undefined) out.flags.add(name)
    else if (values.has(name)) {
      const value = inline ?? argv[++i]
      if (value === undefined) throw new InvalidArgumentError(`option --${name} needs a value`)
      out.values.set(name, value)
    } else throw new InvalidArgumentError(`unknown option ${arg}`)
  }
  return out
}

/** A required positional argument. */
export function positional(args: ParsedArgs, index: number, what: string): string {
  const v = args.positionals[index]
  if (v === undefined) throw new InvalidArgumentError(`missing ${what}`)
  return v
}

export function intOption(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.values.get(name)
  if (raw === undefined) return fallback
  const v = Number(raw)
  if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`--${name} must be a non-negative integer`)
  return v
}
