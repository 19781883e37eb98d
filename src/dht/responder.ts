/**
 * The part of a DHT node that lets others — c-toxcore included — accept us as a node
 * (reference tox-protocol.md §3.3–3.5, §12 (a)): answer pings and nodes requests, send
 * pings and nodes requests with fresh ping ids and accept only the matching responses
 * (5 s window, same key and address), and remember who answered. The full DHT (buckets,
 * friends, lookups) builds on this.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { boxKeyPair, trySharedKey, type BoxKeyPair } from '../crypto/box.js'
import { decodeDhtFrame, encodeDhtPacket, nodesRequestPlain, nodesResponsePlain, openDhtFrame, PACKET, parseNodesRequest, parseNodesResponse, parsePing, pingPlain } from './packets.js'
import { DHT_REQUEST, dhtRequestReceiver, encodeDhtRequest, openDhtRequest } from './dht-request.js'
import type { NodeInfo } from './packed-node.js'

export interface DatagramLink {
  send(packet: Uint8Array, to: { host: string; port: number }): void
  on(kind: number, handler: (packet: Buffer, from: { host: string; port: number }) => void): void
}

const PING_TIMEOUT_MS = 5000

export type RequestHandler = (data: Uint8Array, senderDhtPk: Uint8Array, from: { host: string; port: number }) => void

interface Pending {
  publicKey: string
  host: string
  port: number
  at: number
  kind: 'ping' | 'nodes'
}

export interface KnownNode extends NodeInfo {
  lastSeen: number
}

export class DhtResponder {
  readonly keys: BoxKeyPair
  private readonly shared = new Map<string, Uint8Array>()
  private readonly pending = new Map<string, Pending>()
  readonly known = new Map<string, KnownNode>()

  constructor(
    private readonly link: DatagramLink,
    options: { keys?: BoxKeyPair; now?: () => number } = {},
  ) {
    this.keys = options.keys ?? boxKeyPair()
    this.now = options.now ?? (() => performance.now())
    link.on(PACKET.pingRequest, (p, from) => this.onPacket(p, from))
    link.on(PACKET.pingResponse, (p, from) => this.onPacket(p, from))
    link.on(PACKET.nodesRequest, (p, from) => this.onPacket(p, from))
    link.on(PACKET.nodesResponse, (p, from) => this.onPacket(p, from))
    link.on(DHT_REQUEST, (p, from) => this.onDhtRequest(p, from))
  }

  private readonly requestHandlers = new Map<number, RequestHandler>()

  /** Handles DHT requests (0x20) addressed to us with this request id (NAT ping, DHT-PK). */
  onRequest(requestId: number, handler: RequestHandler): void {
    this.requestHandlers.set(requestId, handler)
  }

  /** Sends a DHT request to `node` (its DHT key is the receiver). */
  sendRequest(node: NodeInfo, requestId: number, data: Uint8Array): void {
    const key = this.sharedWith(node.publicKey)
    if (key) this.link.send(encodeDhtRequest(node.publicKey, this.keys.publicKey, key, requestId, data), node)
  }

  private onDhtRequest(packet: Buffer, from: { host: string; port: number }): void {
    const receiver = dhtRequestReceiver(packet)
    if (!receiver || !Buffer.from(receiver).equals(this.keys.publicKey)) return
    const request = openDhtRequest(packet, (pk) => this.sharedWith(pk))
    if (!request) return
    this.requestHandlers.get(request.requestId)?.(request.data, request.senderPk, from)
  }

  private readonly now: () => number

  /** beforenm with a peer's DHT key, cached (c-toxcore caches these too); undefined for a low-order key. */
  sharedWith(publicKey: Uint8Array): Uint8Array | undefined {
    const hex = Buffer.from(publicKey).toString('hex')
    let key = this.shared.get(hex)
    if (!key) {
      key = trySharedKey(publicKey, this.keys.secretKey)
      if (!key) return undefined
      if (this.shared.size > 4096) this.shared.delete(this.shared.keys().next().value!)
      this.shared.set(hex, key)
    }
    return key
  }

  private remember(node: NodeInfo): void {
    const hex = Buffer.from(node.publicKey).toString('hex')
    if (hex === Buffer.from(this.keys.publicKey).toString('hex')) return
    this.known.set(hex, { ...node, lastSeen: this.now() })
  }

  private newPingId(to: NodeInfo, kind: 'ping' | 'nodes'): Uint8Array {
    const id = randomBytes(8)
    for (const [k, p] of this.pending) if (this.now() - p.at > PING_TIMEOUT_MS) this.pending.delete(k)
    this.pending.set(id.toString('hex'), { publicKey: Buffer.from(to.publicKey).toString('hex'), host: to.host, port: to.port, at: this.now(), kind })
    return id
  }

  /** A response is accepted only for our own recent request to that key at that address. */
  private matches(pingId: Uint8Array, kind: 'ping' | 'nodes', from: NodeInfo): boolean {
    const hex = Buffer.from(pingId).toString('hex')
    const p = this.pending.get(hex)
    if (!p || p.kind !== kind || this.now() - p.at > PING_TIMEOUT_MS) return false
    if (p.publicKey !== Buffer.from(from.publicKey).toString('hex') || p.host !== from.host || p.port !== from.port) return false
    this.pending.delete(hex)
    return true
  }

  ping(node: NodeInfo): void {
    const key = this.sharedWith(node.publicKey)
    if (key) this.link.send(encodeDhtPacket(PACKET.pingRequest, this.keys.publicKey, key, pingPlain(0, this.newPingId(node, 'ping'))), node)
  }

  /** Asks `node` for the nodes closest to `target` (our own key: bootstrapping). */
  getNodes(node: NodeInfo, target: Uint8Array = this.keys.publicKey): void {
    const plain = nodesRequestPlain(target, this.newPingId(node, 'nodes'))
    const key = this.sharedWith(node.publicKey)
    if (key) this.link.send(encodeDhtPacket(PACKET.nodesRequest, this.keys.publicKey, key, plain), node)
  }

  bootstrap(node: NodeInfo): void {
    this.getNodes(node)
  }

  /** Up to four known nodes closest (XOR) to `target`. */
  closest(target: Uint8Array, n = 4): NodeInfo[] {
    const dist = (pk: Uint8Array) => Buffer.from(pk.map((b, i) => b ^ target[i]!))
    return [...this.known.values()].sort((a, b) => Buffer.compare(dist(a.publicKey), dist(b.publicKey))).slice(0, n)
  }

  private onPacket(packet: Buffer, from: { host: string; port: number }): void {
    const frame = decodeDhtFrame(packet)
    if (!frame) return
    const key = this.sharedWith(frame.senderPk)
    const plain = key && openDhtFrame(frame, key)
    if (!key || !plain) return
    const sender: NodeInfo = { host: from.host, port: from.port, publicKey: new Uint8Array(frame.senderPk) }
    const reply = (kind: number, body: Uint8Array) => this.link.send(encodeDhtPacket(kind, this.keys.publicKey, key, body), from)
    switch (frame.kind) {
      case PACKET.pingRequest: {
        const id = parsePing(plain, 0)
        if (id) reply(PACKET.pingResponse, pingPlain(1, id))
        break
      }
      case PACKET.pingResponse: {
        const id = parsePing(plain, 1)
        if (id && this.matches(id, 'ping', sender)) this.remember(sender)
        break
      }
      case PACKET.nodesRequest: {
        const req = parseNodesRequest(plain)
        if (!req) break
        // c-toxcore drops an empty nodes response: send at least the requester itself.
        const nodes = this.closest(req.target)
        reply(PACKET.nodesResponse, nodesResponsePlain(nodes.length ? nodes : [sender], req.pingId))
        if (!this.known.has(Buffer.from(sender.publicKey).toString('hex'))) this.ping(sender)
        break
      }
      case PACKET.nodesResponse: {
        const res = parseNodesResponse(plain)
        if (!res || !this.matches(res.pingId, 'nodes', sender)) break
        this.remember(sender)
        for (const n of res.nodes) if (!this.known.has(Buffer.from(n.publicKey).toString('hex'))) this.ping(n)
        break
      }
    }
  }
}
