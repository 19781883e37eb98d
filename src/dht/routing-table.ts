/**
 * The DHT's tables (reference tox-protocol.md §3.10): the close list — 128 buckets of 8 by
 * the number of leading bits a key shares with ours, where a new node only takes a slot that
 * is free or whose node went bad (live nodes are never evicted) — and the lists of the 8
 * closest nodes to each key we search. Distance is XOR, compared as a big-endian number.
 * @module
 */
import type { NodeInfo } from './packed-node.js'

export const BUCKETS = 128
export const BUCKET_SIZE = 8
export const SEARCH_LIST_SIZE = 8
export const PING_INTERVAL_MS = 60_000
export const BAD_NODE_TIMEOUT_MS = 122_000
export const KILL_NODE_TIMEOUT_MS = 182_000

export const keyHex = (pk: Uint8Array): string => Buffer.from(pk.buffer, pk.byteOffset, pk.length).toString('hex')
/** A key's first 8 hex digits, for traces. */
export const shortKey = (pk: Uint8Array): string => keyHex(pk).slice(0, 8)

/** Negative when `a` is closer to `target` than `b`, positive when farther, 0 when equal. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const da = a[i]! ^ target[i]!
    const db = b[i]! ^ target[i]!
    if (da !== db) return da - db
  }
  return 0
}

/** How many leading bits two keys share (256 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[i]! ^ b[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return 256
}

/** A node that answered us, with when it last did and when we last asked it. */
export interface Contact extends NodeInfo {
  key: string
  lastSeen: number
  lastPinged: number
}

/** Whether the contact answered within the bad-node timeout. */
export function isGood(c: { lastSeen: number }, now: number): boolean {
  return now - c.lastSeen < BAD_NODE_TIMEOUT_MS
}

export class CloseList {
  private readonly buckets: Contact[][] = Array.from({ length: BUCKETS }, () => [])
  private readonly byKey = new Map<string, Contact>()

  constructor(private readonly ourPk: Uint8Array) {}

  get size(): number {
    return this.byKey.size
  }

  bucketOf(pk: Uint8Array): number {
    return Math.min(commonPrefixBits(this.ourPk, pk), BUCKETS - 1)
  }

  get(key: string): Contact | undefined {
    return this.byKey.get(key)
  }

  /** Whether a node with this key would be taken (its bucket has a free or a bad slot). */
  wouldAdd(pk: Uint8Array, now: number): boolean {
    const key = keyHex(pk)
    if (this.byKey.has(key) || key === keyHex(this.ourPk)) return false
    const bucket = this.buckets[this.bucketOf(pk)]!
    return bucket.length < BUCKET_SIZE || bucket.some((c) => !isGood(c, now))
  }

  /** Records that `node` answered at `now`; false when its bucket is full of good nodes. */
  add(node: NodeInfo, now: number): boolean {
    const key = keyHex(node.publicKey)
    const known = this.byKey.get(key)
    if (known) {
      known.host = node.host
      known.port = node.port
      known.lastSeen = now
      return true
    }
    if (key === keyHex(this.ourPk)) return false
    const bucket = this.buckets[this.bucketOf(node.publicKey)]!
    const contact: Contact = { host: node.host, port: node.port, publicKey: new Uint8Array(node.publicKey), key, lastSeen: now, lastPinged: now }
    if (bucket.length < BUCKET_SIZE) bucket.push(contact)
    else {
      const bad = bucket.findIndex((c) => !isGood(c, now))
      if (bad < 0) return false
      this.byKey.delete(bucket[bad]!.key)
      bucket[bad] = contact
    }
    this.byKey.set(key, contact)
    return true
  }

  remove(key: string): void {
    const c = this.byKey.get(key)
    if (!c) return
    this.byKey.delete(key)
    const bucket = this.buckets[this.bucketOf(c.publicKey)]!
    bucket.splice(bucket.indexOf(c), 1)
  }

  /** Forgets nodes silent for longer than the kill timeout. */
  prune(now: number): void {
    for (const c of [...this.byKey.values()]) if (now - c.lastSeen > KILL_NODE_TIMEOUT_MS) this.remove(c.key)
  }

  contacts(): IterableIterator<Contact> {
    return this.byKey.values()
  }

  /** The `n` good nodes closest to `target`. */
  closest(target: Uint8Array, n: number, now: number): Contact[] {
    return closestOf(this.byKey.values(), target, n, now)
  }
}

/** The `n` good contacts closest to `target`, closest first. */
export function closestOf(contacts: Iterable<Contact>, target: Uint8Array, n: number, now: number): Contact[] {
  const out: Contact[] = []
  for (const c of contacts) {
    if (!isGood(c, now)) continue
    if (out.length === n && compareDistance(target, c.publicKey, out[n - 1]!.publicKey) >= 0) continue
    let i = out.length
    while (i > 0 && compareDistance(target, c.publicKey, out[i - 1]!.publicKey) < 0) i--
    out.splice(i, 0, c)
    if (out.length > n) out.pop()
  }
  return out
}

/** The nodes closest to one key we search for (a friend's DHT key). */
export class SearchList {
  readonly contacts = new Map<string, Contact>()

  constructor(readonly target: Uint8Array) {}

  /** Whether `pk` would improve the list. */
  wouldAdd(pk: Uint8Array, now: number): boolean {
    if (this.contacts.has(keyHex(pk))) return false
    if (this.contacts.size < SEARCH_LIST_SIZE) return true
    return [...this.contacts.values()].some((c) => !isGood(c, now) || compareDistance(this.target, pk, c.publicKey) < 0)
  }

  add(node: NodeInfo, now: number): void {
    const key = keyHex(node.publicKey)
    const known = this.contacts.get(key)
    if (known) {
      known.lastSeen = now
      return
    }
    if (!this.wouldAdd(node.publicKey, now)) return
    this.contacts.set(key, { host: node.host, port: node.port, publicKey: new Uint8Array(node.publicKey), key, lastSeen: now, lastPinged: now })
    if (this.contacts.size > SEARCH_LIST_SIZE) {
      // Drop a bad node, else the farthest.
      const all = [...this.contacts.values()]
      const victim = all.find((c) => !isGood(c, now)) ?? all.sort((a, b) => compareDistance(this.target, b.publicKey, a.publicKey))[0]!
      this.contacts.delete(victim.key)
    }
  }
}
