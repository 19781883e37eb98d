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

  /** Unanswered pings past their time resolve false (called from the node's tick). */
  expire(now: number): void {
    for (const [id, w] of this.waiting) if (now >= w.until) (this.waiting.delete(id), w.done(false))
  }
}
