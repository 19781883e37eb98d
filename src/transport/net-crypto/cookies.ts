/**
 * Cookies (reference §5.3): 112 opaque bytes `[nonce 24][box(cookie key, [time 8][real PK 32][DHT PK 32])]`
 * that let a responder keep no state until a handshake comes back. Valid 15 s.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { open, randomNonce, seal } from '../../crypto/box.js'

export const COOKIE_TIMEOUT_MS = 15_000

export class CookieJar {
  private readonly key = new Uint8Array(randomBytes(32))

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A cookie for the peer holding `realPk` / `dhtPk`. */
  issue(realPk: Uint8Array, dhtPk: Uint8Array): Uint8Array {
    const nonce = randomNonce()
    const time = Buffer.alloc(8)
    time.writeBigUInt64LE(BigInt(Math.floor(this.now())))
    return Buffer.concat([nonce, seal(this.key, nonce, Buffer.concat([time, realPk, dhtPk]))])
  }

  /** The keys inside one of our cookies, or undefined if it is not ours or too old. */
  open(cookie: Uint8Array): { realPk: Uint8Array; dhtPk: Uint8Array } | undefined {
    if (cookie.length !== 112) return undefined
    const plain = open(this.key, cookie.subarray(0, 24), cookie.subarray(24))
    if (!plain || plain.length !== 72) return undefined
    const issued = Number(Buffer.from(plain.subarray(0, 8)).readBigUInt64LE())
    const age = this.now() - issued
    if (age < 0 || age > COOKIE_TIMEOUT_MS) return undefined
    return { realPk: new Uint8Array(plain.subarray(8, 40)), dhtPk: new Uint8Array(plain.subarray(40, 72)) }
  }
}
