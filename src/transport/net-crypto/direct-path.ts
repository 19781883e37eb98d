/**
 * Moving a connection between a TCP relay and direct UDP, as c-toxcore's net_crypto does
 * (reference tox-protocol.md §5.8): a connection on a relay whose peer was found at a UDP
 * address (it answered our DHT ping there, so the path works both ways) probes that address
 * with a packet request — every 500 ms for ten seconds, then every 4 s. The peer takes the
 * first probe that opens as the connection moving (NetCrypto's roaming) and answers there,
 * and its answer moves us: both on UDP within a round trip, the channels on the connection
 * untouched. A connection on UDP that hears nothing for 12 s (Messenger's ALIVE comes every
 * 8 s) while the relay still joins us with the peer goes back to the relay, and keeps
 * probing the address it left.
 * @module
 */
import { isRelayAddress } from '../link.js'
import type { Address } from '../udp.js'
import type { CryptoConnection } from './connection.js'

const PROBE_FAST_MS = 500
const PROBE_FAST_FOR_MS = 10_000
const PROBE_SLOW_MS = 4000
/** Silence on a direct path after which the relay takes over again. */
export const DIRECT_TIMEOUT_MS = 12_000

/** The peer answered at `address` by UDP: if the connection is on a relay, try moving there. */
export function offerDirect(conn: CryptoConnection, address: Address, now: number): void {
  if (!conn.established || isRelayAddress(address) || !isRelayAddress(conn.address)) return
  if (conn.direct && conn.direct.address.host === address.host && conn.direct.address.port === address.port) return
  conn.direct = { address: { host: address.host, port: address.port }, since: now, probedAt: -Infinity }
}

/**
 * One step for an established connection (called from NetCrypto's tick): probe the direct
 * address, or fall back to the relay. Returns the relay address to move to, if it must.
 */
export function keepPath(conn: CryptoConnection, now: number, relayPath: (peerDhtPk: Uint8Array) => Address | undefined): Address | undefined {
  if (isRelayAddress(conn.address)) {
    const d = conn.direct
    if (!d) return undefined
    if (now - d.probedAt >= (now - d.since < PROBE_FAST_FOR_MS ? PROBE_FAST_MS : PROBE_SLOW_MS)) {
      d.probedAt = now
      conn.probe(d.address)
    }
    return undefined
  }
  if (now - conn.lastReceivedAt < DIRECT_TIMEOUT_MS) return undefined
  const relay = relayPath(conn.peerDhtPk)
  if (!relay) return undefined
  conn.direct = { address: conn.address, since: now, probedAt: now }
  return relay
}

/**
 * A packet of the connection came in through a relay while it is on direct UDP: one sent
 * before the peer moved (the relay is slower), or a peer that fell back. The connection
 * stays on UDP while UDP was heard within the timeout; the packet counts either way.
 */
export function staysDirect(conn: CryptoConnection, from: Address, heardBefore: number, now: number): boolean {
  return isRelayAddress(from) && !isRelayAddress(conn.address) && now - heardBefore < DIRECT_TIMEOUT_MS
}
