/**
 * Issue #6 figures: connect times on a real Tox network on loopback (tox-bootstrapd with its
 * TCP relay, the c-toxcore test peer, gitswarm nodes bootstrapped only from the daemon) —
 * (a) c-toxcore → gitswarm friend request, (b) gitswarm → c-toxcore, (c) gitswarm ↔ gitswarm,
 * (d) gitswarm without UDP ↔ gitswarm through the relay — next to c-toxcore ↔ c-toxcore
 * (two instances befriending each other after one bootstrap), and the DHT simulation.
 * @module
 */
import { ToxNode, type ToxNodeOptions } from '../src/transport/tox-node.js'
import { Bootstrapd, CPeer, cPeerUnavailable } from './c-peer.js'
import { simulateDht, simulationFigures } from './dht-simulation.js'
import type { Figure } from './util.js'

const LIMIT_MS = 60_000

function within<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${LIMIT_MS / 1000} s`)), LIMIT_MS))])
}

async function onNetwork<T>(port: number, run: (bsd: Bootstrapd, start: (o?: ToxNodeOptions) => Promise<ToxNode>) => Promise<T>): Promise<T> {
  const bsd = await Bootstrapd.start(port, port + 1)
  const nodes: ToxNode[] = []
  const start = async (o: ToxNodeOptions = {}) => {
    const n = await ToxNode.start({ host: '127.0.0.1', ...o })
    nodes.push(n)
    n.bootstrap({ host: '127.0.0.1', port: bsd.port }, Buffer.from(bsd.dhtPk, 'hex'))
    return n
  }
  try {
    return await run(bsd, start)
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
    await bsd.stop()
  }
}

async function cPeer(bsd: Bootstrapd): Promise<CPeer> {
  const c = await CPeer.start('peer', 120)
  c.send(`bootstrap ${bsd.port} ${bsd.dhtPk}`)
  return c
}

/** Milliseconds from the friend request to both sides online, for (a)–(d). */
export async function toxNetworkTimes(): Promise<Record<'a' | 'b' | 'c' | 'd', number>> {
  const a = await onNetwork(34100, async (bsd, start) => {
    const c = await cPeer(bsd)
    try {
      const n = await start()
      n.on('friendRequest', (pk) => n.acceptFriendRequest(pk))
      const t = performance.now()
      const online = new Promise((r) => n.once('friendOnline', r))
      c.send(`add ${n.toxId()} benchmark`)
      await within(online, '(a)')
      return performance.now() - t
    } finally {
      await c.stop()
    }
  })
  const b = await onNetwork(34110, async (bsd, start) => {
    const c = await cPeer(bsd)
    try {
      c.send('autoaccept on')
      const n = await start()
      const t = performance.now()
      const online = new Promise((r) => n.once('friendOnline', r))
      n.addFriendByToxId(c.toxId, 'benchmark')
      await within(online, '(b)')
      return performance.now() - t
    } finally {
      await c.stop()
    }
  })
  const pair = (port: number, xOptions: ToxNodeOptions) =>
    onNetwork(port, async (bsd, start) => {
      const relay = { host: '127.0.0.1', port: bsd.tcpPort, publicKey: Buffer.from(bsd.dhtPk, 'hex') }
      const x = await start(xOptions.udp === false ? { ...xOptions, tcpRelays: [relay] } : xOptions)
      const y = await start()
      y.on('friendRequest', (pk) => y.acceptFriendRequest(pk))
      const t = performance.now()
      const online = new Promise((r) => x.once('friendOnline', r))
      x.addFriendByToxId(y.toxId(), 'benchmark')
      await within(online, xOptions.udp === false ? '(d)' : '(c)')
      return performance.now() - t
    })
  return { a, b, c: await pair(34120, {}), d: await pair(34130, { udp: false }) }
}

/** c-toxcore ↔ c-toxcore: two instances in one process, friends, one bootstrapped from the other. */
async function cToxcoreConnect(): Promise<number> {
  const peer = await CPeer.start('bench', 1)
  try {
    return Number((await peer.waitFor(/^CONNECTED /, LIMIT_MS)).split(' ')[1])
  } finally {
    await peer.stop()
  }
}

export async function benchToxNetwork(options: { simulationNodes: number; lookups: number }): Promise<Figure[]> {
  const figures: Figure[] = []
  const missing = cPeerUnavailable() ?? Bootstrapd.unavailable()
  if (missing) figures.push({ what: 'connect times on a real Tox network', value: 'not measured', target: '', met: undefined, note: missing })
  else {
    const times = await toxNetworkTimes()
    const reference = await cToxcoreConnect()
    const row = (key: 'a' | 'b' | 'c' | 'd', what: string): Figure => ({
      what,
      value: `${(times[key] / 1000).toFixed(2)} s`,
      target: key === 'c' || key === 'd' ? '≪ c-toxcore' : '',
      met: key === 'c' || key === 'd' ? times[key] < reference / 2 : undefined,
      note: `c-toxcore ↔ c-toxcore ${(reference / 1000).toFixed(1)} s: ${(reference / times[key]).toFixed(1)}x`,
    })
    figures.push(
      row('a', '(a) c-toxcore → gitswarm friend request, to online'),
      row('b', '(b) gitswarm → c-toxcore friend request, to online'),
      row('c', '(c) gitswarm ↔ gitswarm via tox-bootstrapd, to online'),
      row('d', '(d) gitswarm (no UDP) ↔ gitswarm via the TCP relay'),
    )
  }
  const sim = await simulateDht({ nodes: options.simulationNodes, churn: 0.2, lookups: options.lookups })
  figures.push(...simulationFigures(sim, `${options.simulationNodes.toLocaleString('en')} nodes, 20 % churn`))
  return figures
}
