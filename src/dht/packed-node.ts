/**
 * Tox's packed node format (reference tox-protocol.md §3.1):
 * `[ip_type 1][ip 4|16][port 2 BE][public key 32]`; ip_type 2/10 UDP IPv4/IPv6, +128 for TCP.
 * @module
 */
import { isIPv4 } from 'node:net'

export interface NodeInfo {
  host: string
  port: number
  /** The node's DHT public key. */
  publicKey: Uint8Array
  tcp?: boolean
}

export const PACKED_NODE_IPV4 = 39
export const PACKED_NODE_IPV6 = 51

export function packNode(node: NodeInfo): Buffer {
  const v4 = isIPv4(node.host)
  const out = Buffer.alloc(v4 ? PACKED_NODE_IPV4 : PACKED_NODE_IPV6)
  out[0] = (v4 ? 2 : 10) + (node.tcp ? 128 : 0)
  let at = 1
  if (v4) for (const part of node.host.split('.')) out[at++] = Number(part)
  else {
    const groups = expandIPv6(node.host)
    for (const g of groups) (out.writeUInt16BE(g, at), (at += 2))
  }
  out.writeUInt16BE(node.port, at)
  out.set(node.publicKey, at + 2)
  return out
}

function expandIPv6(host: string): number[] {
  const [head, tail] = host.split('::') as [string, string | undefined]
  const h = head ? head.split(':').map((x) => parseInt(x, 16)) : []
  const t = tail ? tail.split(':').map((x) => parseInt(x, 16)) : []
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t]
}

/** Decodes `count` packed nodes (or as many as fit); undefined if the bytes are malformed. */
export function unpackNodes(buf: Uint8Array, count: number, allowTcp = false): { nodes: NodeInfo[]; next: number } | undefined {
  const nodes: NodeInfo[] = []
  let at = 0
  for (let i = 0; i < count; i++) {
    const type = buf[at]
    if (type === undefined) return undefined
    const tcp = type >= 128
    if (tcp && !allowTcp) return undefined
    const family = type & 127
    const size = family === 2 ? PACKED_NODE_IPV4 : family === 10 ? PACKED_NODE_IPV6 : 0
    if (!size || at + size > buf.length) return undefined
    let host: string
    if (family === 2) host = Array.from(buf.subarray(at + 1, at + 5)).join('.')
    else {
      const b = Buffer.from(buf.subarray(at + 1, at + 17))
      host = Array.from({ length: 8 }, (_, g) => b.readUInt16BE(g * 2).toString(16)).join(':')
    }
    const portAt = at + size - 34
    const port = (buf[portAt]! << 8) | buf[portAt + 1]!
    nodes.push({ host, port, publicKey: new Uint8Array(buf.subarray(at + size - 32, at + size)), ...(tcp ? { tcp } : {}) })
    at += size
  }
  return { nodes, next: at }
}
