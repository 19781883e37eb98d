/**
 * Reading a conversation: `log`, `show`, `members`, `profile`. All open the repository
 * read-only (nothing is written, not even the derived index).
 * @module
 */
import { InvalidArgumentError } from '../../errors.js'
import { isOid } from '../../git/object-codec.js'
import { Conversation } from '../../swarm/conversation.js'
import { validateCommit } from '../../validation/validate.js'
import { intOption, parseArgs, positional } from '../args.js'
import { describeMessage, formatTime, shortId, type Output } from '../output.js'

export const usage = [
  'gitswarm log <repo> [-n N] [--from <commit>] [--json]',
  'gitswarm show <repo> <commit> [--json]',
  'gitswarm members <repo> [--json]',
  'gitswarm profile <repo> [--json]',
]

function open(path: string): Conversation {
  return Conversation.open(path, { readOnly: true })
}


export async function log(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['n', 'from'], aliases: { n: 'n' } })
  const conv = open(positional(args, 0, 'repository path'))
  try {
    const messages = conv.loadMessages({ n: intOption(args, 'n', 20), from: args.values.get('from') })
    if (out.json) return out.data(messages), 0
    for (const m of messages) {
      const extras = [m.editions.length ? 'edited' : '', ...m.reactions.map((r) => r.emoji)].filter(Boolean).join(' ')
      out.line(`${shortId(m.id)} ${formatTime(m.timestamp)} ${shortId(m.author)} ${describeMessage(m.type, m.body)}${extras ? `  [${extras}]` : ''}`)
    }
    return 0
  } finally {
    conv.close()
  }
}

export async function show(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, {})
  const conv = open(positional(args, 0, 'repository path'))
  try {
    const id = positional(args, 1, 'commit id')
    if (!isOid(id)) throw new InvalidArgumentError(`"${id}" is not a 40-hex commit id`)
    const commit = conv.view.commit(id)
    const first = commit.fields.parents[0]
    const changes = conv.view.changes(first ? conv.view.commit(first).tree : undefined, commit.tree)
    const { verdict } = validateCommit({ ...conv.validationEnv(), rootId: conv.id }, id)
    const info = {
      id,
      parents: commit.fields.parents,
      tree: commit.fields.tree,
      author: commit.fields.author,
      account: conv.history().get(id)?.uri ?? '',
      message: commit.fields.message,
      changes,
      verdict,
    }
    if (out.json) return out.data(info), 0
    out.line(`commit ${id}`)
    for (const p of info.parents) out.line(`parent ${p}`)
    out.line(`author ${info.author.name} <${info.author.email}> ${formatTime(info.author.timestamp)}`)
    out.line(`account ${info.account || '(unknown)'}`)
    out.line(`verdict ${verdict.ok ? 'valid' : `rejected by ${verdict.rule}: ${verdict.reason}`}`)
    out.line()
    out.line(`    ${info.message}`)
    if (changes.length) out.line()
    for (const c of changes) out.line(`${c.status.padEnd(8)} ${c.path}`)
    return 0
  } finally {
    conv.close()
  }
}

export async function members(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, {})
  const conv = open(positional(args, 0, 'repository path'))
  try {
    const list = conv.members()
    const devices = conv.devices()
    if (out.json) return out.data({ members: list, devices }), 0
    for (const m of list) {
      const own = devices.filter((d) => d.uri === m.uri)
      out.line(`${m.uri} ${m.role}${own.length ? `  (${own.length} device${own.length > 1 ? 's' : ''})` : ''}`)
    }
    return 0
  } finally {
    conv.close()
  }
}

export async function profile(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, {})
  const conv = open(positional(args, 0, 'repository path'))
  try {
    const p = { ...conv.profile(), mode: conv.mode, id: conv.id }
    if (out.json) return out.data(p), 0
    for (const [k, v] of Object.entries(p)) out.line(`${k}: ${k === 'avatar' ? `${String(v).length} base64 chars` : v}`)
    return 0
  } finally {
    conv.close()
  }
}
