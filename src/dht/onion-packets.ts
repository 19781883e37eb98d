/**
 * Onion packet codecs (reference tox-protocol.md §7.2–7.5), byte-compatible with c-toxcore
 * 0.2.18: the three request layers (0x80–0x82) and the return layers (0x8c–0x8e) with their
 * sealed return paths, announce requests and responses (0x83/0x84), data route requests and
 * responses (0x85/0x86). Parsers return undefined for anything malformed; they never throw.
 * @module
 */
import { open, randomNonce, seal } from '../crypto/box.js'
import { ipBytes, ipFromBytes, packNode, unpackNodeList, type NodeInfo } from './packed-node.js'

export const ONION = {
  sendInitial: 0x80,
  send1: 0x81,
  send2: 0x82,
  announceRequest: 0x83,
  announceResponse: 0x84,
  dataRequest: 0x85,
  dataResponse: 0x86,
  recv3: 0x8c,
  recv2: 0x8d,
  recv1: 0x8e,
} as const

export const IP_PORT_BYTES = 19
export const RETURN_1 = 24 + IP_PORT_BYTES + 16
export const RETURN_2 = 24 + IP_PORT_BYTES + RETURN_1 + 16
export const RETURN_3 = 24 + IP_PORT_BYTES + RETURN_2 + 16
export const MAX_ONION_PACKET = 1400
export const PING_ID_BYTES = 32
export const SENDBACK_BYTES = 8
const ANNOUNCE_PLAIN = PING_ID_BYTES + 32 + 32 + SENDBACK_BYTES
export const ANNOUNCE_REQUEST_BYTES = 1 + 24 + 32 + ANNOUNCE_PLAIN + 16 + RETURN_3
export const ANNOUNCE_RESPONSE_MIN = 1 + SENDBACK_BYTES + 24 + 1 + PING_ID_BYTES + 16
export const ANNOUNCE_RESPONSE_MAX = ANNOUNCE_RESPONSE_MIN + 4 * 51

import type { Address } from './datagram.js'

export type { Address } from './datagram.js'

/** The 19-byte IP_Port of onion layers: `[family][IPv4 + 12 zeros | IPv6][port BE]`. */
export function packIpPort(a: Address): Buffer {
  const { family, bytes } = ipBytes(a.host)
  const out = Buffer.alloc(IP_PORT_BYTES)
  out[0] = family
  out.set(bytes, 1)
  out.writeUInt16BE(a.port, 17)
  return out
}

export function unpackIpPort(b: Uint8Array): Address | undefined {
  if (b.length < IP_PORT_BYTES || (b[0] !== 2 && b[0] !== 10)) return undefined
  return { host: ipFromBytes(b[0], b.subarray(1, 17)), port: (b[17]! << 8) | b[18]! }
}

// ── client: building a request through a path ─────────────────────────────────────────

/** A path of three nodes: the first layer is keyed with our DHT key, the others with fresh keys. */
export interface OnionPath {
  nodes: [NodeInfo, NodeInfo, NodeInfo]
  /** Public keys announced to each node (ours to the first). */
  publicKeys: [Uint8Array, Uint8Array, Uint8Array]
  /** beforenm with each node. */
  sharedKeys: [Uint8Array, Uint8Array, Uint8Array]
}

/** 0x80 to the path's first node, carrying `payload` for `destination`. */
export function createOnionPacket(path: OnionPath, destination: Address, payload: Uint8Array): Buffer | undefined {
  const nonce = randomNonce()
  const step1 = Buffer.concat([packIpPort(destination), payload])
  const step2 = Buffer.concat([packIpPort(path.nodes[2]), path.publicKeys[2], seal(path.sharedKeys[2], nonce, step1)])
  const step3 = Buffer.concat([packIpPort(path.nodes[1]), path.publicKeys[1], seal(path.sharedKeys[1], nonce, step2)])
  const packet = Buffer.concat([Uint8Array.of(ONION.sendInitial), nonce, path.publicKeys[0], seal(path.sharedKeys[0], nonce, step3)])
  return packet.length <= MAX_ONION_PACKET ? packet : undefined
}

/**
 * The same request when the first hop is a TCP relay (sent inside the relay's encrypted
 * stream as `[0x08][this]`): the relay peels no layer, so the packet starts at B's.
 */
export function createOnionPacketTcp(path: OnionPath, destination: Address, payload: Uint8Array): Buffer | undefined {
  const nonce = randomNonce()
  const step1 = Buffer.concat([packIpPort(destination), payload])
  const step2 = Buffer.concat([packIpPort(path.nodes[2]), path.publicKeys[2], seal(path.sharedKeys[2], nonce, step1)])
  const packet = Buffer.concat([nonce, packIpPort(path.nodes[1]), path.publicKeys[1], seal(path.sharedKeys[1], nonce, step2)])
  return packet.length <= MAX_ONION_PACKET ? packet : undefined
}

// ── relay: peeling a layer, sealing return paths ─────────────────────────────────────

export interface PeeledLayer {
  /** Where to send the rest. */
  next: Address
  /** The nonce of all layers. */
  nonce: Uint8Array
  /** What follows the IP_Port in the plain text (the next layer, or the payload at the last hop). */
  rest: Uint8Array
  /** The return path that came with the packet (none for 0x80). */
  returnPath: Uint8Array
}

const RETURN_OF: Record<number, number> = { [ONION.sendInitial]: 0, [ONION.send1]: RETURN_1, [ONION.send2]: RETURN_2 }

/** Opens a 0x80/0x81/0x82 layer with `sharedWith(the layer's public key)`. */
export function peelLayer(packet: Uint8Array, sharedWith: (pk: Uint8Array) => Uint8Array | undefined): PeeledLayer | undefined {
  const kind = packet[0]!
  const ret = RETURN_OF[kind]
  if (ret === undefined || packet.length > MAX_ONION_PACKET || packet.length <= 1 + 24 + 32 + 16 + IP_PORT_BYTES + ret) return undefined
  const key = sharedWith(packet.subarray(25, 57))
  const plain = key && open(key, packet.subarray(1, 25), packet.subarray(57, packet.length - ret))
  if (!plain) return undefined
  const next = unpackIpPort(plain)
  if (!next) return undefined
  return { next, nonce: packet.subarray(1, 25), rest: plain.subarray(IP_PORT_BYTES), returnPath: packet.subarray(packet.length - ret) }
}

/** Seals `[IP_Port from][previous return path]` with the relay's own symmetric key. */
export function sealReturn(secret: Uint8Array, from: Address, previous: Uint8Array): Buffer {
  const nonce = randomNonce()
  return Buffer.concat([nonce, seal(secret, nonce, Buffer.concat([packIpPort(from), previous]))])
}

/** Opens a return path sealed by us: where to send the response, and the inner return path. */
export function openReturn(secret: Uint8Array, sealed: Uint8Array): { to: Address; inner: Uint8Array } | undefined {
  if (sealed.length < 24 + IP_PORT_BYTES + 16) return undefined
  const plain = open(secret, sealed.subarray(0, 24), sealed.subarray(24))
  const to = plain && unpackIpPort(plain)
  return to && plain ? { to, inner: plain.subarray(IP_PORT_BYTES) } : undefined
}

// ── announce ─────────────────────────────────────────────────────────────────────────

export interface AnnounceRequest {
  senderPk: Uint8Array
  pingId: Uint8Array
  searchedPk: Uint8Array
  dataPk: Uint8Array
  sendback: Uint8Array
}

/** The 0x83 payload for the last hop; `shared` = beforenm(D's DHT PK, sender SK). */
export function encodeAnnounceRequest(shared: Uint8Array, r: AnnounceRequest): Buffer {
  const nonce = randomNonce()
  return Buffer.concat([Uint8Array.of(ONION.announceRequest), nonce, r.senderPk, seal(shared, nonce, Buffer.concat([r.pingId, r.searchedPk, r.dataPk, r.sendback]))])
}

/** A 0x83 as it reaches D (with the return path after it). */
export function decodeAnnounceRequest(packet: Uint8Array, sharedWith: (pk: Uint8Array) => Uint8Array | undefined): { request: AnnounceRequest; shared: Uint8Array; returnPath: Uint8Array } | undefined {
  if (packet.length !== ANNOUNCE_REQUEST_BYTES || packet[0] !== ONION.announceRequest) return undefined
  const senderPk = packet.subarray(25, 57)
  const shared = sharedWith(senderPk)
  const plain = shared && open(shared, packet.subarray(1, 25), packet.subarray(57, packet.length - RETURN_3))
  if (!shared || !plain || plain.length !== ANNOUNCE_PLAIN) return undefined
  return {
    request: { senderPk: new Uint8Array(senderPk), pingId: plain.subarray(0, 32), searchedPk: plain.subarray(32, 64), dataPk: plain.subarray(64, 96), sendback: plain.subarray(96, 104) },
    shared,
    returnPath: packet.subarray(packet.length - RETURN_3),
  }
}

export interface AnnounceResponse {
  /** 0 not found (pingId follows), 1 the searched key is announced here (its data key follows), 2 you are announced here. */
  isStored: number
  /** The ping id, or the searched key's data key when isStored is 1. */
  value: Uint8Array
  nodes: NodeInfo[]
}

export function encodeAnnounceResponse(shared: Uint8Array, sendback: Uint8Array, r: AnnounceResponse): Buffer {
  const nonce = randomNonce()
  const plain = Buffer.concat([Uint8Array.of(r.isStored), r.value, ...r.nodes.slice(0, 4).map(packNode)])
  return Buffer.concat([Uint8Array.of(ONION.announceResponse), sendback, nonce, seal(shared, nonce, plain)])
}

/** The sendback of a 0x84 (to find which request it answers, before opening it). */
export function announceSendback(packet: Uint8Array): Uint8Array | undefined {
  if (packet.length < ANNOUNCE_RESPONSE_MIN || packet.length > ANNOUNCE_RESPONSE_MAX || packet[0] !== ONION.announceResponse) return undefined
  return packet.subarray(1, 1 + SENDBACK_BYTES)
}

export function decodeAnnounceResponse(packet: Uint8Array, shared: Uint8Array): AnnounceResponse | undefined {
  if (!announceSendback(packet)) return undefined
  const plain = open(shared, packet.subarray(9, 33), packet.subarray(33))
  if (!plain || plain.length < 33 || plain[0]! > 2) return undefined
  const nodes = unpackNodeList(plain.subarray(33), 4)
  if (!nodes) return undefined
  return { isStored: plain[0]!, value: new Uint8Array(plain.subarray(1, 33)), nodes }
}

// ── data route ───────────────────────────────────────────────────────────────────────

/**
 * 0x85 for D: `[0x85][destination real PK][nonce][temp PK][box(temp.shared = temp × destination data key,
 * [our real PK][box(our real key, destination real key, [id][data])])]`.
 */
export function encodeDataRequest(destinationPk: Uint8Array, senderRealPk: Uint8Array, realShared: Uint8Array, body: Uint8Array, temp: { publicKey: Uint8Array; shared: Uint8Array }): Buffer {
  const nonce = randomNonce()
  const inner = Buffer.concat([senderRealPk, seal(realShared, nonce, body)])
  return Buffer.concat([Uint8Array.of(ONION.dataRequest), destinationPk, nonce, temp.publicKey, seal(temp.shared, nonce, inner)])
}

/** D's view of a 0x85: who it is for, and the 0x86 to send along that key's return path. */
export function dataRequestToResponse(packet: Uint8Array): { destinationPk: Uint8Array; response: Buffer } | undefined {
  if (packet[0] !== ONION.dataRequest || packet.length > MAX_ONION_PACKET || packet.length <= 1 + 32 + 24 + 32 + 16 + RETURN_3) return undefined
  return { destinationPk: packet.subarray(1, 33), response: Buffer.concat([Uint8Array.of(ONION.dataResponse), packet.subarray(33, packet.length - RETURN_3)]) }
}

/** The receiver opens a 0x86 with its data key, then with its real key: sender and `[id][data]`. */
export function decodeDataResponse(packet: Uint8Array, dataSharedWith: (tempPk: Uint8Array) => Uint8Array | undefined, realSharedWith: (realPk: Uint8Array) => Uint8Array | undefined): { senderRealPk: Uint8Array; body: Uint8Array } | undefined {
  if (packet[0] !== ONION.dataResponse || packet.length <= 1 + 24 + 32 + 16 + 32 + 16 || packet.length > MAX_ONION_PACKET) return undefined
  const nonce = packet.subarray(1, 25)
  const dataShared = dataSharedWith(packet.subarray(25, 57))
  const temp = dataShared && open(dataShared, nonce, packet.subarray(57))
  if (!temp || temp.length < 32 + 16 + 1) return undefined
  const senderRealPk = temp.subarray(0, 32)
  const realShared = realSharedWith(senderRealPk)
  const body = realShared && open(realShared, nonce, temp.subarray(32))
  if (!body || body.length < 1) return undefined
  return { senderRealPk: new Uint8Array(senderRealPk), body }
}
