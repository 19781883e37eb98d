/**
 * The net_crypto layer of a node (reference tox-protocol.md §4–5): answers cookie requests
 * statelessly, runs handshakes in both directions (simultaneous opens converge), maps data
 * packets to connections by source address (following a peer to a new address when its
 * packet opens with the connection's keys), resends cookie requests and handshakes every
 * second (8 tries), and drives every connection's timers. Between two gitswarm nodes the
 * handshake is upgraded to Noise IK (./noise-handshake.ts); with c-toxcore it stays legacy.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { equalBytes, randomNonce, sha512, SharedKeyCache, trySharedKey, type BoxKeyPair } from '../../crypto/box.js'
import { InvalidArgumentError } from '../../errors.js'
import type { Address, DatagramLink } from '../../dht/datagram.js'
import { CryptoConnection } from './connection.js'
import { CookieJar } from './cookies.js'
import { keepPath, offerDirect, staysDirect } from './direct-path.js'
import { acceptNoise, NOISE_ACCEPT, NOISE_HANDSHAKE, noiseInitiate, noiseRespond, type NoiseContext } from './noise-handshake.js'
import {
  COOKIE_REQUEST,
  COOKIE_RESPONSE,
  CRYPTO_DATA,
  decodeCookieRequest,
  decodeCookieResponse,
  encodeCookieRequest,
  encodeCookieResponse,
  encodeHandshake,
  HANDSHAKE,
  NOISE_OFFER,
  openHandshake,
  splitHandshake,
  type HandshakeContent,
} from './packets.js'

const RESEND_MS = 1000
const MAX_TRIES = 8
/** Trial decryptions of data packets from unknown addresses, per second (see roam). */
export const MAX_ROAM_TRIALS = 256
/** How often connections' paths are looked at (probes, fall back to a relay). */
const PATH_CHECK_MS = 100

export interface NetCryptoOptions {
  link: DatagramLink
  /** Long-term ("real") key pair: the identity in the Tox ID. */
  realKeys: BoxKeyPair
  /** This session's DHT key pair. */
  dhtKeys: BoxKeyPair
  /** beforenm with a DHT key (the DHT's cache). */
  sharedDht: (dhtPk: Uint8Array) => Uint8Array | undefined
  /** Whether to accept a connection from this real key (friends only). */
  accept: (realPk: Uint8Array) => boolean
  /** Offer and accept the Noise IK upgrade (default true). */
  noise?: boolean
  /**
   * Peers that must use Noise (known gitswarm devices): their legacy handshakes are refused,
   * so someone holding our long-term key cannot impersonate them to us (KCI) by downgrading.
   */
  requireNoise?: (realPk: Uint8Array) => boolean
  now?: () => number
  /** Timer period in ms (default 10). */
  tickMs?: number
  /** Shared keys with long-term keys (one cache for the node's layers); made here when absent. */
  realShared?: SharedKeyCache
  /**
   * The relay pseudo-address joining us with this DHT key, if a relay does now: a direct path
   * gone silent falls back to it (./direct-path.ts). Without it connections never change path by themselves.
   */
  relayPath?: (peerDhtPk: Uint8Array) => Address | undefined
}

export interface NetCryptoEvents {
  /** A connection (initiated by either side) was created. */
  connection: [connection: CryptoConnection]
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const addrKey = (a: Address) => `${a.host}:${a.port}`

export class NetCrypto extends EventEmitter<NetCryptoEvents> {
  private readonly byReal = new Map<string, CryptoConnection>()
  private readonly byAddress = new Map<string, CryptoConnection>()
  private readonly realShared: SharedKeyCache
  readonly cookies: CookieJar
  private readonly now: () => number
  private readonly timer: NodeJS.Timeout
  /** Base nonces we announced, per connection, until the peer's handshake arrives. */
  private readonly ourBase = new WeakMap<CryptoConnection, Uint8Array>()
  private readonly noiseState = new WeakMap<CryptoConnection, NoiseContext>()
  readonly noise: boolean

  constructor(private readonly options: NetCryptoOptions) {
    super()
    this.now = options.now ?? (() => performance.now())
    this.cookies = new CookieJar(this.now)
    this.realShared = options.realShared ?? new SharedKeyCache(options.realKeys.secretKey)
    this.noise = options.noise ?? true
    const { link } = options
    link.on(COOKIE_REQUEST, (p, from) => this.onCookieRequest(p, from))
    link.on(COOKIE_RESPONSE, (p, from) => this.onCookieResponse(p, from))
    link.on(HANDSHAKE, (p, from) => this.onHandshake(p, from))
    link.on(NOISE_HANDSHAKE, (p, from) => this.onNoiseHandshake(p, from))
    link.on(CRYPTO_DATA, (p, from) => {
      const conn = this.byAddress.get(addrKey(from))
      if (conn) conn.receiveData(p)
      else this.roam(p, from)
    })
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 10)
    this.timer.unref()
  }

  get realPublicKey(): Uint8Array {
    return this.options.realKeys.publicKey
  }

  connections(): CryptoConnection[] {
    return [...this.byReal.values()]
  }

  get(realPk: Uint8Array): CryptoConnection | undefined {
    return this.byReal.get(hex(realPk))
  }

  /** beforenm with a long-term key, cached (bounded: anyone can make us compute one). */
  sharedWithReal(realPk: Uint8Array): Uint8Array | undefined {
    return this.realShared.get(realPk)
  }


  private track(conn: CryptoConnection): CryptoConnection {
    const old = this.byReal.get(hex(conn.peerRealPk))
    if (old && old !== conn) old.close('replaced')
    this.byReal.set(hex(conn.peerRealPk), conn)
    this.byAddress.set(addrKey(conn.address), conn)
    conn.once('killed', () => {
      if (this.byReal.get(hex(conn.peerRealPk)) === conn) this.byReal.delete(hex(conn.peerRealPk))
      if (this.byAddress.get(addrKey(conn.address)) === conn) this.byAddress.delete(addrKey(conn.address))
    })
    this.emit('connection', conn)
    return conn
  }

  private send(conn: CryptoConnection, packet: Uint8Array): void {
    conn.pending = { packet, tries: 1, sentAt: this.now() }
    this.options.link.send(packet, conn.address)
  }

  /** Opens a connection to the friend `realPk`, reachable at `address` with DHT key `dhtPk`. */
  connect(realPk: Uint8Array, dhtPk: Uint8Array, address: Address): CryptoConnection {
    const existing = this.get(realPk)
    if (existing && existing.state !== 'killed') return existing
    const dhtShared = this.options.sharedDht(dhtPk)
    if (!dhtShared || !this.sharedWithReal(realPk)) throw new InvalidArgumentError('not a usable public key (low order)')
    const conn = this.track(new CryptoConnection(realPk, dhtPk, address, (p, to) => this.options.link.send(p, to), this.now, 'cookie-requesting'))
    conn.echoId = new Uint8Array(randomBytes(8))
    conn.noiseOffered = this.noise
    const packet = encodeCookieRequest(dhtShared, this.options.dhtKeys.publicKey, this.options.realKeys.publicKey, conn.echoId, this.noise ? NOISE_OFFER : undefined)
    this.send(conn, packet)
    return conn
  }

  private onCookieRequest(packet: Buffer, from: Address): void {
    const req = decodeCookieRequest(packet, this.options.sharedDht)
    if (!req) return
    const cookie = this.cookies.issue(req.senderRealPk, req.senderDhtPk)
    // A gitswarm peer offers Noise in the legacy padding; c-toxcore leaves it zero and gets a plain response.
    const extra = this.noise && equalBytes(req.padding, NOISE_OFFER) ? NOISE_ACCEPT : undefined
    this.options.link.send(encodeCookieResponse(this.options.sharedDht(req.senderDhtPk)!, cookie, req.echoId, extra), from)
  }

  private onCookieResponse(packet: Buffer, from: Address): void {
    const conn = this.byAddress.get(addrKey(from))
    if (!conn || conn.state !== 'cookie-requesting') return
    const res = decodeCookieResponse(packet, this.options.sharedDht(conn.peerDhtPk)!)
    if (!res || !conn.echoId || !equalBytes(res.echoId, conn.echoId)) return
    conn.peerCookie = res.cookie
    if (conn.noiseOffered && equalBytes(res.extra.subarray(0, NOISE_ACCEPT.length), NOISE_ACCEPT)) {
      const ctx = noiseInitiate(this.noiseContextBase(conn), res.cookie, this.options.dhtKeys.publicKey)
      this.noiseState.set(conn, ctx)
      conn.state = 'handshake-sent'
      this.send(conn, ctx.message!)
      return
    }
    if (this.options.requireNoise?.(conn.peerRealPk)) {
      conn.close('the peer did not accept the Noise upgrade it must use')
      return
    }
    conn.state = 'handshake-sent'
    this.send(conn, this.legacyHandshake(conn, res.cookie))
  }

  private legacyHandshake(conn: CryptoConnection, theirCookie: Uint8Array): Uint8Array {
    const base = this.ourBase.get(conn) ?? randomNonce()
    this.ourBase.set(conn, base)
    const content: HandshakeContent = {
      baseNonce: base,
      sessionPk: conn.session.publicKey,
      cookieHash: sha512(theirCookie),
      otherCookie: this.cookies.issue(conn.peerRealPk, conn.peerDhtPk),
    }
    return encodeHandshake(this.sharedWithReal(conn.peerRealPk)!, theirCookie, content)
  }

  private onHandshake(packet: Buffer, from: Address): void {
    const parts = splitHandshake(packet)
    if (!parts) return
    const issued = this.cookies.open(parts.cookie)
    if (!issued || this.options.requireNoise?.(issued.realPk)) return
    const realShared = this.sharedWithReal(issued.realPk)
    const content = realShared && openHandshake(realShared, parts.nonce, parts.boxed)
    if (!content || !equalBytes(content.cookieHash, sha512(parts.cookie))) return
    let conn = this.get(issued.realPk)
    if (conn?.state === 'established' || conn?.state === 'not-confirmed') {
      // Only a restarted peer (new DHT key) may replace a live connection.
      if (equalBytes(conn.peerDhtPk, issued.dhtPk)) return
      conn.close('peer restarted')
      conn = undefined
    }
    if (!conn || conn.state === 'killed') {
      if (!this.options.accept(issued.realPk)) return
      conn = this.track(new CryptoConnection(issued.realPk, issued.dhtPk, from, (p, to) => this.options.link.send(p, to), this.now, 'handshake-sent'))
    }
    if (conn.noise) return // a Noise session is never downgraded by a legacy handshake
    this.readdress(conn, from)
    // Answer with our own handshake (using the cookie they made for us) unless already sent.
    if (!this.ourBase.has(conn)) this.send(conn, this.legacyHandshake(conn, content.otherCookie))
    const key = trySharedKey(content.sessionPk, conn.session.secretKey)
    if (!key) return
    conn.setSession({ send: key, receive: key }, this.ourBase.get(conn)!, content.baseNonce)
    conn.sendRequest() // a first data packet confirms the connection on the other side
  }

  private noiseContextBase(conn: CryptoConnection): Omit<NoiseContext, 'message'> {
    return { localStatic: this.options.realKeys, remoteStatic: conn.peerRealPk, localEphemeral: conn.session }
  }

  private onNoiseHandshake(packet: Buffer, from: Address): void {
    if (!this.noise) return
    // Responder side: a first message carrying our cookie.
    const first = acceptNoise(packet, this.cookies, this.options.realKeys)
    if (first) {
      let conn = this.get(first.initiatorRealPk)
      if (conn?.state === 'established' && equalBytes(conn.peerDhtPk, first.initiatorDhtPk)) return
      if (conn && conn.state !== 'killed' && conn.state !== 'cookie-requesting' && conn.state !== 'handshake-sent') conn.close('peer restarted')
      if (!conn || conn.state === 'killed' || conn.state === 'not-confirmed' || conn.state === 'established') {
        if (!this.options.accept(first.initiatorRealPk)) return
        conn = this.track(new CryptoConnection(first.initiatorRealPk, first.initiatorDhtPk, from, (p, to) => this.options.link.send(p, to), this.now, 'handshake-sent'))
      } else if (conn.state === 'handshake-sent' && this.noiseState.get(conn) && Buffer.compare(this.options.realKeys.publicKey, first.initiatorRealPk) > 0) {
        // Both initiated at once: the larger key keeps its own initiator role.
        return
      }
      this.readdress(conn, from)
      const reply = noiseRespond(first, conn.session)
      conn.noise = true
      conn.setSession(reply.keys, reply.ourBaseNonce, reply.peerBaseNonce)
      this.send(conn, reply.message)
      return
    }
    // Initiator side: the responder's answer.
    const conn = this.byAddress.get(addrKey(from))
    const ctx = conn && this.noiseState.get(conn)
    if (!conn || !ctx || conn.state !== 'handshake-sent') return
    const done = ctx.finish?.(packet)
    if (!done) return
    conn.noise = true
    conn.setSession(done.keys, done.ourBaseNonce, done.peerBaseNonce)
    conn.sendRequest()
  }

  private roamTrials = 0
  private roamSecond = -Infinity

  /**
   * A data packet from an address no connection has: a peer whose NAT gave it a new port
   * (a router that restarted, an uplink that came back), or that moved to another path. The
   * packet names no connection, so it is tried on each established one (bounded: at most
   * MAX_ROAM_TRIALS a second, whoever sends them); the one whose keys open it — fresh, not a
   * replay — moves to the new address at once, instead of dying after the friend timeout
   * (c-toxcore's behaviour) and being found again.
   */
  private roam(packet: Uint8Array, from: Address): void {
    const now = this.now()
    if (now - this.roamSecond >= 1000) {
      this.roamSecond = now
      this.roamTrials = 0
    }
    for (const conn of this.byReal.values()) {
      if (conn.state !== 'established') continue
      if (this.roamTrials++ >= MAX_ROAM_TRIALS) return
      const heardBefore = conn.lastReceivedAt
      if (conn.receiveData(packet)) return staysDirect(conn, from, heardBefore, now) ? undefined : this.readdress(conn, from)
    }
  }

  private readdress(conn: CryptoConnection, from: Address): void {
    if (addrKey(conn.address) === addrKey(from)) return
    if (this.byAddress.get(addrKey(conn.address)) === conn) this.byAddress.delete(addrKey(conn.address))
    conn.address = from
    this.byAddress.set(addrKey(from), conn)
    conn.emit('readdressed', from)
  }

  /** The peer `realPk` answered by UDP at `address`: a connection on a relay moves there if it can (./direct-path.ts). */
  tryDirect(realPk: Uint8Array, address: Address): void {
    const conn = this.byReal.get(hex(realPk))
    if (conn) offerDirect(conn, address, this.now())
  }

  private lastPathCheck = -Infinity

  private tick(): void {
    const now = this.now()
    const relayPath = this.options.relayPath
    if (relayPath && now - this.lastPathCheck >= PATH_CHECK_MS) {
      this.lastPathCheck = now
      for (const conn of this.byReal.values()) {
        const to = conn.established ? keepPath(conn, now, relayPath) : undefined
        if (to) this.readdress(conn, to)
      }
    }
    for (const conn of this.byReal.values()) {
      if (conn.pending && conn.state !== 'established' && now - conn.pending.sentAt >= RESEND_MS) {
        if (conn.pending.tries >= MAX_TRIES) {
          conn.close('no answer to the handshake')
          continue
        }
        conn.pending.tries++
        conn.pending.sentAt = now
        this.options.link.send(conn.pending.packet, conn.address)
      }
      conn.tick()
    }
  }

  close(): void {
    clearInterval(this.timer)
    for (const conn of [...this.byReal.values()]) conn.kill('node closed', true)
  }
}
