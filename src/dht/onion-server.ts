/**
 * The onion node every Tox node also is (reference tox-protocol.md §7.2–7.5): it peels one
 * request layer and passes the rest on with a sealed return path (0x80 → 0x81 → 0x82 → D),
 * carries responses back (0x8c → 0x8d → 0x8e → client), and as D keeps announcements: a
 * ping id bound to the requester's key and address (valid for two 300 s windows), up to 160
 * entries for 300 s, and data route requests (0x85) forwarded to an announced key as 0x86
 * along its stored return path.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import type { DhtNode, DatagramLink } from './dht-node.js'
import {
  dataRequestToResponse,
  decodeAnnounceRequest,
  encodeAnnounceResponse,
  ONION,
  openReturn,
  packIpPort,
  peelLayer,
  RETURN_1,
  RETURN_2,
  RETURN_3,
  sealReturn,
  MAX_ONION_PACKET,
  type Address,
} from './onion-packets.js'
import { compareDistance, keyHex } from './routing-table.js'
import { scopedLike } from './lan-discovery.js'

const PING_ID_WINDOW_MS = 300_000
const ENTRY_TIMEOUT_MS = 300_000
const MAX_ENTRIES = 160

interface Entry {
  publicKey: Uint8Array
  dataPk: Uint8Array
  /** The announcer's return path (RETURN_3) and the relay to send it to. */
  returnPath: Uint8Array
  returnTo: Address
  at: number
}

export interface OnionServerOptions {
  now?: () => number
  /**
   * This node's own announcement, answered locally: a searcher that asks us for our own key
   * gets our data key, and data sent to it is handed to `deliver` (as a 0x86).
   */
  self?: { realPk: Uint8Array; dataPk: () => Uint8Array; deliver: (response: Buffer) => void }
}

export class OnionServer {
  private readonly secret = new Uint8Array(randomBytes(32))
  private readonly pingSecret = randomBytes(32)
  private readonly entries = new Map<string, Entry>()
  private readonly now: () => number
  /** Packets relayed, announcements stored, data requests forwarded. */
  readonly stats = { relayed: 0, announces: 0, stored: 0, data: 0 }

  constructor(
    private readonly dht: DhtNode,
    private readonly link: DatagramLink,
    private readonly options: OnionServerOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now())
    link.on(ONION.sendInitial, (p, from) => this.onLayer(p, from))
    link.on(ONION.send1, (p, from) => this.onLayer(p, from))
    link.on(ONION.send2, (p, from) => this.onLayer(p, from))
    link.on(ONION.recv3, (p, from) => this.onReturn(p, RETURN_3, ONION.recv2, from))
    link.on(ONION.recv2, (p, from) => this.onReturn(p, RETURN_2, ONION.recv1, from))
    link.on(ONION.recv1, (p, from) => this.onReturn(p, RETURN_1, 0, from))
    link.on(ONION.announceRequest, (p, from) => this.onAnnounce(p, from))
    link.on(ONION.dataRequest, (p) => this.onData(p))
  }

  private onLayer(packet: Buffer, from: Address): void {
    const layer = peelLayer(packet, (pk) => this.dht.sharedWith(pk))
    if (!layer) return
    this.stats.relayed++
    const ret = sealReturn(this.secret, from, layer.returnPath)
    if (packet[0] === ONION.send2) {
      // Last relay: the payload goes to D as is — only announce and data requests.
      if (layer.rest[0] !== ONION.announceRequest && layer.rest[0] !== ONION.dataRequest) return
      this.link.send(Buffer.concat([layer.rest, ret]), scopedLike(layer.next, from))
      return
    }
    const out = Buffer.concat([Uint8Array.of(packet[0] === ONION.sendInitial ? ONION.send1 : ONION.send2), layer.nonce, layer.rest, ret])
    // A link-local next hop is on the link this came in on (the packed address has no interface).
    if (out.length <= MAX_ONION_PACKET) this.link.send(out, scopedLike(layer.next, from))
  }

  /**
   * Sends a first-hop layer for a client that is not on UDP (a TCP relay's client): 0x81 to
   * `next` with `rest` (PK1 and the sealed layer for it), the return path naming `client`.
   */
  sendFirstHop(nonce: Uint8Array, next: Address, rest: Uint8Array, client: Address): void {
    const out = Buffer.concat([Uint8Array.of(ONION.send1), nonce, rest, sealReturn(this.secret, client, new Uint8Array(0))])
    if (out.length <= MAX_ONION_PACKET) {
      this.stats.relayed++
      this.link.send(out, next)
    }
  }

  private onReturn(packet: Buffer, returnBytes: number, nextKind: number, from: Address): void {
    if (packet.length <= 1 + returnBytes || packet.length > MAX_ONION_PACKET) return
    const data = packet.subarray(1 + returnBytes)
    if (data[0] !== ONION.announceResponse && data[0] !== ONION.dataResponse) return
    const opened = openReturn(this.secret, packet.subarray(1, 1 + returnBytes))
    if (!opened) return
    this.link.send(nextKind ? Buffer.concat([Uint8Array.of(nextKind), opened.inner, data]) : Buffer.from(data), scopedLike(opened.to, from))
  }

  /** Sends `data` back along a stored return path (we are D: the first return hop is ours to send). */
  private respond(to: Address, returnPath: Uint8Array, data: Uint8Array): void {
    this.link.send(Buffer.concat([Uint8Array.of(ONION.recv3), returnPath, data]), to)
  }

  private pingId(windowIndex: number, publicKey: Uint8Array, from: Address): Uint8Array {
    const w = Buffer.alloc(8)
    w.writeBigUInt64BE(BigInt(windowIndex))
    return createHash('sha256').update(this.pingSecret).update(w).update(publicKey).update(packIpPort(from)).digest()
  }

  private prune(now: number): void {
    for (const [k, e] of this.entries) if (now - e.at > ENTRY_TIMEOUT_MS) this.entries.delete(k)
  }

  private store(entry: Entry): boolean {
    const key = keyHex(entry.publicKey)
    if (!this.entries.has(key) && this.entries.size >= MAX_ENTRIES) {
      // Keep the keys closest to ours, as c-toxcore.
      const ours = this.dht.publicKey
      const farthest = [...this.entries.entries()].sort((a, b) => compareDistance(ours, b[1].publicKey, a[1].publicKey))[0]!
      if (compareDistance(ours, entry.publicKey, farthest[1].publicKey) >= 0) return false
      this.entries.delete(farthest[0])
    }
    this.entries.set(key, entry)
    this.stats.stored++
    return true
  }

  private onAnnounce(packet: Buffer, from: Address): void {
    const decoded = decodeAnnounceRequest(packet, (pk) => this.dht.sharedWith(pk))
    if (!decoded) return
    this.stats.announces++
    const { request, shared, returnPath } = decoded
    const now = this.now()
    const window = Math.floor(now / PING_ID_WINDOW_MS)
    const current = this.pingId(window, request.senderPk, from)
    const next = this.pingId(window + 1, request.senderPk, from)
    const valid = Buffer.from(request.pingId).equals(current) || Buffer.from(request.pingId).equals(next)
    this.prune(now)
    let entry: Entry | undefined
    if (valid) {
      entry = { publicKey: request.senderPk, dataPk: new Uint8Array(request.dataPk), returnPath: new Uint8Array(returnPath), returnTo: from, at: now }
      if (!this.store(entry)) entry = undefined
    } else entry = this.entries.get(keyHex(request.searchedPk))
    const self = this.options.self
    let isStored = 0
    let value: Uint8Array = next
    // Its own announcement here, with the same data key: stored (2) — also for a request
    // without a valid ping id (a new path, a search of itself), as c-toxcore answers.
    if (entry && keyHex(entry.publicKey) === keyHex(request.senderPk)) isStored = Buffer.from(entry.dataPk).equals(request.dataPk) ? 2 : 0
    else if (entry) (isStored = 1), (value = entry.dataPk)
    else if (self && keyHex(request.searchedPk) === keyHex(self.realPk)) (isStored = 1), (value = self.dataPk())
    const nodes = this.dht.closest(request.searchedPk, 4)
    this.respond(from, returnPath, encodeAnnounceResponse(shared, request.sendback, { isStored, value, nodes }))
  }

  /** The data key announced here by `publicKey`, if its announcement is stored and fresh. */
  announcedDataKey(publicKey: Uint8Array): Uint8Array | undefined {
    const e = this.entries.get(keyHex(publicKey))
    return e && this.now() - e.at <= ENTRY_TIMEOUT_MS ? e.dataPk : undefined
  }

  /** A data request from this node's own client for a key announced here: sent on as any other. */
  deliverLocal(dataRequest: Buffer): void {
    this.onData(Buffer.concat([dataRequest, new Uint8Array(RETURN_3)]))
  }

  private onData(packet: Buffer): void {
    const parsed = dataRequestToResponse(packet)
    if (!parsed) return
    const key = keyHex(parsed.destinationPk)
    const self = this.options.self
    if (self && key === keyHex(self.realPk)) return self.deliver(parsed.response)
    const entry = this.entries.get(key)
    if (!entry || this.now() - entry.at > ENTRY_TIMEOUT_MS) return
    this.stats.data++
    this.respond(entry.returnTo, entry.returnPath, parsed.response)
  }
}
