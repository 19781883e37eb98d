/**
 * NAT pings and hole punching (reference tox-protocol.md §3.7): a NAT ping is a DHT request
 * (0x20, id 0xfe) addressed to a friend's DHT key and sent to the nodes that know it, which
 * forward it; the friend answers only keys it searches. An answer means the friend is up
 * behind its NAT; punching then pings the friend's reported address on the ports around it,
 * since a NAT may have mapped it to a neighbour.
 * @module
 */
import { randomBytesPooled } from '../crypto/box.js'
import type { DatagramLink, DhtNode } from './dht-node.js'
import { encodeDhtRequest, REQUEST_NAT_PING } from './dht-request.js'
import { keyHex } from './routing-table.js'

const TIMEOUT_MS = 5000
/** Reports of a friend's address older than this are not punched. */
const REPORT_FRESH_MS = 60_000
/** Port guessing: this many ports more on each side per round, up to MAX_SPREAD (c-toxcore: 48 a round). */
const SPREAD_STEP = 4
const MAX_SPREAD = 24

export class NatPinger {
  private readonly waiting = new Map<string, { key: string; done: (ok: boolean) => void; until: number }>()

  constructor(
    private readonly dht: DhtNode,
    private readonly link: DatagramLink,
    private readonly now: () => number,
  ) {
    dht.onRequest(REQUEST_NAT_PING, (data, sender, from) => {
      if (data.length !== 9) return
      if (data[0] === 1) {
        const id = Buffer.from(data.subarray(1)).toString('hex')
        const w = this.waiting.get(id)
        if (w && w.key === keyHex(sender)) (this.waiting.delete(id), w.done(true))
        return
      }
      // Answered only for keys we search, as c-toxcore (others could use it to probe us).
      if (data[0] === 0 && dht.isSearching(sender)) dht.sendRequest({ ...from, publicKey: sender }, REQUEST_NAT_PING, Buffer.concat([Uint8Array.of(1), data.subarray(1)]))
    })
  }

  /** Pings a searched key through the nodes near it (and directly, if its address is known). */
  ping(publicKey: Uint8Array, timeoutMs = TIMEOUT_MS): Promise<boolean> {
    const key = keyHex(publicKey)
    const via = this.dht.searchContacts(publicKey).filter((c) => c.key !== key)
    const found = this.dht.foundAt(publicKey)
    const targets = [...(found ? [{ ...found, publicKey }] : []), ...via]
    const shared = this.dht.sharedWith(publicKey)
    if (targets.length === 0 || !shared) return Promise.resolve(false)
    const id = Buffer.from(randomBytesPooled(8))
    const request = encodeDhtRequest(publicKey, this.dht.publicKey, shared, REQUEST_NAT_PING, Buffer.concat([Uint8Array.of(0), id]))
    return new Promise((done) => {
      this.waiting.set(id.toString('hex'), { key, done, until: this.now() + timeoutMs })
      for (const n of targets) this.link.send(request, n)
    })
  }

  /** Pings `publicKey` at `host` on `port` and `spread` ports on each side of it. */
  punch(publicKey: Uint8Array, host: string, port: number, spread = 8): void {
    for (let d = 0; d <= spread; d++) {
      for (const p of d === 0 ? [port] : [port - d, port + d]) if (p > 0 && p < 65536) this.dht.ping({ host, port: p, publicKey })
    }
  }

  /**
   * One round of hole punching towards a friend's DHT key that we do not reach directly
   * (FriendFinder calls it every 3 s, c-toxcore's PUNCH_INTERVAL), while nodes near it report
   * where it is: ask them again, and ping each reported address — a NAT that keeps one outside
   * port per inside one lets both pings through once each side has sent one. From the second
   * round, if a NAT ping comes back (the friend is there and searches us too), also the ports
   * around the most recent report, further each round: a NAT that gives each destination the
   * next free port is met there.
   */
  punchFriend(publicKey: Uint8Array, round: number): void {
    const reported = this.dht.reportedAt(publicKey, REPORT_FRESH_MS)
    if (reported.length === 0) return
    this.dht.queryNow(publicKey)
    for (const a of reported.slice(0, 4)) this.dht.ping({ ...a, publicKey })
    if (round < 2 || (round > 12 && round % 10 !== 0)) return
    const [first] = reported
    void this.ping(publicKey).then((ok) => {
      if (ok) this.punch(publicKey, first!.host, first!.port, Math.min(MAX_SPREAD, SPREAD_STEP * Math.min(round, 12)))
    })
  }

  /** Unanswered pings past their time resolve false (called from the node's tick). */
  expire(now: number): void {
    for (const [id, w] of this.waiting) if (now >= w.until) (this.waiting.delete(id), w.done(false))
  }
}
