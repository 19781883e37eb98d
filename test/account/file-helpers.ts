/**
 * Helpers for the file-transfer tests: files of random bytes, a download awaited to its end
 * (finished, or the error it ended with), and a group where everyone is linked.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { Account } from '../../src/account/account.js'
import type { DataTransferEvent } from '../../src/account/events.js'
import { befriend, invite, linked, next } from './net.js'

/** Writes `size` random bytes (streamed in 1 MiB steps) to `dir/name`; returns the path. */
export function randomFile(dir: string, name: string, size: number): string {
  const path = join(dir, name)
  writeFileSync(path, '')
  for (let at = 0; at < size; at += 1 << 20) writeFileSync(path, randomBytes(Math.min(1 << 20, size - at)), { flag: 'a' })
  return path
}

/** Shares `path` in `id` from `sender` and waits until `receiver` has the announcement; returns [interactionId, fileId]. */
export async function share(sender: Account, id: string, path: string, receivers: Account[], displayName?: string): Promise<[string, string]> {
  const arrived = receivers.map((r) => next(r, 'swarmMessageReceived', (cid, m) => cid === id && m.type === 'application/data-transfer+json'))
  const iid = await sender.sendFile(id, path, displayName ? { displayName } : {})
  await Promise.all(arrived)
  return [iid, sender.conversation(id).getMessage(iid).fileId!]
}

/** The event a download ended with: finished, cancelled or error. */
export function ended(account: Account, id: string, fileId: string, timeoutMs = 30_000): Promise<DataTransferEvent> {
  return next(account, 'dataTransferEvent', (cid, _iid, fid, e) => cid === id && fid === fileId && ['finished', 'error', 'cancelled'].includes(e.code), timeoutMs).then((args) => args[3])
}

/** Downloads to `dest` and expects it finished with exactly the bytes of `original`. */
export async function download(account: Account, id: string, iid: string, fileId: string, dest: string, original: string, timeoutMs = 30_000): Promise<DataTransferEvent> {
  const end = ended(account, id, fileId, timeoutMs)
  account.downloadFile(id, iid, fileId, dest)
  const e = await end
  expect(e.code, JSON.stringify(e.error)).toBe('finished')
  expect(readFileSync(dest).equals(readFileSync(original)), 'the downloaded bytes equal the original').toBe(true)
  return e
}

/** A group of `host`'s with every other account invited, joined and linked with all the others. */
export async function group(host: Account, others: Account[]): Promise<string> {
  for (const o of others) await befriend(host, o)
  const id = host.startConversation()
  for (const o of others) await invite(host, id, o)
  const all = [host, ...others]
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) await linked(all[i]!, all[j]!)
  return id
}
