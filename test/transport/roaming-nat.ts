/**
 * A UDP "NAT" on loopback for the roaming tests: node B sends to its inside socket, and it
 * forwards to node A from an outside socket (A's replies go back the same way). rebind()
 * swaps the outside socket for a new one — a new port, as a restarted home router gives —
 * and drops the old mapping.
 * @module
 */
import { createSocket, type Socket } from 'node:dgram'
import type { Friend } from '../../src/transport/messenger.js'
import type { ToxNode } from '../../src/transport/tox-node.js'
import { node } from './net.js'

async function bound(sockets: Socket[]): Promise<Socket> {
  const s = createSocket('udp4')
  sockets.push(s)
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  return s
}

export interface LoopbackNat {
  /** A's port (where the outside socket sends). */
  aPort: number
  outsidePort(): number
  rebind(): Promise<void>
  /** Resolves with the next data packet (0x1b) from B, after forwarding it. */
  capture(): Promise<Buffer>
}

/** Two nodes, B connected to A through the NAT; both ONLINE. Sockets go into `sockets` (closed by the caller). */
export async function connectedPairVia(sockets: Socket[]): Promise<{ a: ToxNode; b: ToxNode; ab: Friend; ba: Friend; nat: LoopbackNat }> {
  const a = await node()
  const b = await node()
  const inside = await bound(sockets)
  let outside = await bound(sockets)
  let bPort = 0
  let waiting: ((p: Buffer) => void) | undefined
  const fromA = (msg: Buffer) => bPort && inside.send(msg, bPort, '127.0.0.1')
  outside.on('message', fromA)
  inside.on('message', (msg, rinfo) => {
    bPort = rinfo.port
    outside.send(msg, a.address.port, '127.0.0.1')
    if (msg[0] === 0x1b && waiting) {
      const w = waiting
      waiting = undefined
      w(msg)
    }
  })
  const nat: LoopbackNat = {
    aPort: a.address.port,
    outsidePort: () => outside.address().port,
    async rebind() {
      const old = outside
      outside = await bound(sockets)
      outside.on('message', fromA)
      old.removeAllListeners('message')
    },
    capture: () => new Promise((r) => (waiting = r)),
  }
  a.addFriend(b.publicKey)
  const online = a.waitOnline(b.publicKey, 5000)
  const ba = await b.connect(a.publicKey, a.dhtPublicKey, { host: '127.0.0.1', port: inside.address().port }, 5000)
  return { a, b, ab: await online, ba, nat }
}
