/**
 * The TCP relays a node keeps, as c-toxcore's TCP_connection does: every relay it was given
 * or told of (configured, a friend's DHT-PK or share-relays packet) is connected in the
 * background and, whenever its connection fails or drops, connected again with back-off
 * (1 s doubling to a minute; at most 15 s while no relay is up) for as long as the node runs — so a node never waits on an
 * unreachable relay, and an outage of the uplink ends with the node back on its relays. Every
 * DHT key routed once is routed again on each relay connection (a relay forgets routes with
 * the connection).
 * @module
 */
import type { BoxKeyPair } from '../crypto/box.js'
import { keyHex } from '../dht/routing-table.js'
import { TcpRelayClient, type RelayAddress } from './tcp-relay.js'

const RETRY_FIRST_MS = 1000
const RETRY_MAX_MS = 60_000
/** The back-off's cap while no relay at all is up: a node back from an outage is back soon. */
const RETRY_MAX_ALONE_MS = 15_000
/** Relays kept at most (configured ones first; others only while there is room). */
const MAX_RELAYS = 8

interface Kept {
  address: RelayAddress
  client?: TcpRelayClient
  connecting?: Promise<TcpRelayClient>
  retryMs: number
  timer?: NodeJS.Timeout
}

export interface RelayPoolContext {
  dhtKeys: BoxKeyPair
  /** A relay connection is up (take in what it delivers). */
  up(client: TcpRelayClient): void
  /** Connects to a relay (TcpRelayClient.connect by default; tests may shorten the wait). */
  connect?: (relay: RelayAddress, dhtKeys: BoxKeyPair) => Promise<TcpRelayClient>
}

export class RelayPool {
  private readonly kept = new Map<string, Kept>()
  private readonly routes = new Map<string, Uint8Array>()
  private closed = false

  constructor(private readonly ctx: RelayPoolContext) {}

  /** Keeps `relay` (connecting now unless it is kept already); resolves with its first connection. */
  keep(relay: RelayAddress): Promise<TcpRelayClient> {
    const key = keyHex(relay.publicKey)
    let k = this.kept.get(key)
    if (!k) {
      if (this.kept.size >= MAX_RELAYS) return Promise.reject(new Error('enough relays kept'))
      k = { address: { host: relay.host, port: relay.port, publicKey: new Uint8Array(relay.publicKey) }, retryMs: RETRY_FIRST_MS }
      this.kept.set(key, k)
    }
    if (k.client && !k.client.closed) return Promise.resolve(k.client)
    return k.connecting ?? this.connect(k)
  }

  /** Relay connections up now. */
  get connected(): TcpRelayClient[] {
    return [...this.kept.values()].flatMap((k) => (k.client && !k.client.closed ? [k.client] : []))
  }

  /** Every relay kept, connected or not. */
  get addresses(): RelayAddress[] {
    return [...this.kept.values()].map((k) => k.address)
  }

  /** Asks every relay (now and after each reconnection) to connect us with DHT key `peerPk`. */
  route(peerPk: Uint8Array): void {
    this.routes.set(keyHex(peerPk), new Uint8Array(peerPk))
    for (const c of this.connected) c.route(peerPk)
  }

  /** Stops routing `peerPk` on new relay connections (a friend gone or with a new DHT key). */
  unroute(peerPk: Uint8Array): void {
    this.routes.delete(keyHex(peerPk))
  }

  close(): void {
    this.closed = true
    for (const k of this.kept.values()) {
      clearTimeout(k.timer)
      k.client?.close('node closed')
    }
  }

  private connect(k: Kept): Promise<TcpRelayClient> {
    clearTimeout(k.timer)
    k.timer = undefined
    const attempt = (this.ctx.connect ?? TcpRelayClient.connect)(k.address, this.ctx.dhtKeys)
    k.connecting = attempt
    attempt.then(
      (client) => {
        k.connecting = undefined
        if (this.closed) return client.close('node closed')
        k.client = client
        k.retryMs = RETRY_FIRST_MS
        client.on('closed', () => this.later(k))
        this.ctx.up(client)
        for (const pk of this.routes.values()) client.route(pk)
      },
      () => {
        k.connecting = undefined
        this.later(k)
      },
    )
    return attempt
  }

  /** Connects again after the back-off (doubling up to a minute). */
  private later(k: Kept): void {
    if (this.closed || k.timer) return
    const wait = Math.min(k.retryMs, this.connected.length === 0 ? RETRY_MAX_ALONE_MS : RETRY_MAX_MS)
    k.retryMs = Math.min(k.retryMs * 2, RETRY_MAX_MS)
    k.timer = setTimeout(() => void this.connect(k).catch(() => {}), wait)
    k.timer.unref()
  }
}
