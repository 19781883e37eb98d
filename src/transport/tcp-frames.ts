/**
 * The framing of c-toxcore's TCP relay connections, both ends (reference tox-protocol.md §8):
 * after the handshake, frames `[len u16 BE][box(session key, nonce, payload)]`, `len` counting
 * the MAC, at most 2048; each side seals with the base nonce it announced, +1 a frame, and
 * opens with the one the other side announced.
 * @module
 */
import type { Socket } from 'node:net'
import { incrementNonce, open, seal } from '../crypto/box.js'

export const MAX_FRAME = 2048

export class FramedSession {
  private buffered: Buffer = Buffer.alloc(0)

  constructor(
    private readonly socket: Socket,
    private readonly key: Uint8Array,
    private readonly sendNonce: Uint8Array,
    private readonly recvNonce: Uint8Array,
  ) {}

  /** Seals and writes one frame; false when the socket's buffer is full (it is still queued). */
  write(payload: Uint8Array): boolean {
    const boxed = seal(this.key, this.sendNonce, payload)
    incrementNonce(this.sendNonce)
    const frame = Buffer.alloc(2 + boxed.length)
    frame.writeUInt16BE(boxed.length)
    frame.set(boxed, 2)
    return this.socket.write(frame)
  }

  /**
   * Takes bytes from the socket: `frame` for each whole frame opened, `fail` (and nothing more
   * is read) for a bad length or one that does not open.
   */
  read(chunk: Buffer, frame: (payload: Uint8Array) => void, fail: (reason: string) => void): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk
    while (this.buffered.length >= 2) {
      const len = this.buffered.readUInt16BE(0)
      if (len > MAX_FRAME || len <= 16) return fail('bad frame length')
      if (this.buffered.length < 2 + len) return
      const plain = open(this.key, this.recvNonce, this.buffered.subarray(2, 2 + len))
      this.buffered = this.buffered.subarray(2 + len)
      if (!plain) return fail('a frame did not decrypt')
      incrementNonce(this.recvNonce)
      frame(plain)
    }
  }
}
