/**
 * The control socket of a running account (`<account dir>/node.sock`): other processes — the
 * CLI in another terminal — call the Account's own methods through it, so a message written
 * there is announced at once by the node. One JSON request a line, `{"op","args"}`, one JSON
 * answer a line, `{"ok":true,"result"}` or `{"ok":false,"error":{name,code,message,data}}`.
 * Only the methods listed in CONTROL_OPS can be called. Without a running node, callAccount
 * opens the directory itself and calls the same method there.
 * @module
 */
import { existsSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { GitswarmError, InvalidArgumentError } from '../errors.js'
import { Account } from './account.js'

/** The Account methods another process may call. */
export const CONTROL_OPS = [
  'getNetworkStatus',
  'addContact',
  'acceptTrustRequest',
  'discardTrustRequest',
  'removeContact',
  'getContacts',
  'getTrustRequests',
  'getConversationRequests',
  'acceptConversationRequest',
  'declineConversationRequest',
  'startConversation',
  'getConversations',
  'conversationInfos',
  'getConversationMembers',
  'sendMessage',
  'editMessage',
  'deleteMessage',
  'addReaction',
  'removeReaction',
  'addConversationMember',
  'removeConversationMember',
  'updateConversationInfos',
  'removeConversation',
  'loadConversation',
  'getMessage',
  'toxId',
  'sendFile',
  'downloadFile',
  'cancelDataTransfer',
  'fileTransferInfo',
  'getPeers',
] as const

export type ControlOp = (typeof CONTROL_OPS)[number]

export function socketPath(dir: string): string {
  return join(dir, 'node.sock')
}

function invoke(account: Account, op: string, args: unknown[]): unknown {
  if (!(CONTROL_OPS as readonly string[]).includes(op)) throw new InvalidArgumentError(`unknown operation "${op}"`)
  const method = (account as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!
  return method.apply(account, args)
}

async function answerOf(account: Account, line: string): Promise<unknown> {
  try {
    const { op, args } = JSON.parse(line) as { op: string; args?: unknown[] }
    return { ok: true, result: (await invoke(account, op, Array.isArray(args) ? args : [])) ?? null }
  } catch (err) {
    const e = err instanceof GitswarmError ? err.toJSON() : { name: 'Error', code: 'ERR_UNEXPECTED', message: err instanceof Error ? err.message : String(err), data: {} }
    return { ok: false, error: e }
  }
}

/** Serves the control socket of a started account; close the returned server to stop. */
export function serveControl(account: Account): Promise<Server> {
  const path = socketPath(account.dir)
  if (existsSync(path)) rmSync(path, { force: true })
  const server = createServer((socket) => {
    let buffered = ''
    // Answers go out in the order asked, also when a method is async (sendFile).
    let answered: Promise<void> = Promise.resolve()
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8')
      if (buffered.length > 1_000_000) return void socket.destroy()
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const answer = answerOf(account, line)
        answered = answered.then(async () => void socket.write(JSON.stringify(await answer) + '\n'))
      }
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve(server))
  })
}

/** The answer of a running node, or undefined when none listens on the account's socket. */
function askNode(dir: string, op: string, args: unknown[]): Promise<{ ok: boolean; result?: unknown; error?: ReturnType<GitswarmError['toJSON']> } | undefined> {
  const path = socketPath(dir)
  if (!existsSync(path)) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const socket = createConnection(path)
    let buffered = ''
    socket.on('error', () => resolve(undefined))
    socket.on('connect', () => socket.write(JSON.stringify({ op, args }) + '\n'))
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8')
      const nl = buffered.indexOf('\n')
      if (nl < 0) return
      socket.end()
      resolve(JSON.parse(buffered.slice(0, nl)))
    })
  })
}

/**
 * Calls an Account method on the account in `dir`: through its running node when there is
 * one (so the network hears of it at once), else on the directory directly (the node, when
 * started, announces what was written meanwhile). Errors come back as GitswarmErrors.
 */
export async function callAccount(dir: string, op: ControlOp, args: unknown[] = [], options: { passphrase?: string } = {}): Promise<{ result: unknown; via: 'node' | 'directory' }> {
  const answer = await askNode(dir, op, args)
  if (answer) {
    if (answer.ok) return { result: answer.result, via: 'node' }
    const e = answer.error!
    const err = new GitswarmError(e.code, e.message, e.data)
    Object.defineProperty(err, 'name', { value: e.name })
    throw err
  }
  const account = Account.open(dir, options)
  try {
    return { result: (await invoke(account, op, args)) ?? null, via: 'directory' }
  } finally {
    await account.stop()
  }
}
