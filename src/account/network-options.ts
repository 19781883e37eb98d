/**
 * How an account joins the network: the nodes to bootstrap from, the address to bind, TCP
 * relays to keep, LAN discovery, and serving as a relay (Account.start).
 * @module
 */
import type { RelayAddress } from '../transport/tcp-relay.js'

/** A Tox node to join the network through: its address and DHT key (hex or bytes). */
export interface BootstrapNode {
  host: string
  port: number
  publicKey: string | Uint8Array
  /** TCP ports where it is also a relay (a tox-bootstrapd's tcp_relay_ports): kept as TCP relays. */
  tcpPorts?: number[]
}

/** How an Account joins the network (Account.start). */
export interface NetworkOptions {
  bootstrap?: BootstrapNode[]
  /**
   * Address to bind: 127.0.0.1 by default (nothing leaves the machine), `'0.0.0.0'` or `'::'`
   * for every interface. Port: any free one by default (with lanDiscovery, the first free
   * one of 33445–33545, where LAN peers look).
   */
  host?: string
  port?: number
  /** TCP relays to keep (connected in the background, again whenever they drop). */
  tcpRelays?: RelayAddress[]
  /** Find and be found by Tox nodes on the local networks (default false; see ToxNodeOptions.lanDiscovery). */
  lanDiscovery?: boolean
  /** Also serve c-toxcore's TCP relay protocol on this TCP port (see ToxNodeOptions.relayPort). */
  relayPort?: number
}
