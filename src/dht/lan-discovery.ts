/**
 * LAN discovery, as c-toxcore does it (reference tox-protocol.md §3.8): a 33-byte packet
 * `[0x21][sender DHT key]` broadcast to every IPv4 interface's broadcast address and to
 * 255.255.255.255 (ff02::1 on each IPv6 interface when the socket is IPv6), on the default
 * Tox port 33445 and a window of ten ports of 33446–33545 that moves on each round — c-toxcore
 * binds the first free port of that range, so that is where LAN peers listen. A received one
 * from a LAN address is answered as c-toxcore's `dht_bootstrap`: a nodes request to the
 * sender, which enters our DHT only once it answers (the packet itself proves nothing).
 *
 * Rounds: at start and whenever the set of interface addresses changes, the whole range at
 * once (a peer is found in one round trip, not after ten rounds); then every 2 s while we
 * know no DHT node at all, or for the first 30 s after a change, and every 10 s otherwise
 * (c-toxcore's LAN_DISCOVERY_INTERVAL).
 * @module
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import type { Address, DatagramLink } from './datagram.js'
import { PACKET } from './packets.js'

export const LAN_DISCOVERY_PACKET_SIZE = 33
/** c-toxcore's TOX_PORT_DEFAULT / TOX_PORTRANGE_FROM and TOX_PORTRANGE_TO. */
export const TOX_PORT_DEFAULT = 33445
export const TOX_PORT_RANGE_END = 33545
/** c-toxcore's PORTS_PER_DISCOVERY and LAN_DISCOVERY_INTERVAL. */
const PORTS_PER_ROUND = 10
export const LAN_DISCOVERY_INTERVAL_MS = 10_000
const QUICK_INTERVAL_MS = 2000
const QUICK_PERIOD_MS = 30_000

/** The packet that says "a Tox node with this DHT key is here". */
export function lanDiscoveryPacket(dhtPublicKey: Uint8Array): Uint8Array {
  const packet = new Uint8Array(LAN_DISCOVERY_PACKET_SIZE)
  packet[0] = PACKET.lanDiscovery
  packet.set(dhtPublicKey, 1)
  return packet
}

/** The sender's DHT key of a LAN discovery packet; undefined unless exactly 33 bytes of kind 0x21. */
export function parseLanDiscovery(packet: Uint8Array): Uint8Array | undefined {
  if (packet.length !== LAN_DISCOVERY_PACKET_SIZE || packet[0] !== PACKET.lanDiscovery) return undefined
  return new Uint8Array(packet.subarray(1))
}

function ipv4Octets(host: string): number[] | undefined {
  const m = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(host)
  if (!m) return undefined
  const octets = m.slice(1).map(Number)
  return octets.every((o) => o <= 255) ? octets : undefined
}

/**
 * Whether an address is on a local network, as c-toxcore's `ip_is_lan`: loopback, 10/8,
 * 172.16/12, 192.168/16, 169.254/16, 100.64/10 (carrier-grade NAT); IPv6 loopback,
 * link-local fe80::/10 and unique-local fc00::/7. Others' LAN discovery packets count only
 * from these, and a peer reached at one is on our LAN.
 */
export function isLanAddress(host: string): boolean {
  const v4 = ipv4Octets(host)
  if (v4) {
    const [a, b] = v4 as [number, number]
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)
  }
  const h = host.toLowerCase().replace(/%.*$/, '')
  return h === '::1' || isLinkLocal(h) || /^f[cd][0-9a-f]{0,2}:/.test(h)
}

/** Whether `host` is an IPv6 link-local address (fe80::/10), meaningful only with its interface. */
function isLinkLocal(host: string): boolean {
  return /^fe[89ab][0-9a-f]?:/i.test(host)
}

/** An interface's IPv4 broadcast address: its address with every host bit set. */
function broadcastOf(info: NetworkInterfaceInfo): string | undefined {
  const address = ipv4Octets(info.address)
  const mask = ipv4Octets(info.netmask)
  if (!address || !mask) return undefined
  return address.map((o, i) => (o | (~mask[i]! & 0xff)) & 0xff).join('.')
}

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>

/**
 * Where a LAN discovery round goes from a socket of this family: the broadcast address of
 * every non-loopback IPv4 interface and 255.255.255.255; for IPv6, ff02::1 scoped to each
 * interface with an IPv6 address (a multicast address means nothing without its interface).
 */
export function discoveryTargets(family: 'IPv4' | 'IPv6', interfaces: InterfaceTable = networkInterfaces()): string[] {
  const targets = new Set<string>()
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue
      if (info.family === 'IPv4') {
        const b = broadcastOf(info)
        // A /32 (or /31) point-to-point link has no broadcast address of its own.
        if (b && b !== info.address) targets.add(family === 'IPv4' ? b : `::ffff:${b}`)
      } else if (family === 'IPv6') targets.add(`ff02::1%${name}`)
    }
  }
  targets.add(family === 'IPv4' ? '255.255.255.255' : '::ffff:255.255.255.255')
  return [...targets]
}

/** A signature of the interfaces' addresses: a change means a new network, so a new round. */
function interfaceSignature(interfaces: InterfaceTable): string {
  return Object.entries(interfaces)
    .flatMap(([name, infos]) => (infos ?? []).filter((i) => !i.internal).map((i) => `${name}/${i.address}/${i.netmask}`))
    .sort()
    .join(',')
}

export interface LanDiscoveryContext {
  link: DatagramLink
  /** Our DHT key (what the packet carries). */
  publicKey: Uint8Array
  /** The socket's family: IPv6 sockets also multicast to ff02::1. */
  family: 'IPv4' | 'IPv6'
  /** Whether we know any DHT node (quick rounds while we know none). */
  connected: () => boolean
  /** c-toxcore's dht_bootstrap: a nodes request for our key to the sender. */
  bootstrap: (node: Address & { publicKey: Uint8Array }) => void
  now?: () => number
  /** The interface table (os.networkInterfaces by default; a test gives its own). */
  interfaces?: () => InterfaceTable
}

/** Sends LAN discovery rounds and answers those of others. */
export class LanDiscovery {
  private readonly now: () => number
  private readonly interfaces: () => InterfaceTable
  private signature: string | undefined
  private lastRound = -Infinity
  private changedAt = -Infinity
  private nextPort = TOX_PORT_DEFAULT + 1
  /** Rounds sent, and discovery packets from others that we answered. */
  rounds = 0
  answered = 0

  constructor(private readonly ctx: LanDiscoveryContext) {
    this.now = ctx.now ?? (() => performance.now())
    this.interfaces = ctx.interfaces ?? networkInterfaces
    ctx.link.on(PACKET.lanDiscovery, (packet, from) => this.receive(packet, from))
  }

  /** A LAN discovery packet from `from`: answered with a nodes request when it comes from the LAN and is not ours. */
  receive(packet: Uint8Array, from: Address): void {
    const sender = parseLanDiscovery(packet)
    if (!sender || !isLanAddress(from.host) || Buffer.from(sender).equals(this.ctx.publicKey)) return
    this.answered++
    this.ctx.bootstrap({ host: from.host, port: from.port, publicKey: sender })
  }

  /** Sends a round when one is due (called from the node's tick). */
  tick(): void {
    const now = this.now()
    const table = this.interfaces()
    const signature = interfaceSignature(table)
    if (signature !== this.signature) {
      this.signature = signature
      this.changedAt = now
      return this.round(table, true)
    }
    const quick = !this.ctx.connected() || now - this.changedAt < QUICK_PERIOD_MS
    if (now - this.lastRound >= (quick ? QUICK_INTERVAL_MS : LAN_DISCOVERY_INTERVAL_MS)) this.round(table, false)
  }

  private round(table: InterfaceTable, wholeRange: boolean): void {
    this.lastRound = this.now()
    this.rounds++
    const ports = [TOX_PORT_DEFAULT]
    if (wholeRange) for (let p = TOX_PORT_DEFAULT + 1; p <= TOX_PORT_RANGE_END; p++) ports.push(p)
    else {
      const last = Math.min(this.nextPort + PORTS_PER_ROUND, TOX_PORT_RANGE_END)
      for (let p = this.nextPort; p < last; p++) ports.push(p)
      this.nextPort = last >= TOX_PORT_RANGE_END ? TOX_PORT_DEFAULT + 1 : last
    }
    const packet = lanDiscoveryPacket(this.ctx.publicKey)
    for (const host of discoveryTargets(this.ctx.family, table)) for (const port of ports) this.ctx.link.send(packet, { host, port })
  }
}

/**
 * A node named in a packet from `from`: an IPv6 link-local address travels without its
 * interface (the packed format has no room for it), and means nothing without one — it is on
 * the link the packet came in on, so it takes that one's scope.
 */
export function scopedLike<T extends Address>(node: T, from: Address): T {
  const scope = /%[^%]+$/.exec(from.host)?.[0]
  if (!scope || node.host.includes('%') || !isLinkLocal(node.host)) return node
  return { ...node, host: node.host + scope }
}
