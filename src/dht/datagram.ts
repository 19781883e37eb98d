/**
 * What every layer that sends datagrams needs: an address, and a link that sends packets
 * and dispatches received ones by their first byte. UDP, TCP relays and the simulated
 * network all provide it.
 * @module
 */

export interface Address {
  host: string
  port: number
}

export type PacketHandler = (packet: Buffer, from: Address) => void

export interface DatagramLink {
  send(packet: Uint8Array, to: Address): void
  /** Handles received packets whose first byte is `kind`. */
  on(kind: number, handler: PacketHandler): void
}
