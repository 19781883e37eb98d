/**
 * Files from the command line: `gitswarm send-file` shares one in a conversation of an
 * account, `gitswarm download` fetches one — through the running node when there is one
 * (it asks it, then follows its progress), else on the network itself with `--bootstrap`,
 * else queued in the account for its node's next start. A progress bar on a terminal;
 * one JSON document with `--json`.
 * @module
 */
import { resolve } from 'node:path'
import { Account } from '../../account/account.js'
import { callAccount } from '../../daemon/client.js'
import type { TransferInfo } from '../../account/files.js'
import { InvalidArgumentError, InvalidStateError } from '../../errors.js'
import { safeFileName } from '../../filetransfer/names.js'
import type { SwarmMessage } from '../../swarm/history-view.js'
import { parseArgs, positional, type ParsedArgs } from '../args.js'
import type { Output } from '../output.js'
import { progressBar } from '../progress.js'
import { passphrase } from './identity.js'
import { parseBootstrap } from './node.js'

export const usage = [
  'gitswarm send-file <conversation> <path> --account <dir> [--name N]',
  'gitswarm download <conversation> <message> [<dest>] --account <dir> [--bootstrap host:port:dhtkey] [--timeout S] [--json]',
]

const SPEC = { values: ['account', 'name', 'bootstrap', 'timeout', 'passphrase-file'] }

function accountDir(args: ParsedArgs): string {
  const dir = args.values.get('account')
  if (!dir) throw new InvalidArgumentError('--account <dir> is required')
  return dir
}

export async function sendFile(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, SPEC)
  const dir = accountDir(args)
  const id = positional(args, 0, 'conversation id')
  const path = resolve(positional(args, 1, 'file path'))
  const name = args.values.get('name')
  const { result, via } = await callAccount(dir, 'sendFile', [id, path, name ? { displayName: name } : {}], { passphrase: passphrase(args) })
  const interaction = result as string
  const { result: message } = await callAccount(dir, 'getMessage', [id, interaction], { passphrase: passphrase(args) })
  const fileId = (message as SwarmMessage).fileId
  if (out.json) out.data({ id: interaction, fileId, via })
  else out.line(`${interaction} ${fileId}${via === 'directory' ? ' (hosted; announced when the node starts)' : ''}`)
  return 0
}

export async function download(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, SPEC)
  const dir = accountDir(args)
  const id = positional(args, 0, 'conversation id')
  const interaction = positional(args, 1, 'message id (the file announcement)')
  const timeoutMs = Number(args.values.get('timeout') ?? 600) * 1000
  if (!(timeoutMs > 0)) throw new InvalidArgumentError('--timeout is a number of seconds')
  const options = { passphrase: passphrase(args) }
  const { result } = await callAccount(dir, 'getMessage', [id, interaction], options)
  const message = result as SwarmMessage
  if (!message.fileId) throw new InvalidStateError(`download ${interaction}`, 'that message is not a file (or the file was deleted)')
  // The default destination is the announced name, checked: an announcement cannot pick the path.
  const dest = resolve(args.positionals[2] ?? safeFileName(message.body['displayName'] ?? '', 'the announced file name'))
  const bar = progressBar(message.body['displayName'] ?? message.fileId, process.stderr, !out.json && process.stderr.isTTY === true)
  const { via } = await callAccount(dir, 'downloadFile', [id, interaction, message.fileId, dest], options)
  let info: TransferInfo | undefined
  if (via === 'node') info = await followNode(dir, id, message.fileId, dest, timeoutMs, bar.update, options)
  else if (args.values.has('bootstrap')) info = await downloadHere(dir, id, message.fileId, dest, parseBootstrap(args.values.get('bootstrap')), timeoutMs, bar.update, options)
  else {
    const queued = { status: 'waiting', path: dest, bytes: 0, total: Number(message.body['totalSize']) }
    if (out.json) out.data(queued)
    else out.line(`queued: ${dest} downloads when the account's node starts (or give --bootstrap to fetch it now)`)
    return 0
  }
  bar.done()
  if (out.json) out.data(info)
  else if (info.status === 'finished') out.line(`${info.path} ${info.total} bytes, SHA3-512 verified`)
  else out.error(`gitswarm download: ${info.error?.message ?? `still ${info.status} after ${timeoutMs / 1000} s (the download goes on with the node; its partial file is kept)`}`)
  return info.status === 'finished' ? 0 : 1
}

/** Polls a download's fileTransferInfo until it ends or the time is up. */
async function follow(info: () => Promise<TransferInfo | undefined>, dest: string, timeoutMs: number, onProgress: (bytes: number, total: number) => void): Promise<TransferInfo> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const now = (await info()) ?? { status: 'error', bytes: 0, total: 0, path: dest, error: { code: 'ERR_NOT_FOUND', message: 'the download was cancelled' } }
    onProgress(now.bytes, now.total)
    if (now.status === 'finished' || now.status === 'error' || Date.now() > end) return now
    await new Promise((r) => setTimeout(r, 200))
  }
}

function followNode(dir: string, id: string, fileId: string, dest: string, timeoutMs: number, onProgress: (bytes: number, total: number) => void, options: { passphrase?: string }): Promise<TransferInfo> {
  return follow(async () => (await callAccount(dir, 'fileTransferInfo', [id, fileId], options)).result as TransferInfo | undefined, dest, timeoutMs, onProgress)
}

/** No node runs: this process joins the network, downloads, and leaves. */
async function downloadHere(dir: string, id: string, fileId: string, dest: string, bootstrap: ReturnType<typeof parseBootstrap>, timeoutMs: number, onProgress: (bytes: number, total: number) => void, options: { passphrase?: string }): Promise<TransferInfo> {
  const account = Account.open(dir, options)
  try {
    await account.start({ bootstrap })
    return await follow(async () => account.fileTransferInfo(id, fileId), dest, timeoutMs, onProgress)
  } finally {
    await account.stop()
  }
}
