/**
 * Calling an account from another process — the CLI in a second terminal: JSON-RPC over the
 * running node's Unix socket, so what is written there is announced at once; without a
 * running node, the same method on the account directory itself.
 * @module
 */
import { existsSync } from 'node:fs'
import { createConnection } from 'node:net'
import { Account } from '../account/account.js'
import { GitswarmError } from '../errors.js'
import type { MethodName } from './api.js'
import type { RpcError } from './json-rpc.js'
import { callMethod } from './methods.js'
import { socketPath } from './server.js'

/** The answer of a running node, or undefined when none listens on the account's socket. */
function askNode(dir: string, method: string, params: unknown[]): Promise<{ result?: unknown; error?: RpcError } | undefined> {
  const path = socketPath(dir)
  if (!existsSync(path)) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const socket = createConnection(path)
    let buffered = ''
    socket.on('error', () => resolve(undefined))
    socket.on('connect', () => socket.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n'))
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8')
      const nl = buffered.indexOf('\n')
      if (nl < 0) return
      socket.end()
      resolve(JSON.parse(buffered.slice(0, nl)))
    })
  })
}

/** A GitswarmError rebuilt from a JSON-RPC error, with its code, class name and data. */
export function errorFromRpc(e: RpcError): GitswarmError {
  const err = new GitswarmError(e.data?.code ?? 'ERR_UNEXPECTED', e.message, e.data?.details ?? {})
  Object.defineProperty(err, 'name', { value: e.data?.name ?? 'Error' })
  return err
}

/**
 * Calls a daemon API method (./api.ts) on the account in `dir`: through its running node when
 * there is one, else on the directory directly (the node, when started, announces what was
 * written meanwhile). Errors come back as GitswarmErrors.
 */
export async function callAccount(dir: string, method: MethodName, params: unknown[] = [], options: { passphrase?: string } = {}): Promise<{ result: unknown; via: 'node' | 'directory' }> {
  const answer = await askNode(dir, method, params)
  if (answer) {
    if (answer.error) throw errorFromRpc(answer.error)
    return { result: answer.result, via: 'node' }
  }
  const account = Account.open(dir, options)
  try {
    // The same JSON a node would receive: undefined fields gone, no class instances.
    return { result: await callMethod(account, method, JSON.parse(JSON.stringify(params)) as unknown[]), via: 'directory' }
  } finally {
    await account.stop()
  }
}
