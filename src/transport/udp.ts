/**
 * A UDP socket that hands each datagram to the handler registered for its first byte (the
 * Tox packet kind); unknown kinds are dropped, as c-toxcore drops them.
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { isIPv4 } from 'node:net'

import type { Address, PacketHandler } from '../dht/datagram.js'

export type { Address, PacketHandler } from '../dht/datagram.js'

/** c-toxcore never builds or accepts larger datagrams. */
export const MAX_UDP_PACKET = 2048
const BUFFER_BYTES = 4 * 1024 * 1024

export class UdpEndpoint {
  private readonly handlers = new Map<number, PacketHandler>()
  private closed = false
  /** Datagrams dropped because no handler knew their kind, or they were oversized. */
  dropped = 0
  /** Datagrams that reached a handler. */
  received = 0

  private constructor(
    private readonly socket: Socket,
    readonly address: Address,
  ) {
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.dispatch(msg, { host: rinfo.address, port: rinfo.port }))
    socket.on('error', () => {
      // ICMP errors (a peer gone) surface here on some systems: the packet is simply lost.
    })
  }

  /** Binds to `host:port` (default 127.0.0.1, any free port). */
  static bind(options: { host?: string; port?: number } = {}): Promise<UdpEndpoint> {
    const host = options.host ?? '127.0.0.1'
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' })
    return new Promise((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(options.port ?? 0, host, () => {
        socket.off('error', reject)
        // Bursts of 1.4 KB packets overflow the default 208 KB buffers long before the CPU is busy.
        for (const set of [(n: number) => socket.setRecvBufferSize(n), (n: number) => socket.setSendBufferSize(n)]) {
          try {
            set(BUFFER_BYTES)
          } catch {
            // capped by the system (net.core.rmem_max): keep what we have
          }
        }
        const a = socket.address()
        resolve(new UdpEndpoint(socket, { host: a.address, port: a.port }))
      })
    })
  }

  /**
   * Binds the first free port of `from`..`to` on `host`, as c-toxcore does in its port range
   * (LAN discovery only reaches nodes there); any free port when all are taken.
   */
  static async bindInRange(host: string, from: number, to: number): Promise<UdpEndpoint> {
    for (let port = from; port <= to; port++) {
      try {
        return await UdpEndpoint.bind({ host, port })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
      }
    }
    return UdpEndpoint.bind({ host })
  }

  /** Lets the socket send to broadcast addresses (SO_BROADCAST), for LAN discovery. */
  enableBroadcast(): void {
    this.socket.setBroadcast(true)
  }

  on(kind: number, handler: PacketHandler): void {
    this.handlers.set(kind, handler)
  }

  dispatch(packet: Buffer, from: Address): void {
    const handler = this.handlers.get(packet[0]!)
    if (!handler || packet.length > MAX_UDP_PACKET) {
      this.dropped++
      return
    }
    this.received++
    try {
      handler(packet, from)
    } catch {
      // A datagram no parser should have let through (e.g. a low-order key that X25519
      // refuses): drop it rather than let a stranger's packet end the process.
      this.failed++
    }
  }

  /** Datagrams whose handler threw (dropped); zero unless a parser has a gap. */
  failed = 0

  private sending = 0
  private flushed: (() => void) | undefined

  send(packet: Uint8Array, to: Address): void {
    if (this.closed) return
    this.sending++
    // A dual-stack (::) socket reaches IPv4 peers by their mapped address.
    const host = this.address.host.includes(':') && isIPv4(to.host) ? `::ffff:${to.host}` : to.host
    this.socket.send(packet, to.port, host, () => {
      if (--this.sending === 0) this.flushed?.()
    })
  }

  /**
   * Closes the socket once the datagrams already handed to it are out (at most 200 ms):
   * closing at once would drop them — among them the kill packets that tell peers we left.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.sending > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200)
        this.flushed = () => (clearTimeout(timer), resolve())
      })
    }
    await new Promise<void>((resolve) => this.socket.close(() => resolve()))
  }
}
