/**
 * DHT packet framing and the ping / nodes payloads (reference tox-protocol.md §3.2–3.5):
 * `[kind 1][sender DHT PK 32][nonce 24][box(shared(sender, receiver), nonce, plain)]`.
 * Parsers return undefined for anything malformed; they never throw.
 * @module
 */
import { open, randomNonce, seal } from '../crypto/box.js'
import { packNode, unpackNodes, type NodeInfo } from './packed-node.js'

export const PACKET = {
  pingRequest: 0x00,
  pingResponse: 0x01,
  nodesRequest: 0x02,
  nodesResponse: 0x04,
  cookieRequest: 0x18,
  cookieResponse: 0x19,
  handshake: 0x1a,
  cryptoData: 0x1b,
  dhtRequest: 0x20,
  lanDiscovery: 0x21,
  dataSearchRequest: 0x93,
  bootstrapInfo: 0xf0,
} as const

const HEADER = 1 + 32 + 24

/** Builds a DHT-framed packet: `shared` is beforenm(receiver DHT PK, sender DHT SK). */
export function encodeDhtPacket(kind: number, senderPk: Uint8Array, shared: Uint8Array, plain: Uint8Array): Buffer {
  const nonce = randomNonce()
  return Buffer.concat([Buffer.from([kind]), senderPk, nonce, seal(shared, nonce, plain)])
}

export interface DhtFrame {
  kind: number
  senderPk: Uint8Array
  nonce: Uint8Array
  boxed: Uint8Array
}

export function decodeDhtFrame(packet: Uint8Array): DhtFrame | undefined {
  if (packet.length < HEADER + 16) return undefined
  return { kind: packet[0]!, senderPk: packet.subarray(1, 33), nonce: packet.subarray(33, 57), boxed: packet.subarray(57) }
}

export function openDhtFrame(frame: DhtFrame, shared: Uint8Array): Uint8Array | undefined {
  return open(shared, frame.nonce, frame.boxed)
}

/** Ping request or response plain text: `[type][ping_id 8]`, 9 bytes. */
export function pingPlain(type: 0 | 1, pingId: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from([type]), pingId])
}

export function parsePing(plain: Uint8Array, kind: number): Uint8Array | undefined {
  if (plain.length !== 9 || plain[0] !== kind) return undefined
  return plain.subarray(1)
}

/** Nodes request plain text: `[requested PK 32][ping_id 8]`. */
export function nodesRequestPlain(target: Uint8Array, pingId: Uint8Array): Uint8Array {
  return Buffer.concat([target, pingId])
}

export function parseNodesRequest(plain: Uint8Array): { target: Uint8Array; pingId: Uint8Array } | undefined {
  if (plain.length !== 40) return undefined
  return { target: plain.subarray(0, 32), pingId: plain.subarray(32) }
}

/** Nodes response plain text: `[n 1][n packed nodes][ping_id 8]`, n ≤ 4. */
export function nodesResponsePlain(nodes: readonly NodeInfo[], pingId: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from([nodes.length]), ...nodes.slice(0, 4).map(packNode), pingId])
}

export function parseNodesResponse(plain: Uint8Array): { nodes: NodeInfo[]; pingId: Uint8Array } | undefined {
  if (plain.length < 1 + 8) return undefined
  const n = plain[0]!
  if (n > 4) return undefined
  const body = plain.subarray(1, plain.length - 8)
  const parsed = unpackNodes(body, n)
  if (!parsed || parsed.next !== body.length) return undefined
  return { nodes: parsed.nodes, pingId: plain.subarray(plain.length - 8) }
}
