/**
 * What the fuzz tests share.
 * @module
 */

/**
 * X25519 ignores the top bit of a public key (RFC 7748 §5), so a packet whose key field has
 * that bit flipped opens exactly as the original (libsodium, and c-toxcore, accept both).
 * Compares `p` with `valid` with those bits — at the last byte of each key, `keyEnds` — cleared.
 */
export function sameUpToKeyEncoding(p: Uint8Array, valid: Uint8Array, keyEnds: number[]): boolean {
  const clear = (x: Uint8Array) => {
    const c = Buffer.from(x)
    for (const i of keyEnds) if (i < c.length) c[i]! &= 0x7f
    return c
  }
  return clear(p).equals(clear(valid))
}
