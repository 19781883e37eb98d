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

/** An address's family byte (2 IPv4, 10 IPv6) and its 4 or 16 address bytes. */
export function ipBytes(host: string): { family: 2 | 10; bytes: Buffer } {
  // A link-local address's interface stays here (the format has no room for it), and an IPv4
  // peer seen through a dual-stack socket (::ffff:a.b.c.d) is an IPv4 node, as c-toxcore packs it.
  const plain = host.replace(/%.*$/, '')
  const v4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain)?.[1] ?? plain
  if (isIPv4(v4)) return { family: 2, bytes: Buffer.from(v4.split('.').map(Number)) }
  const bytes = Buffer.alloc(16)
  expandIPv6(plain).forEach((g, i) => bytes.writeUInt16BE(g, i * 2))
  return { family: 10, bytes }
}

/** The host written by `ipBytes` (IPv6 in full, unabbreviated hex groups). */
export function ipFromBytes(family: 2 | 10, bytes: Uint8Array): string {
  if (family === 2) return Array.from(bytes.subarray(0, 4)).join('.')
  const b = Buffer.from(bytes.subarray(0, 16))
  return Array.from({ length: 8 }, (_, g) => b.readUInt16BE(g * 2).toString(16)).join(':')
}

export function packNode(node: NodeInfo): Buffer {
  const { family, bytes } = ipBytes(node.host)
  return Buffer.concat([Uint8Array.of(family + (node.tcp ? 128 : 0)), bytes, Uint8Array.of(node.port >> 8, node.port & 255), node.publicKey])
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
    const host = ipFromBytes(family as 2 | 10, buf.subarray(at + 1))
    const portAt = at + size - 34
    const port = (buf[portAt]! << 8) | buf[portAt + 1]!
    nodes.push({ host, port, publicKey: new Uint8Array(buf.subarray(at + size - 32, at + size)), ...(tcp ? { tcp } : {}) })
    at += size
  }
  return { nodes, next: at }
}

/** Decodes packed nodes filling all of `buf` (at most `max`); undefined on any malformed or extra byte. */
export function unpackNodeList(buf: Uint8Array, max: number, allowTcp = false): NodeInfo[] | undefined {
  const nodes: NodeInfo[] = []
  let at = 0
  while (at < buf.length) {
    if (nodes.length === max) return undefined
    const one = unpackNodes(buf.subarray(at), 1, allowTcp)
    if (!one) return undefined
    nodes.push(...one.nodes)
    at += one.next
  }
  return nodes
}
