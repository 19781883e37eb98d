/**
 * Scripting verbs that write to a conversation as one device: create, send, reply, edit,
 * delete, react, unreact, invite, join, leave, ban, unban, set-profile. Each prints the new
 * commit id(s), so shell scripts can chain them.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js'
import { loadIdentity } from '../../identity/storage.js'
import { Conversation } from '../../swarm/conversation.js'
import type { ConversationMode } from '../../validation/context.js'
import { parseArgs, positional, type ParsedArgs } from '../args.js'
import type { Output } from '../output.js'
import type { MethodName } from '../../daemon/api.js'
import { callAccount } from '../../daemon/client.js'
import { passphrase } from './identity.js'

export const usage = [
  'gitswarm create --identity <dir> [--dir D | --path P] [--mode 0-3] [--invite URI]',
  'gitswarm send <repo> --identity <dir> <text> [--reply-to <commit>]',
  'gitswarm edit|react <repo> --identity <dir> <commit> <text|emoji>',
  'gitswarm delete|unreact <repo> --identity <dir> <commit>',
  'gitswarm invite|ban|unban <repo> --identity <dir> <uri>',
  'gitswarm join|leave <repo> --identity <dir>',
  'gitswarm set-profile <repo> --identity <dir> [--title T] [--description D]',
]

const SPEC = { values: ['identity', 'account', 'passphrase-file', 'reply-to', 'mode', 'invite', 'dir', 'path', 'title', 'description'] }

function identityOf(args: ParsedArgs) {
  const dir = args.values.get('identity')
  if (!dir) throw new InvalidArgumentError('--identity <dir> is required to write')
  return loadIdentity(dir, { passphrase: passphrase(args) })
}

function report(out: Output, ids: string | string[] | undefined): number {
  const list = ids === undefined ? [] : Array.isArray(ids) ? ids : [ids]
  if (out.json) out.data({ commits: list })
  else for (const id of list) out.line(id)
  return 0
}

export async function create(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, SPEC)
  const mode = Number(args.values.get('mode') ?? 2)
  const conv = Conversation.create(identityOf(args), {
    mode: mode as ConversationMode,
    invited: args.values.get('invite'),
    dir: args.values.get('dir'),
    path: args.values.get('path'),
  })
  if (out.json) out.data({ id: conv.id, path: conv.path })
  else out.line(`${conv.id} ${conv.path}`)
  conv.close()
  return 0
}

type Verb = (conv: Conversation, args: ParsedArgs) => string | string[] | undefined

const VERBS: Record<string, Verb> = {
  send: (c, a) => c.sendMessage(positional(a, 1, 'message text'), { replyTo: a.values.get('reply-to') }),
  edit: (c, a) => c.editMessage(positional(a, 1, 'commit id'), positional(a, 2, 'new text')),
  delete: (c, a) => c.deleteMessage(positional(a, 1, 'commit id')),
  react: (c, a) => c.addReaction(positional(a, 1, 'commit id'), positional(a, 2, 'emoji')),
  unreact: (c, a) => c.removeReaction(positional(a, 1, 'reaction commit id')),
  invite: (c, a) => c.addMember(positional(a, 1, 'account URI')),
  join: (c) => c.join(),
  leave: (c) => c.leave(),
  ban: (c, a) => c.banMember(positional(a, 1, 'account URI or device id')),
  unban: (c, a) => c.unbanMember(positional(a, 1, 'account URI or device id')),
  'set-profile': (c, a) => {
    const changes: Record<string, string> = {}
    for (const key of ['title', 'description']) if (a.values.has(key)) changes[key] = a.values.get(key)!
    if (Object.keys(changes).length === 0) throw new InvalidArgumentError('give --title and/or --description')
    return c.updateProfile(changes)
  },
}

export function isWriteVerb(name: string): boolean {
  return Object.hasOwn(VERBS, name)
}

/** The same verbs on an account's conversation: [Account method, its arguments]. */
const ACCOUNT_VERBS: Record<string, (id: string, a: ParsedArgs) => [MethodName, unknown[]]> = {
  send: (id, a) => ['sendMessage', [id, positional(a, 1, 'message text'), { replyTo: a.values.get('reply-to') }]],
  edit: (id, a) => ['editMessage', [id, positional(a, 1, 'commit id'), positional(a, 2, 'new text')]],
  delete: (id, a) => ['deleteMessage', [id, positional(a, 1, 'commit id')]],
  react: (id, a) => ['addReaction', [id, positional(a, 1, 'commit id'), positional(a, 2, 'emoji')]],
  unreact: (id, a) => ['removeReaction', [id, positional(a, 1, 'reaction commit id')]],
  invite: (id, a) => ['addConversationMember', [id, positional(a, 1, 'account URI')]],
  unban: (id, a) => ['addConversationMember', [id, positional(a, 1, 'account URI')]],
  ban: (id, a) => ['removeConversationMember', [id, positional(a, 1, 'account URI')]],
  leave: (id) => ['removeConversation', [id]],
  join: (id) => ['acceptConversationRequest', [id]],
  'set-profile': (id, a) => ['updateConversationInfos', [id, { title: a.values.get('title'), description: a.values.get('description') }]],
}

export async function run(verb: string, argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, SPEC)
  const account = args.values.get('account')
  if (account) {
    const [op, params] = ACCOUNT_VERBS[verb]!(positional(args, 0, 'conversation id'), args)
    const { result } = await callAccount(account, op, params, { passphrase: passphrase(args) })
    return report(out, typeof result === 'string' ? result : undefined)
  }
  const conv = Conversation.open(positional(args, 0, 'repository path'), { identity: identityOf(args) })
  try {
    return report(out, VERBS[verb]!(conv, args))
  } finally {
    conv.close()
  }
}
