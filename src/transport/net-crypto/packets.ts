/**
 * net_crypto packet layouts (reference tox-protocol.md §5.1–5.5): cookie request (145 bytes),
 * cookie response (161), handshake (385), data (≤ 1400). Encoders take keys; decoders return
 * undefined on anything malformed and never throw.
 * @module
 */
import { open, randomNonce, seal } from '../../crypto/box.js'

export const COOKIE_REQUEST = 0x18
export const COOKIE_RESPONSE = 0x19
export const HANDSHAKE = 0x1a
export const CRYPTO_DATA = 0x1b
export const COOKIE_BYTES = 112
export const COOKIE_REQUEST_BYTES = 145
export const COOKIE_RESPONSE_BYTES = 161
export const HANDSHAKE_BYTES = 385
export const MAX_CRYPTO_PACKET = 1400
/** Largest data (id byte included) one data packet carries: 1400 − 27. */
export const MAX_DATA = 1373

/** Marker a gitswarm node writes in the cookie request's legacy padding to offer Noise IK. */
export const NOISE_OFFER = Buffer.from('gitswarm-noise-ik-1\0\0\0\0\0\0\0\0\0\0\0\0\0')

export interface CookieRequest {
  senderDhtPk: Uint8Array
  senderRealPk: Uint8Array
  echoId: Uint8Array
  /** The 32 padding bytes (zero from c-toxcore; NOISE_OFFER from gitswarm). */
  padding: Uint8Array
}

/** `shared` = beforenm(receiver DHT PK, sender DHT SK). */
export function encodeCookieRequest(shared: Uint8Array, senderDhtPk: Uint8Array, senderRealPk: Uint8Array, echoId: Uint8Array, padding: Uint8Array = new Uint8Array(32)): Buffer {
  const nonce = randomNonce()
  const plain = Buffer.concat([senderRealPk, padding, echoId])
  return Buffer.concat([Buffer.from([COOKIE_REQUEST]), senderDhtPk, nonce, seal(shared, nonce, plain)])
}

export function decodeCookieRequest(packet: Uint8Array, sharedFor: (dhtPk: Uint8Array) => Uint8Array | undefined): CookieRequest | undefined {
  if (packet.length !== COOKIE_REQUEST_BYTES || packet[0] !== COOKIE_REQUEST) return undefined
  const senderDhtPk = packet.subarray(1, 33)
  const key = sharedFor(senderDhtPk)
  const plain = key && open(key, packet.subarray(33, 57), packet.subarray(57))
  if (!plain || plain.length !== 72) return undefined
  return { senderDhtPk: new Uint8Array(senderDhtPk), senderRealPk: new Uint8Array(plain.subarray(0, 32)), padding: new Uint8Array(plain.subarray(32, 64)), echoId: new Uint8Array(plain.subarray(64, 72)) }
}

/** The response, encrypted with the request's shared key; `extra` trails it (Noise accept). */
export function encodeCookieResponse(shared: Uint8Array, cookie: Uint8Array, echoId: Uint8Array, extra: Uint8Array = new Uint8Array(0)): Buffer {
  const nonce = randomNonce()
  return Buffer.concat([Buffer.from([COOKIE_RESPONSE]), nonce, seal(shared, nonce, Buffer.concat([cookie, echoId])), extra])
}

export function decodeCookieResponse(packet: Uint8Array, shared: Uint8Array): { cookie: Uint8Array; echoId: Uint8Array; extra: Uint8Array } | undefined {
  if (packet.length < COOKIE_RESPONSE_BYTES || packet[0] !== COOKIE_RESPONSE) return undefined
  const plain = open(shared, packet.subarray(1, 25), packet.subarray(25, COOKIE_RESPONSE_BYTES))
  if (!plain || plain.length !== COOKIE_BYTES + 8) return undefined
  return { cookie: new Uint8Array(plain.subarray(0, COOKIE_BYTES)), echoId: new Uint8Array(plain.subarray(COOKIE_BYTES)), extra: packet.subarray(COOKIE_RESPONSE_BYTES) }
}

export interface HandshakeContent {
  /** The nonce the handshake's sender will encrypt its data packets with. */
  baseNonce: Uint8Array
  sessionPk: Uint8Array
  cookieHash: Uint8Array
  /** A cookie the sender issued for the receiver (lets it answer without a round trip). */
  otherCookie: Uint8Array
}

/** `shared` = beforenm(receiver REAL PK, sender REAL SK); `cookie` was issued by the receiver. */
export function encodeHandshake(shared: Uint8Array, cookie: Uint8Array, content: HandshakeContent): Buffer {
  const nonce = randomNonce()
  const plain = Buffer.concat([content.baseNonce, content.sessionPk, content.cookieHash, content.otherCookie])
  return Buffer.concat([Buffer.from([HANDSHAKE]), cookie, nonce, seal(shared, nonce, plain)])
}

/** Splits a handshake: the outer cookie (ours, to open first) and the sealed part. */
export function splitHandshake(packet: Uint8Array): { cookie: Uint8Array; nonce: Uint8Array; boxed: Uint8Array } | undefined {
  if (packet.length !== HANDSHAKE_BYTES || packet[0] !== HANDSHAKE) return undefined
  return { cookie: packet.subarray(1, 113), nonce: packet.subarray(113, 137), boxed: packet.subarray(137) }
}

export function openHandshake(shared: Uint8Array, nonce: Uint8Array, boxed: Uint8Array): HandshakeContent | undefined {
  const plain = open(shared, nonce, boxed)
  if (!plain || plain.length !== 232) return undefined
  return {
    baseNonce: new Uint8Array(plain.subarray(0, 24)),
    sessionPk: new Uint8Array(plain.subarray(24, 56)),
    cookieHash: new Uint8Array(plain.subarray(56, 120)),
    otherCookie: new Uint8Array(plain.subarray(120, 232)),
  }
}

export interface DataPlain {
  bufferStart: number
  packetNumber: number
  /** Data from its id byte on (leading padding removed). */
  data: Uint8Array
}

/** Data packet body: `[buffer_start][packet_number][zero padding][data]`, padded to a multiple of 8. */
export function dataPlain(bufferStart: number, packetNumber: number, data: Uint8Array): Buffer {
  const pad = (MAX_DATA - data.length) % 8
  const out = Buffer.alloc(8 + pad + data.length)
  out.writeUInt32BE(bufferStart >>> 0, 0)
  out.writeUInt32BE(packetNumber >>> 0, 4)
  out.set(data, 8 + pad)
  return out
}

export function parseDataPlain(plain: Uint8Array): DataPlain | undefined {
  if (plain.length < 9) return undefined
  const view = Buffer.from(plain.buffer, plain.byteOffset, plain.length)
  let at = 8
  while (at < plain.length && plain[at] === 0) at++
  if (at === plain.length) return undefined
  return { bufferStart: view.readUInt32BE(0), packetNumber: view.readUInt32BE(4), data: plain.subarray(at) }
}
