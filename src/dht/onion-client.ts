/**
 * The onion client (reference tox-protocol.md §7): announces our long-term key to the nodes
 * closest to it — through three-hop paths, so they never learn our address — and searches
 * friends' keys the same way; once a friend's announcement is found (its data key), sends it
 * data through the node that holds it (DHT-PK packets, friend requests), and receives what
 * others send us. Paths are ./onion-paths.ts; each list node keeps to one, since announce
 * nodes bind ping ids to the last relay's address.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { boxKeyPair, SharedKeyCache, trySharedKey, type BoxKeyPair } from '../crypto/box.js'
import type { Address, DatagramLink, DhtNode } from './dht-node.js'
import {
  announceSendback,
  createOnionPacket,
  createOnionPacketTcp,
  decodeAnnounceResponse,
  decodeDataResponse,
  encodeAnnounceRequest,
  encodeDataRequest,
  ONION,
  PING_ID_BYTES,
} from './onion-packets.js'
import { scopedLike } from './lan-discovery.js'
import { MAX_TRIES, OnionPaths, PATHS_PER_WAY, type PathState } from './onion-paths.js'
import type { NodeInfo } from './packed-node.js'
import { tracer } from '../util/trace.js'
import { compareDistance, keyHex, shortKey as short } from './routing-table.js'

const trace = tracer('onion')

const ANNOUNCE_NODES = 12
const SEARCH_NODES = 8
const QUICK_MS = 3000
/** A search not yet answered asks again sooner: the friend may be announcing itself right now. */
const SEARCH_QUICK_MS = 1000
const SLOW_MS = 15_000
const RESPONSE_TIMEOUT_MS = 4000
const ZERO_PING_ID = new Uint8Array(PING_ID_BYTES)
/** How long a node that stopped answering is not taken back into a list (other nodes keep naming it until their DHT forgets it). */
const UNRESPONSIVE_MS = 120_000
const MAX_UNRESPONSIVE = 1024

interface ListNode {
  node: NodeInfo
  key: string
  pingId: Uint8Array
  /** Self list: we are announced there. Search list: the friend's data key there, if found. */
  stored: boolean
  dataPk?: Uint8Array
  lastSent: number
  lastHeard: number
  unanswered: number
  /** Which of the PATHS_PER_WAY paths reaches it. */
  pathSlot: number
  /** The path its last request went by. */
  via?: PathState
  /** The path `pingId` was got by: the node takes it only from a request on that path. */
  pingVia?: PathState
}

interface Friend {
  realPk: Uint8Array
  temp: BoxKeyPair
  nodes: Map<string, ListNode>
}

interface Sent {
  listNode: ListNode
  friend?: Friend
  shared: Uint8Array
  path: PathState
  at: number
}

export interface OnionClientEvents {
  /** Data sent to us through the onion: the sender's long-term key and `[id][data]`. */
  data: [senderRealPk: Uint8Array, body: Uint8Array]
  /** A searched friend's announcement was found (we can send it data now). */
  friendFound: [realPk: Uint8Array]
}

export class OnionClient extends EventEmitter<OnionClientEvents> {
  /** The key others encrypt our onion data to (announced with us). */
  readonly dataKeys = boxKeyPair()
  private readonly self = new Map<string, ListNode>()
  private readonly friends = new Map<string, Friend>()
  private readonly sent = new Map<string, Sent>()
  private readonly paths: OnionPaths
  private nextPathSlot = 0
  private readonly now: () => number
  private readonly realShared: SharedKeyCache
  /** Whether a friend is connected now: then, as c-toxcore, its announcement is not searched. */
  private readonly isOnline: (realPk: Uint8Array) => boolean
  /**
   * Our own onion node: a friend may have announced itself to us (c-toxcore never announces
   * to itself, so on a small network we may be the only node holding its announcement).
   */
  local: { announcedDataKey(pk: Uint8Array): Uint8Array | undefined; deliverLocal(dataRequest: Buffer): void } | undefined
  /**
   * A TCP relay to start every path at, for a node that sends no UDP: the relay is the first
   * hop, and the other two come from the nodes we were told about (bootstrap nodes, nodes in
   * announce responses), since such a node has no DHT of its own.
   */
  tcp: { sendOnion(body: Uint8Array): void; node: NodeInfo } | undefined
  /** Nodes dropped for not answering, and until when they stay out of the lists. */
  private readonly unresponsive = new Map<string, number>()

  /** A node that may serve as a hop or an announce node (a bootstrap node, say). */
  addPathNode(node: NodeInfo): void {
    this.paths.tell(node)
  }

  /** Nodes near `target` from the DHT, else (no DHT over TCP only) from the path nodes. */
  private candidates(target: Uint8Array, n: number): NodeInfo[] {
    const fromDht = this.dht.closest(target, n)
    if (fromDht.length > 0) return fromDht
    return this.paths.toldNodes().sort((a, b) => compareDistance(target, a.publicKey, b.publicKey)).slice(0, n)
  }

  private transmit(path: PathState, destination: NodeInfo, payload: Uint8Array): boolean {
    if (this.tcp && path.path.nodes[0] === this.tcp.node) {
      const body = createOnionPacketTcp(path.path, destination, payload)
      if (body) this.tcp.sendOnion(body)
      return !!body
    }
    const packet = createOnionPacket(path.path, destination, payload)
    if (packet) this.link.send(packet, path.path.nodes[0])
    return !!packet
  }

  constructor(
    private readonly dht: DhtNode,
    private readonly link: DatagramLink,
    private readonly realKeys: BoxKeyPair,
    options: { now?: () => number; realShared?: SharedKeyCache; isOnline?: (realPk: Uint8Array) => boolean } = {},
  ) {
    super()
    this.now = options.now ?? (() => performance.now())
    this.isOnline = options.isOnline ?? (() => false)
    this.realShared = options.realShared ?? new SharedKeyCache(realKeys.secretKey)
    this.paths = new OnionPaths({ dht, now: this.now, tcp: () => this.tcp?.node, owner: realKeys.publicKey })
    link.on(ONION.announceResponse, (p, from) => this.onAnnounceResponse(p, from))
    link.on(ONION.dataResponse, (p) => this.onDataResponse(p))
  }

  /** Whether at least one node stores our announcement. */
  get announced(): boolean {
    return [...this.self.values()].some((n) => n.stored && this.now() - n.lastHeard < 2 * SLOW_MS)
  }

  /** Starts searching the friend `realPk`. */
  search(realPk: Uint8Array): void {
    const key = keyHex(realPk)
    if (!this.friends.has(key)) this.friends.set(key, { realPk: new Uint8Array(realPk), temp: boxKeyPair(), nodes: new Map() })
  }

  stopSearch(realPk: Uint8Array): void {
    this.friends.delete(keyHex(realPk))
  }

  /** Whether a node holding the friend's announcement is known. */
  canReach(realPk: Uint8Array): boolean {
    const f = this.friends.get(keyHex(realPk))
    return !!f && ([...f.nodes.values()].some((n) => n.dataPk) || !!this.local?.announcedDataKey(realPk))
  }



  /**
   * Sends `[id][data]` to a friend through every node known to hold its announcement;
   * false when none is known yet (keep searching and try again).
   */
  sendData(realPk: Uint8Array, body: Uint8Array): boolean {
    const f = this.friends.get(keyHex(realPk))
    const realShared = this.realShared.get(realPk)
    if (!f || !realShared) return false
    const request = (dataPk: Uint8Array) => {
      const temp = boxKeyPair()
      const tempShared = trySharedKey(dataPk, temp.secretKey)
      return tempShared && encodeDataRequest(realPk, this.realKeys.publicKey, realShared, body, { publicKey: temp.publicKey, shared: tempShared })
    }
    let sent = false
    const localKey = this.local?.announcedDataKey(realPk)
    const localRequest = localKey && request(localKey)
    if (localRequest) {
      this.local!.deliverLocal(localRequest)
      sent = true
    }
    for (const n of f.nodes.values()) {
      if (!n.dataPk) continue
      const path = this.paths.get('search', n.node, n.pathSlot)
      const payload = path && request(n.dataPk)
      if (path && payload && this.transmit(path, n.node, payload)) sent = true
    }
    return sent
  }

  // ── announcing and searching ───────────────────────────────────────────────────────

  private sendAnnounce(n: ListNode, friend?: Friend): void {
    const path = this.paths.get(friend ? 'search' : 'announce', n.node, n.pathSlot)
    const senderKeys = friend ? friend.temp : this.realKeys
    const shared = trySharedKey(n.node.publicKey, senderKeys.secretKey)
    if (!path || !shared) return
    const sendback = randomBytes(8)
    const payload = encodeAnnounceRequest(shared, {
      senderPk: senderKeys.publicKey,
      // Searches carry a zero ping id, as c-toxcore's: with a valid one the node would take
      // the search for an announcement of our temporary key, and never name the friend's data key.
      pingId: friend ? ZERO_PING_ID : n.pingId,
      searchedPk: friend ? friend.realPk : this.realKeys.publicKey,
      dataPk: friend ? new Uint8Array(32) : this.dataKeys.publicKey,
      sendback,
    })
    if (!this.transmit(path, n.node, payload)) return
    const now = this.now()
    n.lastSent = now
    n.unanswered++
    n.via = path
    this.sent.set(sendback.toString('hex'), { listNode: n, friend, shared, path, at: now })
  }

  /** Adds `node` to a list if it is among the `max` closest to `target`; returns the entry if added. */
  private offer(list: Map<string, ListNode>, target: Uint8Array, max: number, node: NodeInfo): ListNode | undefined {
    const key = keyHex(node.publicKey)
    if (list.has(key) || key === keyHex(this.dht.publicKey)) return undefined
    if ((this.unresponsive.get(key) ?? -Infinity) > this.now()) return undefined
    if (list.size >= max) {
      // Nodes that never answered go first: a node named to us may be long gone (a network's
      // nodes keep naming a stopped one for two minutes), and one that answers is worth more
      // than one nearer that may not. Among those that did, the farthest.
      const byDistance = [...list.values()].sort((a, b) => compareDistance(target, b.node.publicKey, a.node.publicKey))
      const farthest = byDistance.find((n) => n.lastHeard === -Infinity) ?? byDistance[0]!
      if (compareDistance(target, node.publicKey, farthest.node.publicKey) >= 0) return undefined
      list.delete(farthest.key)
    }
    const entry: ListNode = { node: { host: node.host, port: node.port, publicKey: new Uint8Array(node.publicKey) }, key, pingId: new Uint8Array(PING_ID_BYTES), stored: false, lastSent: -Infinity, lastHeard: -Infinity, unanswered: 0, pathSlot: this.nextPathSlot++ % PATHS_PER_WAY }
    list.set(key, entry)
    return entry
  }

  private onAnnounceResponse(packet: Buffer, from: Address): void {
    const sendback = announceSendback(packet)
    const sent = sendback && this.sent.get(Buffer.from(sendback).toString('hex'))
    if (!sent) return
    const res = decodeAnnounceResponse(packet, sent.shared)
    if (!res) return
    this.sent.delete(Buffer.from(sendback).toString('hex'))
    const n = sent.listNode
    let stale = false
    n.lastHeard = this.now()
    n.unanswered = 0
    sent.path.failures = 0
    const f = sent.friend
    if (f) {
      if (res.isStored === 1) {
        const first = ![...f.nodes.values()].some((x) => x.dataPk)
        n.dataPk = res.value
        if (first) this.emit('friendFound', f.realPk)
      } else n.pingId = res.value
    } else {
      // The node answers "stored" (2) to a request on a new path even when the ping id we sent
      // was for the old one (ping ids are bound to the last hop's address) — and keeps the old
      // return path, which may be dead: data for us would be lost there until our next
      // announcement, 15 s on. So a "stored" is taken only for a ping id got on the same path.
      stale = res.isStored === 2 && n.pingVia !== sent.path
      n.stored = res.isStored === 2 && !stale
      n.pingId = res.value
      n.pingVia = sent.path
    }
    const list = f ? f.nodes : this.self
    const target = f ? f.realPk : this.realKeys.publicKey
    for (const named of res.nodes) {
      const node = scopedLike(named, from)
      this.addPathNode(node)
      const added = this.offer(list, target, f ? SEARCH_NODES : ANNOUNCE_NODES, node)
      if (added) this.sendAnnounce(added, f)
    }
    // Announcing: the first answer gives the ping id; ask again at once to be stored.
    if (!f && (res.isStored === 0 || stale)) this.sendAnnounce(n)
  }

  private onDataResponse(packet: Buffer): void {
    const decoded = decodeDataResponse(
      packet,
      (tempPk) => trySharedKey(tempPk, this.dataKeys.secretKey),
      (realPk) => this.realShared.get(realPk),
    )
    if (decoded) this.emit('data', decoded.senderRealPk, decoded.body)
  }

  /** Handles a 0x86 that our own onion node received for us (someone asked us for ourselves). */
  deliverLocal(response: Buffer): void {
    this.onDataResponse(response)
  }

  // ── timers ─────────────────────────────────────────────────────────────────────────

  tick(): void {
    const now = this.now()
    for (const [id, s] of this.sent) {
      if (now - s.at < RESPONSE_TIMEOUT_MS) continue
      this.sent.delete(id)
      s.path.failures++
      trace?.(`${short(this.realKeys.publicKey)}: no answer from ${short(s.listNode.node.publicKey)}${s.friend ? ` searching ${short(s.friend.realPk)}` : ''}`)
      // A hop gone: the nodes last asked through that path are asked again at once on a new
      // one, not counted against them.
      this.paths.probe(s.path, () => {
        for (const n of [...this.self.values(), ...[...this.friends.values()].flatMap((f) => [...f.nodes.values()])]) {
          if (n.via !== s.path) continue
          n.unanswered = 0
          n.lastSent = -Infinity
        }
      })
    }
    this.refresh(this.self, this.realKeys.publicKey, ANNOUNCE_NODES, undefined, now)
    // A connected friend needs no search (c-toxcore's do_friend skips online friends): a
    // device in a 24-member group links with 16 others, and searching each every second
    // was most of the node's onion traffic. Its nodes stay, for DHT-PK packets.
    for (const f of this.friends.values()) if (!this.isOnline(f.realPk)) this.refresh(f.nodes, f.realPk, SEARCH_NODES, f, now)
  }

  private refresh(list: Map<string, ListNode>, target: Uint8Array, max: number, friend: Friend | undefined, now: number): void {
    for (const n of [...list.values()]) {
      if (n.unanswered < MAX_TRIES) continue
      list.delete(n.key)
      this.unresponsive.delete(n.key)
      this.unresponsive.set(n.key, now + UNRESPONSIVE_MS)
      if (this.unresponsive.size > MAX_UNRESPONSIVE) this.unresponsive.delete(this.unresponsive.keys().next().value!)
    }
    if (list.size < max) for (const c of this.candidates(target, max)) this.offer(list, target, max, c)
    for (const n of list.values()) {
      // Settled: stored (or the friend's key found), and the last request not left unanswered.
      const unanswered = n.unanswered > 0 && now - n.lastSent >= RESPONSE_TIMEOUT_MS
      const settled = (friend ? !!n.dataPk : n.stored) && !unanswered
      if (now - n.lastSent >= (settled ? SLOW_MS : friend ? SEARCH_QUICK_MS : QUICK_MS)) this.sendAnnounce(n, friend)
    }
  }
}
