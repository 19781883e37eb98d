/**
 * `gitswarm node --account <dir>`: runs the account on the Tox network as a daemon (JSON-RPC
 * on `<dir>/node.sock` and on a WebSocket on 127.0.0.1, src/daemon/) and prints its events,
 * one line each (or one JSON object a line with --json), until SIGINT or SIGTERM. Other
 * commands given `--account <dir>` reach it through its socket. Its first line says how
 * others can bootstrap from it (`--bootstrap 127.0.0.1:<port>:<dht key>`) and where the API
 * is; with `--ui`, the address of the web client (token included) too.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Account } from '../../account/account.js'
import { NOTIFICATION_NAMES } from '../../daemon/api.js'
import { callAccount } from '../../daemon/client.js'
import { daemonInfoPath, serveDaemon, type Daemon } from '../../daemon/server.js'
import type { PeerInfo } from '../../account/swarm-node.js'
import type { BootstrapNode, NetworkOptions } from '../../account/network.js'
import { publicToxNodes } from '../../account/public-nodes.js'
import { InvalidArgumentError } from '../../errors.js'
import type { SwarmMessage } from '../../swarm/history-view.js'
import { parseArgs, type ParsedArgs } from '../args.js'
import type { Output } from '../output.js'
import { passphrase } from './identity.js'

export const usage = 'gitswarm node --account <dir> [--lan] [--bootstrap host:port:dhtkey|<dir of a running node>[,…]] [--tcp-relay host:port:dhtkey[,…]] [--relay <tcp port>] [--public [--bootstrap-file F]] [--port N] [--host H] [--accept-all] [--ui] [--api-port N] [--json]'
export const peersUsage = 'gitswarm peers --account <dir>               (connected devices and how each is reached)'

/**
 * How `gitswarm node` joins the network, from its flags. Default: 127.0.0.1 and only the
 * bootstrap nodes and relays given — nothing leaves the machine. `--lan`: every interface,
 * and LAN discovery broadcasts on each. `--public`: `--lan` plus the public Tox network's
 * bootstrap nodes and relays (the shipped list, or `--bootstrap-file`).
 */
export function networkOptions(args: ParsedArgs): NetworkOptions {
  const pub = args.flags.has('public')
  if (args.values.has('bootstrap-file') && !pub) throw new InvalidArgumentError('--bootstrap-file goes with --public')
  const list = pub ? publicToxNodes(args.values.get('bootstrap-file')) : undefined
  const lan = args.flags.has('lan') || pub
  const tcpRelays = parseBootstrap(args.values.get('tcp-relay'), 'a TCP relay').map((r) => ({ host: r.host, port: r.port, publicKey: Buffer.from(String(r.publicKey), 'hex') }))
  return {
    bootstrap: [...parseBootstrap(args.values.get('bootstrap')), ...(list?.bootstrap ?? [])],
    tcpRelays: [...tcpRelays, ...(list?.tcpRelays ?? [])],
    port: args.values.has('port') ? portNumber(args.values.get('port')!, '--port') : undefined,
    host: args.values.get('host') ?? (lan ? '0.0.0.0' : undefined),
    lanDiscovery: lan,
    relayPort: args.values.has('relay') ? portNumber(args.values.get('relay')!, '--relay') : undefined,
  }
}

/** The bootstrap address a running node wrote to `<dir>/node.json`, when `item` is such a directory. */
function runningNodeAddress(item: string): string {
  if (/:\d{1,5}:[0-9a-fA-F]{64}$/.test(item) || !existsSync(item) || !statSync(item).isDirectory()) return item
  const info = daemonInfoPath(item)
  // A node started a moment ago (`node --account ./alice & node … --bootstrap ./alice`) may not have written it yet.
  for (let waited = 0; !existsSync(info) && existsSync(join(item, 'identity')) && waited < 15_000; waited += 100) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
  if (!existsSync(info)) throw new InvalidArgumentError(`no node runs for the account in ${item} (no node.json there): start it with gitswarm node first`, { path: item })
  const bootstrap = (JSON.parse(readFileSync(info, 'utf8')) as { bootstrap?: unknown }).bootstrap
  if (typeof bootstrap !== 'string') throw new InvalidArgumentError(`${info} names no bootstrap address`, { path: info })
  return bootstrap
}

/** A port number given on the command line (0: any free one). */
function portNumber(value: string, flag: string): number {
  const n = Number(value)
  if (!/^\d{1,5}$/.test(value) || n > 65535) throw new InvalidArgumentError(`${flag} takes a port number (0-65535), got "${value}"`)
  return n
}

/**
 * `host:port:key` items, comma separated (`what` names them in errors). For a bootstrap node,
 * an item may also be the directory of an account whose node runs on this machine: its
 * address is read from that directory's node.json.
 */
export function parseBootstrap(value: string | undefined, what = 'a bootstrap node'): BootstrapNode[] {
  if (!value) return []
  return value.split(',').map((raw) => {
    const item = what === 'a bootstrap node' ? runningNodeAddress(raw.trim()) : raw
    const m = /^(.+):(\d{1,5}):([0-9a-fA-F]{64})$/.exec(item.trim())
    if (!m) throw new InvalidArgumentError(`${what} is host:port:dhtkey (64 hex digits), got "${item}"`)
    return { host: m[1]!, port: Number(m[2]), publicKey: m[3]!.toLowerCase() }
  })
}

function plain(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) }
  const m = value as SwarmMessage
  if (m && typeof m === 'object' && 'linearizedParent' in m) return { id: m.id, author: m.author, type: m.type, body: m.body }
  return value
}

function line(event: string, args: unknown[]): string {
  return [event, ...args.map((a) => (typeof a === 'string' ? a : JSON.stringify(plain(a))))].join(' ')
}

export async function run(argv: string[], out: Output): Promise<number> {
  const args: ParsedArgs = parseArgs(argv, { values: ['account', 'bootstrap', 'bootstrap-file', 'tcp-relay', 'relay', 'port', 'host', 'passphrase-file', 'api-port'], flags: ['accept-all', 'lan', 'public', 'ui'] })
  const dir = args.values.get('account')
  if (!dir) throw new InvalidArgumentError('--account <dir> is required')
  const options = networkOptions(args)
  const account = Account.open(dir, { passphrase: passphrase(args) })
  for (const event of NOTIFICATION_NAMES) {
    account.on(event as never, ((...eventArgs: unknown[]) => {
      if (out.json) out.line(JSON.stringify({ event, args: eventArgs.map(plain) }))
      else out.line(line(event, eventArgs))
    }) as never)
  }
  if (args.flags.has('accept-all')) {
    account.on('trustRequestReceived', (from) => account.acceptTrustRequest(from))
    account.on('conversationRequestReceived', (id) => account.acceptConversationRequest(id))
  }
  await account.start(options)
  const lan = options.lanDiscovery ?? false
  let daemon: Daemon | undefined
  try {
    const { node } = account
    const dhtKey = Buffer.from(node.tox.dhtPublicKey).toString('hex')
    const bootstrapAddress = `${node.tox.address.host}:${node.tox.address.port}:${dhtKey}`
    const apiPort = args.values.has('api-port') ? portNumber(args.values.get('api-port')!, '--api-port') : undefined
    daemon = await serveDaemon(account, { ui: args.flags.has('ui'), port: apiPort, info: { bootstrap: bootstrapAddress, toxId: account.toxId() } })
    const relay = node.tox.relayServer ? `${node.tox.address.host}:${node.tox.relayServer.address.port}:${dhtKey}` : undefined
    const hello = { account: account.uri, device: account.deviceId, toxId: account.toxId(), bootstrap: bootstrapAddress, lanDiscovery: lan, ...(relay ? { relay } : {}), api: daemon.url, ...(daemon.uiUrl ? { ui: daemon.uiUrl } : {}) }
    if (out.json) out.line(JSON.stringify({ event: 'started', args: [hello] }))
    else {
      out.line(`started account ${hello.account} Tox ID ${hello.toxId} — others bootstrap with --bootstrap ${hello.bootstrap}${relay ? ` and relay with --tcp-relay ${relay}` : ''}${lan ? ' — LAN discovery on' : ''}`)
      out.line(`daemon API: JSON-RPC on ${daemon.url} (token in ${dir}/node.token) and on ${dir}/node.sock`)
      if (daemon.uiUrl) out.line(`web client: ${daemon.uiUrl}`)
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    return 0
  } finally {
    await daemon?.close()
    await account.stop()
    if (out.json) out.line(JSON.stringify({ event: 'stopped', args: [] }))
    else out.line('stopped')
  }
}

/** `gitswarm peers --account <dir>`: the running node's connected devices, one line each (or JSON). */
export async function peers(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['account'], flags: [] })
  const dir = args.values.get('account')
  if (!dir) throw new InvalidArgumentError('--account <dir> is required')
  const { result, via } = await callAccount(dir, 'getPeers')
  const list = via === 'node' ? (result as PeerInfo[]) : []
  if (out.json) out.data({ running: via === 'node', peers: list })
  else if (via !== 'node') out.line('no node is running for this account (start one with gitswarm node)')
  else if (list.length === 0) out.line('no device connected')
  else for (const p of list) out.line(`${p.accountUri} device ${p.deviceId.slice(0, 12)}… ${p.path} ${p.address} rtt ${p.rttMs} ms`)
  return 0
}
