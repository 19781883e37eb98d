/**
 * The datagram link a node's layers share: UDP, and TCP relays for peers UDP cannot reach.
 * A peer behind a relay has the pseudo-address `tcp:<its DHT key>` (port 0), so net_crypto
 * keeps one code path; what a relay delivers is dispatched as if it came in by UDP. With
 * UDP off, nothing is ever sent by UDP.
 * @module
 */
import { isLanAddress } from '../dht/lan-discovery.js'
import { keyHex } from '../dht/routing-table.js'
import type { TcpRelayClient } from './tcp-relay.js'
import type { Address, PacketHandler, UdpEndpoint } from './udp.js'

const TCP_PREFIX = 'tcp:'

export function relayAddress(peerDhtPk: Uint8Array): Address {
  return { host: `${TCP_PREFIX}${keyHex(peerDhtPk)}`, port: 0 }
}

/** Whether `address` is a peer behind a TCP relay (a pseudo-address), not a UDP one. */
export function isRelayAddress(address: Address): boolean {
  return address.host.startsWith(TCP_PREFIX)
}

/** How a peer is reached: UDP on a local network, UDP across the Internet, or a TCP relay. */
export type PathKind = 'udp-lan' | 'udp-direct' | 'tcp-relay'

/** The kind of path a connection at `address` takes. */
export function pathOf(address: Address): PathKind {
  if (isRelayAddress(address)) return 'tcp-relay'
  return isLanAddress(address.host) ? 'udp-lan' : 'udp-direct'
}

export class NodeLink {
  readonly relays: TcpRelayClient[] = []
  /** Takers of packets for addresses that are not on the network (a relay server's clients). */
  private readonly sinks: Array<(packet: Uint8Array, to: Address) => boolean> = []

  constructor(
    readonly udp: UdpEndpoint,
    readonly udpEnabled: boolean,
  ) {}

  on(kind: number, handler: PacketHandler): void {
    this.udp.on(kind, handler)
  }

  send(packet: Uint8Array, to: Address): void {
    for (const sink of this.sinks) if (sink(packet, to)) return
    if (isRelayAddress(to)) {
      const pk = Buffer.from(to.host.slice(TCP_PREFIX.length), 'hex')
      for (const relay of this.relays) if (relay.send(pk, packet)) return
      return
    }
    if (this.udpEnabled) this.udp.send(packet, to)
  }

  /** `sink` takes the packets it returns true for, before anything is sent. */
  addSink(sink: (packet: Uint8Array, to: Address) => boolean): void {
    this.sinks.push(sink)
  }

  /** Takes in what a relay delivers: peers' packets, and onion responses. */
  addRelay(relay: TcpRelayClient): void {
    this.relays.push(relay)
    relay.on('data', (pk, packet) => this.udp.dispatch(Buffer.from(packet), relayAddress(pk)))
    relay.on('onion', (packet) => this.udp.dispatch(Buffer.from(packet), { host: relay.relay.host, port: relay.relay.port }))
    relay.on('closed', () => this.relays.splice(this.relays.indexOf(relay), 1))
  }
}
