/**
 * DHT requests (0x20) and the DHT-PK announcement they carry (reference tox-protocol.md §3.6,
 * §7.5). A DHT request is addressed to a DHT key and boxed between DHT keys:
 * `[0x20][receiver DHT PK 32][sender DHT PK 32][nonce 24][box([request_id][data])]`.
 * A DHT-PK tells a friend which DHT key (and which nodes near it) we use this session; its
 * payload is boxed again between the long-term keys, so only the friend can read it:
 * `[sender real PK 32][nonce 24][box(real keys, [0x9c][no_replay u64 BE][sender DHT PK 32][nodes])]`.
 * Parsers return undefined for anything malformed; they never throw.
 * @module
 */
import { open, randomNonce, seal } from '../crypto/box.js'
import { packNode, unpackNodeList, type NodeInfo } from './packed-node.js'

export const DHT_REQUEST = 0x20
export const REQUEST_NAT_PING = 0xfe
export const REQUEST_DHT_PK = 0x9c
/** c-toxcore drops DHT requests addressed to it that are larger than this. */
export const MAX_DHT_REQUEST = 1024
const HEADER = 1 + 32 + 32 + 24

export interface DhtRequest {
  receiverPk: Uint8Array
  senderPk: Uint8Array
  requestId: number
  data: Uint8Array
}

/** `shared` = beforenm(receiver DHT PK, sender DHT SK). */
export function encodeDhtRequest(receiverPk: Uint8Array, senderPk: Uint8Array, shared: Uint8Array, requestId: number, data: Uint8Array): Buffer {
  const nonce = randomNonce()
  const plain = Buffer.concat([Uint8Array.of(requestId), data])
  return Buffer.concat([Uint8Array.of(DHT_REQUEST), receiverPk, senderPk, nonce, seal(shared, nonce, plain)])
}

/** The receiver key of a DHT request (to route it or see it is ours), or undefined. */
export function dhtRequestReceiver(packet: Uint8Array): Uint8Array | undefined {
  if (packet.length < HEADER + 16 + 1 || packet.length > MAX_DHT_REQUEST || packet[0] !== DHT_REQUEST) return undefined
  return packet.subarray(1, 33)
}

/** Opens a DHT request addressed to us; `sharedWith` gives beforenm with the sender's DHT key. */
export function openDhtRequest(packet: Uint8Array, sharedWith: (senderPk: Uint8Array) => Uint8Array | undefined): DhtRequest | undefined {
  if (!dhtRequestReceiver(packet)) return undefined
  const senderPk = packet.subarray(33, 65)
  const key = sharedWith(senderPk)
  const plain = key && open(key, packet.subarray(65, 89), packet.subarray(89))
  if (!plain || plain.length < 1) return undefined
  return { receiverPk: packet.subarray(1, 33), senderPk, requestId: plain[0]!, data: plain.subarray(1) }
}

export interface DhtPkAnnouncement {
  /** The sender's long-term key. */
  senderRealPk: Uint8Array
  /** Increases with every announcement; older ones are replays. */
  noReplay: bigint
  senderDhtPk: Uint8Array
  /** Up to four nodes (DHT nodes near the sender, or its TCP relays). */
  nodes: NodeInfo[]
}

/** The DHT-PK packet itself, `[0x9c][no_replay u64 BE][sender DHT PK][nodes]` (the onion carries it as is). */
export function dhtPkPlain(announcement: Omit<DhtPkAnnouncement, 'senderRealPk'>): Buffer {
  const noReplay = Buffer.alloc(8)
  noReplay.writeBigUInt64BE(announcement.noReplay)
  return Buffer.concat([Uint8Array.of(REQUEST_DHT_PK), noReplay, announcement.senderDhtPk, ...announcement.nodes.slice(0, 4).map(packNode)])
}

/** Parses a DHT-PK packet (from the onion, where the sender is known from the outer layer). */
export function parseDhtPkPlain(plain: Uint8Array, senderRealPk: Uint8Array): DhtPkAnnouncement | undefined {
  if (plain.length < 41 || plain[0] !== REQUEST_DHT_PK) return undefined
  const nodes = unpackNodeList(plain.subarray(41), 4, true)
  if (!nodes) return undefined
  return { senderRealPk: new Uint8Array(senderRealPk), noReplay: Buffer.from(plain.subarray(1, 9)).readBigUInt64BE(), senderDhtPk: new Uint8Array(plain.subarray(9, 41)), nodes }
}

/** The DHT-PK as carried in a DHT request: boxed again between the real keys; `realShared` = beforenm(friend real PK, our real SK). */
export function encodeDhtPk(announcement: DhtPkAnnouncement, realShared: Uint8Array): Buffer {
  const nonce = randomNonce()
  return Buffer.concat([announcement.senderRealPk, nonce, seal(realShared, nonce, dhtPkPlain(announcement))])
}

/** Opens a DHT-PK body; `realSharedWith` gives beforenm with the sender's real key. */
export function decodeDhtPk(data: Uint8Array, realSharedWith: (realPk: Uint8Array) => Uint8Array | undefined): DhtPkAnnouncement | undefined {
  if (data.length < 32 + 24 + 16 + 1 + 8 + 32) return undefined
  const senderRealPk = data.subarray(0, 32)
  const key = realSharedWith(senderRealPk)
  const plain = key && open(key, data.subarray(32, 56), data.subarray(56))
  return plain ? parseDhtPkPlain(plain, senderRealPk) : undefined
}
