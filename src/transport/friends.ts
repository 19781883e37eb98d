/**
 * Finding friends on the Tox network, as c-toxcore's friend_connection and friend_requests
 * do (reference tox-protocol.md §4, §7.5): friend requests sent through the onion (with the
 * friend's nospam, resent with back-off until it comes online) and received (our nospam, not
 * from a friend, not a repeat); DHT-PK packets telling each friend our DHT key and the nodes
 * to reach us — through the onion every 30 s while it is offline, and through the DHT; and,
 * once a friend's DHT key is known, a DHT search whose first answer from that key opens the
 * net_crypto connection.
 * @module
 */
import { EventEmitter } from 'node:events'
import { decodeDhtPk, dhtPkPlain, encodeDhtPk, parseDhtPkPlain, REQUEST_DHT_PK, type DhtPkAnnouncement } from '../dht/dht-request.js'
import { InvalidArgumentError } from '../errors.js'
import type { DhtNode } from '../dht/dht-node.js'
import type { OnionClient } from '../dht/onion-client.js'
import type { NodeInfo } from '../dht/packed-node.js'
import { keyHex, shortKey as short } from '../dht/routing-table.js'
import type { NetCrypto } from './net-crypto/net-crypto.js'
import type { Address } from './udp.js'
import { tracer } from '../util/trace.js'

const trace = tracer('friends')

export const FRIEND_REQUEST_ID = 0x20
const DHT_PK_ONION_INTERVAL_MS = 30_000
const DHT_PK_QUICK_MS = 2000
const DHT_PK_QUICK_SENDS = 5
const DHT_PK_DHT_INTERVAL_MS = 20_000
const REQUEST_FIRST_RESEND_MS = 5000
/** c-toxcore's PUNCH_INTERVAL. */
const PUNCH_INTERVAL_MS = 3000
const RECENT_REQUESTS = 32
/** c-toxcore's TOX_MAX_FRIEND_REQUEST_LENGTH. */
export const MAX_FRIEND_REQUEST_MESSAGE = 1016

export interface FriendFinderEvents {
  /** Someone sent us a friend request (right nospam, not a friend yet). */
  request: [publicKey: Uint8Array, message: string]
  /** A friend told us its DHT key (from the onion or the DHT). */
  dhtPk: [announcement: DhtPkAnnouncement]
}

interface Wanted {
  realPk: Uint8Array
  dhtPk?: Uint8Array
  lastNoReplay: bigint
  lastOnionDhtPk: number
  onionDhtPkSent: number
  lastDhtDhtPk: number
  /** Hole punching towards it (../dht/nat.ts): rounds so far, and when the last was. */
  punch: { round: number; at: number }
  request?: { body: Buffer; nextAt: number; backoff: number }
}

export interface FriendFinderContext {
  dht: DhtNode
  onion: OnionClient
  netCrypto: NetCrypto
  realPk: Uint8Array
  nospam: Uint8Array
  /** Where we can be reached directly (listed first in our DHT-PK), if we know it. */
  selfNode: () => NodeInfo | undefined
  /** Our TCP relays, listed in our DHT-PK as TCP nodes. */
  relayNodes: () => NodeInfo[]
  /** Connect to a friend's relay and ask it for the friend's DHT key. */
  viaRelay: (relay: NodeInfo, dhtPk: Uint8Array) => void
  /** Ask each of our relays to connect us with this DHT key. */
  routeEverywhere: (dhtPk: Uint8Array) => void
  isFriend: (realPk: Uint8Array) => boolean
  isConnected: (realPk: Uint8Array) => boolean
  /** Whether the friend's connection is up over UDP (not on a relay). */
  isDirect: (realPk: Uint8Array) => boolean
  now?: () => number
}

export class FriendFinder extends EventEmitter<FriendFinderEvents> {
  private readonly wanted = new Map<string, Wanted>()
  private readonly recentRequests: string[] = []
  private readonly refused = new Set<string>()
  private noReplay = 0n
  private readonly now: () => number

  constructor(private readonly ctx: FriendFinderContext) {
    super()
    this.now = ctx.now ?? (() => performance.now())
    ctx.onion.on('data', (sender, body) => this.onOnionData(sender, body))
    ctx.dht.onRequest(REQUEST_DHT_PK, (data, senderDhtPk) => {
      const a = decodeDhtPk(data, (pk) => ctx.netCrypto.sharedWithReal(pk))
      // The DHT key inside must be the one that sent the request (as c-toxcore checks).
      if (a && keyHex(a.senderDhtPk) === keyHex(senderDhtPk)) this.onDhtPk(a)
    })
    ctx.dht.on('found', (dhtPk, address) => this.reachableAt(dhtPk, address))
  }

  /** Starts looking for a friend (searching its announcement; connecting once found). */
  find(realPk: Uint8Array): void {
    const key = keyHex(realPk)
    this.refused.delete(key)
    if (!this.wanted.has(key)) this.wanted.set(key, { realPk: new Uint8Array(realPk), lastNoReplay: -1n, lastOnionDhtPk: -Infinity, onionDhtPkSent: 0, lastDhtDhtPk: -Infinity, punch: { round: 0, at: -Infinity } })
    this.ctx.onion.search(realPk)
  }

  forget(realPk: Uint8Array): void {
    // As c-toxcore's m_delfriend (remove_request_received): a friend let go may ask again.
    const recent = this.recentRequests.indexOf(keyHex(realPk))
    if (recent >= 0) this.recentRequests.splice(recent, 1)
    const w = this.wanted.get(keyHex(realPk))
    this.wanted.delete(keyHex(realPk))
    this.ctx.onion.stopSearch(realPk)
    if (w?.dhtPk) this.ctx.dht.stopSearch(w.dhtPk)
  }

  /** A friend's connection went away: look for it quickly again (its DHT key still stands until it says otherwise). */
  lost(realPk: Uint8Array): void {
    const w = this.wanted.get(keyHex(realPk))
    if (!w) return
    w.lastDhtDhtPk = -Infinity
    w.onionDhtPkSent = 0
    if (w.dhtPk) this.ctx.dht.hurry(w.dhtPk)
  }

  /** Ignores further requests from this key (until `find` or an accept). */
  refuse(realPk: Uint8Array): void {
    this.refused.add(keyHex(realPk))
  }

  /** Sends a friend request (through the onion, resent with back-off until the friend is online). */
  request(realPk: Uint8Array, nospam: Uint8Array, message: string): void {
    this.find(realPk)
    const body = Buffer.concat([Uint8Array.of(FRIEND_REQUEST_ID), nospam, Buffer.from(message, 'utf8')])
    this.wanted.get(keyHex(realPk))!.request = { body, nextAt: -Infinity, backoff: REQUEST_FIRST_RESEND_MS }
  }

  /** Our DHT-PK: our DHT key, ourselves (when our address is known) and nodes near us. */
  private ourDhtPk(): DhtPkAnnouncement {
    const self = this.ctx.selfNode()
    // Ourselves first, then up to two relays, then DHT nodes near us (four in all).
    const nodes = [...(self ? [self] : []), ...this.ctx.relayNodes().slice(0, 2), ...this.ctx.dht.closest(this.ctx.dht.publicKey, 3)].slice(0, 4)
    this.noReplay = BigInt(Math.max(Number(this.noReplay) + 1, Math.floor(performance.timeOrigin + performance.now())))
    return { senderRealPk: this.ctx.realPk, noReplay: this.noReplay, senderDhtPk: this.ctx.dht.publicKey, nodes }
  }

  /**
   * Sends our DHT-PK to a friend's DHT key at `address` (a DHT request): a c-toxcore friend
   * then asks the nodes listed — us first — for our key, and opens the connection itself.
   */
  announceDhtPk(realPk: Uint8Array, dhtPk: Uint8Array, address: Address): void {
    const realShared = this.ctx.netCrypto.sharedWithReal(realPk)
    if (!realShared) throw new InvalidArgumentError('not a usable public key (low order)')
    this.ctx.dht.sendRequest({ ...address, publicKey: dhtPk }, REQUEST_DHT_PK, encodeDhtPk(this.ourDhtPk(), realShared))
  }

  private onOnionData(sender: Uint8Array, body: Uint8Array): void {
    if (body[0] === FRIEND_REQUEST_ID) return this.onRequest(sender, body)
    if (body[0] === REQUEST_DHT_PK) {
      const a = parseDhtPkPlain(body, sender)
      if (a) this.onDhtPk(a)
    }
  }

  private onRequest(sender: Uint8Array, body: Uint8Array): void {
    const key = keyHex(sender)
    if (body.length <= 5 || body.length > 5 + MAX_FRIEND_REQUEST_MESSAGE) return
    const dropped = !Buffer.from(body.subarray(1, 5)).equals(this.ctx.nospam)
      ? 'nospam'
      : this.ctx.isFriend(sender)
        ? 'a friend'
        : this.recentRequests.includes(key)
          ? 'a repeat'
          : this.refused.has(key)
            ? 'refused'
            : undefined
    trace?.(`${short(this.ctx.realPk)}: request from ${short(sender)}${dropped ? ` dropped (${dropped})` : ''}`)
    if (dropped) return
    this.recentRequests.push(key)
    if (this.recentRequests.length > RECENT_REQUESTS) this.recentRequests.shift()
    this.emit('request', new Uint8Array(sender), Buffer.from(body.subarray(5)).toString('utf8'))
  }

  private onDhtPk(a: DhtPkAnnouncement): void {
    const w = this.wanted.get(keyHex(a.senderRealPk))
    const dropped = !w || !this.ctx.isFriend(a.senderRealPk) ? 'not a friend' : a.noReplay <= w.lastNoReplay ? 'a replay' : undefined
    trace?.(`${short(this.ctx.realPk)}: DHT-PK from ${short(a.senderRealPk)}${dropped ? ` dropped (${dropped})` : `: DHT key ${short(a.senderDhtPk)}, ${a.nodes.length} nodes`}`)
    if (!w || dropped) return
    w.lastNoReplay = a.noReplay
    // Its first DHT-PK, or a new DHT key (a restart): it knows us now, so ours goes at once
    // and quickly again (the ones before may have arrived before it accepted us).
    if (!w.dhtPk || keyHex(w.dhtPk) !== keyHex(a.senderDhtPk)) (w.onionDhtPkSent = 0), (w.lastOnionDhtPk = -Infinity)
    if (w.dhtPk && keyHex(w.dhtPk) !== keyHex(a.senderDhtPk)) this.ctx.dht.stopSearch(w.dhtPk)
    w.dhtPk = a.senderDhtPk
    this.emit('dhtPk', a)
    // Searched even when connected (on a relay, say): finding it by UDP is how we move there.
    this.ctx.dht.search(a.senderDhtPk)
    if (this.ctx.isConnected(w.realPk)) return
    const at = this.ctx.dht.foundAt(a.senderDhtPk)
    if (at) this.connect(w, at)
    // Ask the nodes it named for its key: its own node answers from that key, and we have it.
    // Its TCP relays: connect there too and ask for it (the relay joins us once both asked).
    for (const n of a.nodes) {
      if (n.tcp) this.ctx.viaRelay(n, a.senderDhtPk)
      else this.ctx.dht.getNodes(n, a.senderDhtPk)
    }
    this.ctx.routeEverywhere(a.senderDhtPk)
  }

  /**
   * A DHT key answered us directly, or a relay joined us with it: if it is a friend's,
   * open the connection there.
   */
  reachableAt(dhtPk: Uint8Array, address: Address): void {
    for (const w of this.wanted.values()) if (w.dhtPk && keyHex(w.dhtPk) === keyHex(dhtPk)) this.connect(w, address)
  }

  /** Hole punching while its DHT key is known and we do not reach it by UDP (on a relay, or not at all). */
  private punch(w: Wanted, now: number): void {
    if (!w.dhtPk || this.ctx.isDirect(w.realPk)) {
      w.punch.round = 0
      return
    }
    if (now - w.punch.at < PUNCH_INTERVAL_MS) return
    w.punch.at = now
    this.ctx.dht.nat.punchFriend(w.dhtPk, ++w.punch.round)
  }

  private connect(w: Wanted, address: Address): void {
    if (!w.dhtPk) return
    trace?.(`${short(this.ctx.realPk)}: ${short(w.realPk)} answers at ${address.host}:${address.port}${this.ctx.isConnected(w.realPk) ? ' (connected)' : ', connecting'}`)
    // Connected already (on a relay, say): a UDP address that answered is a path to try.
    if (this.ctx.isConnected(w.realPk)) return this.ctx.netCrypto.tryDirect(w.realPk, address)
    this.ctx.netCrypto.connect(w.realPk, w.dhtPk, address)
  }

  private dhtWasConnected = false

  tick(): void {
    const now = this.now()
    // UDP just started getting answers (a network that let it through again): punch at once.
    const dhtConnected = this.ctx.dht.isConnected()
    if (dhtConnected && !this.dhtWasConnected) for (const w of this.wanted.values()) w.punch.at = -Infinity
    this.dhtWasConnected = dhtConnected
    for (const w of this.wanted.values()) {
      this.punch(w, now)
      if (this.ctx.isConnected(w.realPk)) {
        w.request = undefined
        continue
      }
      const reachable = this.ctx.onion.canReach(w.realPk)
      if (w.request && reachable && now >= w.request.nextAt) {
        if (this.ctx.onion.sendData(w.realPk, w.request.body)) {
          trace?.(`${short(this.ctx.realPk)}: request to ${short(w.realPk)} sent, next in ${w.request.backoff} ms`)
          // Our DHT-PK follows quickly again: the ones sent before it accepts us are dropped,
          // and a request that arrives late (a path that broke) would otherwise wait 30 s for one.
          w.onionDhtPkSent = 0
          w.request.nextAt = now + w.request.backoff
          w.request.backoff *= 2
        }
      }
      // The first few every 2 s (one that arrives before our friend request was accepted is
      // dropped), then every 30 s as c-toxcore.
      const interval = w.onionDhtPkSent < DHT_PK_QUICK_SENDS ? DHT_PK_QUICK_MS : DHT_PK_ONION_INTERVAL_MS
      if (reachable && now - w.lastOnionDhtPk >= interval) {
        if (this.ctx.onion.sendData(w.realPk, dhtPkPlain(this.ourDhtPk()))) {
          w.lastOnionDhtPk = now
          w.onionDhtPkSent++
          trace?.(`${short(this.ctx.realPk)}: DHT-PK to ${short(w.realPk)} through the onion (${w.onionDhtPkSent})`)
        }
      }
      // Once its DHT key answered us: our DHT-PK straight to it, and a connection attempt.
      const at = w.dhtPk && this.ctx.dht.foundAt(w.dhtPk)
      if (w.dhtPk && at && now - w.lastDhtDhtPk >= DHT_PK_DHT_INTERVAL_MS) {
        w.lastDhtDhtPk = now
        this.announceDhtPk(w.realPk, w.dhtPk, at)
        this.connect(w, at)
      }
    }
  }
}
