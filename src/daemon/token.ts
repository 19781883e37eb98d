/**
 * The daemon's secret: a random token in `<account dir>/node.token`, readable by its owner
 * only (0600). WebSocket and HTTP clients must show it; the Unix socket is 0600 instead.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export function tokenPath(dir: string): string {
  return join(dir, 'node.token')
}

/** The account's token, made on first use; kept across starts so a client's URL stays valid. */
export function daemonToken(dir: string): string {
  const path = tokenPath(dir)
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim()
    if (/^[0-9a-f]{64}$/.test(token)) {
      chmodSync(path, 0o600)
      return token
    }
  }
  const token = randomBytes(32).toString('hex')
  writeFileSync(path, token + '\n', { mode: 0o600 })
  chmodSync(path, 0o600)
  return token
}

/** Compares a presented token with the real one in constant time. */
export function tokenMatches(presented: string | undefined | null, token: string): boolean {
  if (!presented) return false
  const a = Buffer.from(presented)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}
