/**
 * Accounts from the command line: `gitswarm account create|show|export|import`, and the
 * verbs that act on an account — contacts, requests, new conversations — through its running
 * node (`gitswarm node`) when there is one, else on its directory.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Account } from '../../account/account.js'
import type { MethodName } from '../../daemon/api.js'
import { callAccount } from '../../daemon/client.js'
import type { Contact, ConversationRequest, TrustRequest } from '../../account/store.js'
import { InvalidArgumentError } from '../../errors.js'
import { parseArgs, positional, type ParsedArgs } from '../args.js'
import type { Output } from '../output.js'
import { passphrase } from './identity.js'

export const usage = [
  'gitswarm account create <dir> --name N [--passphrase-file F]',
  'gitswarm account show <dir>',
  'gitswarm account export <dir> <archive> --archive-passphrase P',
  'gitswarm account import <archive> <dir> --archive-passphrase P [--name N]',
  'gitswarm contact add <tox-id> | accept <uri> | discard <uri> | remove <uri> [--ban] | list   --account <dir>',
  'gitswarm requests --account <dir>            (invitations waiting)',
  'gitswarm accept|decline <conversation> --account <dir>',
  'gitswarm start --account <dir> [--title T]   (a new group conversation)',
]

const SPEC = { values: ['name', 'passphrase-file', 'archive-passphrase', 'account', 'title'], flags: ['ban'] }

function archivePassphrase(args: ParsedArgs): string {
  const p = args.values.get('archive-passphrase')
  if (!p) throw new InvalidArgumentError('--archive-passphrase is required')
  return p
}

function describeAccount(a: Account) {
  return {
    uri: a.uri,
    deviceId: a.deviceId,
    name: a.displayName,
    toxId: a.toxId(),
    conversations: a.getConversations(),
    contacts: a.getContacts().map((c) => ({ uri: c.uri, confirmed: c.confirmed, conversationId: c.conversationId })),
    requests: a.getConversationRequests().map((r) => ({ id: r.id, from: r.from, title: r.metadatas['title'] })),
    devices: Object.values(a.store.devices.value).map((d) => ({ deviceId: d.deviceId, name: d.name })),
  }
}

export async function run(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv
  const args = parseArgs(rest, SPEC)
  if (verb === 'create') {
    const a = await Account.create(positional(args, 0, 'account directory'), { displayName: args.values.get('name') ?? 'gitswarm', passphrase: passphrase(args) })
    return show(out, a)
  }
  if (verb === 'show') return show(out, Account.open(positional(args, 0, 'account directory'), { passphrase: passphrase(args) }))
  if (verb === 'export') {
    const a = Account.open(positional(args, 0, 'account directory'), { passphrase: passphrase(args) })
    const file = positional(args, 1, 'archive file')
    writeFileSync(file, a.exportArchive(archivePassphrase(args)), { mode: 0o600 })
    if (out.json) out.data({ archive: file })
    else out.line(`account ${a.uri} exported to ${file}`)
    return 0
  }
  if (verb === 'import') {
    const archive = readFileSync(positional(args, 0, 'archive file'))
    const a = await Account.importArchive(positional(args, 1, 'account directory'), archive, archivePassphrase(args), { displayName: args.values.get('name'), passphrase: passphrase(args) })
    return show(out, a)
  }
  throw new InvalidArgumentError(`unknown account command "${verb ?? ''}" (create, show, export, import)`)
}

function show(out: Output, a: Account): number {
  const d = describeAccount(a)
  if (out.json) out.data(d)
  else {
    out.line(`account   ${d.uri} (${d.name})`)
    out.line(`device    ${d.deviceId}`)
    out.line(`Tox ID    ${d.toxId}`)
    for (const id of d.conversations) out.line(`conversation ${id}`)
    for (const c of d.contacts) out.line(`contact   ${c.uri || '(waiting for an answer)'}${c.confirmed ? '' : ' pending'}`)
    for (const r of d.requests) out.line(`request   ${r.id} from ${r.from}${r.title ? ` "${r.title}"` : ''}`)
    for (const dev of d.devices) out.line(`device    ${dev.deviceId} ${dev.name}`)
  }
  return 0
}

function accountDir(args: ParsedArgs): string {
  const dir = args.values.get('account')
  if (!dir) throw new InvalidArgumentError('--account <dir> is required')
  return dir
}

async function call(args: ParsedArgs, op: MethodName, params: unknown[]): Promise<unknown> {
  return (await callAccount(accountDir(args), op, params, { passphrase: passphrase(args) })).result
}

/** `gitswarm contact add|accept|discard|remove|list`. */
export async function contact(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv
  const args = parseArgs(rest, SPEC)
  if (verb === 'list') {
    const contacts = (await call(args, 'getContacts', [])) as Contact[]
    const requests = (await call(args, 'getTrustRequests', [])) as TrustRequest[]
    if (out.json) out.data({ contacts, requests })
    else {
      for (const c of contacts) out.line(`${c.uri || c.pending?.toxPk} ${c.confirmed ? 'confirmed' : 'pending'}${c.conversationId ? ` ${c.conversationId}` : ''}`)
      for (const r of requests) out.line(`${r.uri} asks to be a contact (${r.name})`)
    }
    return 0
  }
  const ops: Record<string, MethodName> = { add: 'addContact', accept: 'acceptTrustRequest', discard: 'discardTrustRequest', remove: 'removeContact' }
  const op = ops[verb ?? '']
  if (!op) throw new InvalidArgumentError(`unknown contact command "${verb ?? ''}" (add, accept, discard, remove, list)`)
  const target = positional(args, 0, verb === 'add' ? 'Tox ID' : 'account URI')
  await call(args, op, op === 'removeContact' ? [target, { ban: args.flags.has('ban') }] : [target])
  if (out.json) out.data({ ok: true })
  return 0
}

/** `gitswarm requests`: invitations waiting. */
export async function requests(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, SPEC)
  const list = (await call(args, 'getConversationRequests', [])) as Array<ConversationRequest & { id: string }>
  if (out.json) out.data(list)
  else for (const r of list) out.line(`${r.id} from ${r.from}${r.metadatas['title'] ? ` "${r.metadatas['title']}"` : ''}`)
  return 0
}

/** `gitswarm accept|decline <conversation>`. */
export function answer(op: 'acceptConversationRequest' | 'declineConversationRequest') {
  return async (argv: string[], out: Output): Promise<number> => {
    const args = parseArgs(argv, SPEC)
    await call(args, op, [positional(args, 0, 'conversation id')])
    if (out.json) out.data({ ok: true })
    return 0
  }
}

/** `gitswarm start`: a new group conversation; prints its id. */
export async function start(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, SPEC)
  const title = args.values.get('title')
  const id = (await call(args, 'startConversation', [title ? { title } : {}])) as string
  if (out.json) out.data({ id })
  else out.line(id)
  return 0
}
