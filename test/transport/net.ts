/**
 * Test helpers for the transport: pairs of real gitswarm Tox nodes on 127.0.0.1, and waiting
 * on conditions with a bound in time.
 * @module
 */
import { afterEach } from 'vitest'
import { ToxNode, type ToxNodeOptions } from '../../src/transport/tox-node.js'
import type { Friend } from '../../src/transport/messenger.js'
import { until } from '../until.js'

export { until }

const started: ToxNode[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.close()))
})

/** A node on 127.0.0.1, closed after the test. */
export async function node(options: ToxNodeOptions = {}): Promise<ToxNode> {
  const n = await ToxNode.start({ host: '127.0.0.1', ...options })
  started.push(n)
  return n
}

/** Two nodes that are friends, `a` connected to `b`; both sides ONLINE. */
export async function connectedPair(options: { a?: ToxNodeOptions; b?: ToxNodeOptions } = {}): Promise<{ a: ToxNode; b: ToxNode; ab: Friend; ba: Friend }> {
  const a = await node(options.a)
  const b = await node(options.b)
  b.addFriend(a.publicKey)
  const online = b.waitOnline(a.publicKey, 5000)
  const ab = await a.connect(b.publicKey, b.dhtPublicKey, b.address, 5000)
  return { a, b, ab, ba: await online }
}

/** A custom packet `[id][seq u32 BE][filler]` of `size` bytes. */
export function numbered(id: number, seq: number, size: number): Buffer {
  const b = Buffer.alloc(Math.max(size, 5), seq & 0xff)
  b[0] = id
  b.writeUInt32BE(seq, 1)
  return b
}
