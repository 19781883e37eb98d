/**
 * The Noise IK upgrade of the net_crypto handshake, between gitswarm nodes only. The
 * initiator offers it in the cookie request's legacy padding (c-toxcore ignores those 32
 * bytes); a gitswarm responder accepts by appending NOISE_ACCEPT to its cookie response
 * (c-toxcore answers with the plain 161 bytes, and the initiator falls back to the legacy
 * handshake). Then, on packet id 0x1c:
 *   1. [0x1c][1][responder's cookie 112][e 32][enc s 48][enc(base nonce 24 ‖ DHT PK 32) 72]
 *   2. [0x1c][2][e 32][enc(base nonce 24) 40]
 * The cookie keeps the responder stateless until the initiator has proven its address; the
 * static key inside message 1 must be the one the cookie was issued to. Data packets keep
 * Tox's XSalsa20-Poly1305 framing and nonces, with one key per direction from Noise's split.
 * @module
 */
import { equalBytes, randomNonce, type BoxKeyPair } from '../../crypto/box.js'
import { readMessage1, readMessage2, writeMessage1, writeMessage2, type SymmetricState } from '../../crypto/noise.js'
import type { CookieJar } from './cookies.js'
import type { SessionKeys } from './connection.js'

export const NOISE_HANDSHAKE = 0x1c
/** Appended to a cookie response by a gitswarm responder that accepts the upgrade. */
export const NOISE_ACCEPT = Buffer.from('gitswarm-noise-ik-1')
export const PROLOGUE = Buffer.from('gitswarm tox net_crypto noise-ik 1')
const MESSAGE1_BYTES = 2 + 112 + 32 + 48 + 72
const MESSAGE2_BYTES = 2 + 32 + 40

export interface NoiseContext {
  localStatic: BoxKeyPair
  remoteStatic: Uint8Array
  localEphemeral: BoxKeyPair
  /** The first message, for the initiator to send (and resend). */
  message?: Uint8Array
  /** Completes the initiator's side with the responder's message. */
  finish?: (packet: Uint8Array) => { keys: SessionKeys; ourBaseNonce: Uint8Array; peerBaseNonce: Uint8Array } | undefined
}

/** Initiator: message 1, carrying our base nonce and DHT key. */
export function noiseInitiate(ctx: Omit<NoiseContext, 'message'>, responderCookie: Uint8Array, ourDhtPk: Uint8Array): NoiseContext {
  const ourBase = randomNonce()
  const { message, state } = writeMessage1(PROLOGUE, ctx.localStatic, ctx.localEphemeral, ctx.remoteStatic, Buffer.concat([ourBase, ourDhtPk]))
  const packet = Buffer.concat([Uint8Array.of(NOISE_HANDSHAKE, 1), responderCookie, message.ephemeral, message.encryptedStatic, message.encryptedPayload])
  return {
    ...ctx,
    message: packet,
    finish: (reply) => {
      if (reply.length !== MESSAGE2_BYTES || reply[0] !== NOISE_HANDSHAKE || reply[1] !== 2) return undefined
      const done = readMessage2(state, ctx.localStatic, ctx.localEphemeral, { ephemeral: reply.subarray(2, 34), encryptedPayload: reply.subarray(34) })
      if (!done || done.payload.length !== 24) return undefined
      return { keys: { send: done.send, receive: done.receive }, ourBaseNonce: ourBase, peerBaseNonce: new Uint8Array(done.payload) }
    },
  }
}

export interface NoiseFirst {
  initiatorRealPk: Uint8Array
  initiatorDhtPk: Uint8Array
  initiatorEphemeral: Uint8Array
  peerBaseNonce: Uint8Array
  state: SymmetricState
}

/** Responder: checks message 1 (our fresh cookie, the static key it names); undefined otherwise. */
export function acceptNoise(packet: Uint8Array, cookies: CookieJar, localStatic: BoxKeyPair): NoiseFirst | undefined {
  if (packet.length !== MESSAGE1_BYTES || packet[0] !== NOISE_HANDSHAKE || packet[1] !== 1) return undefined
  const issued = cookies.open(packet.subarray(2, 114))
  if (!issued) return undefined
  const read = readMessage1(PROLOGUE, localStatic, { ephemeral: packet.subarray(114, 146), encryptedStatic: packet.subarray(146, 194), encryptedPayload: packet.subarray(194) })
  if (!read || read.payload.length !== 56 || !equalBytes(read.remoteStatic, issued.realPk)) return undefined
  return {
    initiatorRealPk: read.remoteStatic,
    initiatorDhtPk: new Uint8Array(read.payload.subarray(24, 56)),
    initiatorEphemeral: new Uint8Array(packet.subarray(114, 146)),
    peerBaseNonce: new Uint8Array(read.payload.subarray(0, 24)),
    state: read.state,
  }
}

/** Responder: message 2 and the session. */
export function noiseRespond(first: NoiseFirst, ephemeral: BoxKeyPair): { message: Uint8Array; keys: SessionKeys; ourBaseNonce: Uint8Array; peerBaseNonce: Uint8Array } {
  const ourBase = randomNonce()
  const m = writeMessage2(first.state, ephemeral, first.initiatorEphemeral, first.initiatorRealPk, ourBase)
  return {
    message: Buffer.concat([Uint8Array.of(NOISE_HANDSHAKE, 2), m.ephemeral, m.encryptedPayload]),
    keys: { send: m.send, receive: m.receive },
    ourBaseNonce: ourBase,
    peerBaseNonce: first.peerBaseNonce,
  }
}
