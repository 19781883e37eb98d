/**
 * The public Tox network's bootstrap nodes and TCP relays, as a list shipped in the package
 * (data/public-tox-nodes.json, with its source and dates) or read from a file of the same
 * form. Nothing uses them unless asked: `gitswarm node --public`, or an app that passes
 * them to Account.start. The default stays on the machine (127.0.0.1, no bootstrap node).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { InvalidArgumentError } from '../errors.js'
import type { RelayAddress } from '../transport/tcp-relay.js'
import type { BootstrapNode } from './network.js'

/** Where to join a Tox network: bootstrap nodes, and the TCP relays among them. */
export interface ToxNodeList {
  bootstrap: BootstrapNode[]
  tcpRelays: RelayAddress[]
  /** Where the list came from and when (from the file). */
  source: string
  scanned?: string
}

const SHIPPED = ['../../data/public-tox-nodes.json', '../../../data/public-tox-nodes.json'].map((p) => fileURLToPath(new URL(p, import.meta.url)))

/** Reads a node list in data/public-tox-nodes.json's form; the shipped one without a path. Throws InvalidArgumentError for anything else. */
export function publicToxNodes(path?: string): ToxNodeList {
  const file = path ?? SHIPPED.find((p) => existsSync(p))
  if (!file) throw new InvalidArgumentError('the package has no data/public-tox-nodes.json')
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new InvalidArgumentError(`${file}: not a JSON node list (${(err as Error).message})`)
  }
  const d = doc as { source?: unknown; scanned?: unknown; nodes?: unknown }
  if (!Array.isArray(d.nodes) || d.nodes.length === 0) throw new InvalidArgumentError(`${file}: no "nodes" list`)
  const list: ToxNodeList = { bootstrap: [], tcpRelays: [], source: typeof d.source === 'string' ? d.source : file, ...(typeof d.scanned === 'string' ? { scanned: d.scanned } : {}) }
  for (const [i, n] of (d.nodes as Array<Record<string, unknown>>).entries()) {
    const { host, port, publicKey, tcpPorts } = n ?? {}
    const ok = typeof host === 'string' && host.length > 0 && isPort(port) && typeof publicKey === 'string' && /^[0-9a-fA-F]{64}$/.test(publicKey) && (tcpPorts === undefined || (Array.isArray(tcpPorts) && tcpPorts.every(isPort)))
    if (!ok) throw new InvalidArgumentError(`${file}: node ${i} needs host, port, publicKey (64 hex digits) and optional tcpPorts`)
    const key = publicKey.toLowerCase()
    list.bootstrap.push({ host, port, publicKey: key })
    // One relay per node (a relay is known by its key: further ports would be the same relay).
    const [tcp] = (tcpPorts as number[] | undefined) ?? []
    if (tcp) list.tcpRelays.push({ host, port: tcp, publicKey: Buffer.from(key, 'hex') })
  }
  return list
}

function isPort(p: unknown): p is number {
  return Number.isInteger(p) && (p as number) > 0 && (p as number) < 65536
}
