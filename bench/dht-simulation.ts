/**
 * Issue #6 figures: the real DHT code on an in-process network of simulated hosts (virtual
 * clock, 10–50 ms latency): n nodes join one by one, 20 % leave without a word and as many
 * new ones join; then lookups between random online nodes — success (the target confirmed
 * by its own answer) and hops (rounds of nodes requests), against log2 n.
 * @module
 */
import { Testnet } from '../src/dht/testnet.js'
import { median, type Figure } from './util.js'

export interface SimulationResult {
  nodes: number
  lookups: number
  success: number
  medianHops: number
  maxHops: number
  avgQueried: number
  avgTable: number
  seconds: number
  packets: number
}

export async function simulateDht(options: { nodes: number; churn: number; lookups: number; loss?: number; seed?: number }): Promise<SimulationResult> {
  const t0 = performance.now()
  const net = new Testnet({ seed: options.seed ?? 2026, loss: options.loss ?? 0 })
  const spacing = 5
  net.addNode()
  for (let i = 1; i < options.nodes; i++) {
    net.schedule(i * spacing, () => {
      const node = net.addNode()
      const via = net.nodes[Math.floor(net.random() * (net.nodes.length - 1))]!
      node.dht.bootstrap({ ...via.address, publicKey: via.dht.publicKey })
    })
  }
  net.run(options.nodes * spacing + 60_000)
  const leaving = Math.round(options.nodes * options.churn)
  for (let i = 0; i < leaving; i++) net.pickOnline().online = false
  for (let i = 0; i < leaving; i++) {
    net.schedule(i * spacing, () => {
      const via = net.pickOnline()
      net.addNode().dht.bootstrap({ ...via.address, publicKey: via.dht.publicKey })
    })
  }
  net.run(leaving * spacing + 30_000)
  const results: Array<{ ok: boolean; hops: number; queried: number }> = []
  for (let i = 0; i < options.lookups; i++) {
    const from = net.pickOnline()
    let to = net.pickOnline()
    while (to === from) to = net.pickOnline()
    void from.dht.lookup(to.dht.publicKey).then((r) => results.push({ ok: !!r.found && Buffer.from(r.found.publicKey).equals(to.dht.publicKey), hops: r.hops, queried: r.queried }))
  }
  net.run(120_000)
  await new Promise((r) => setImmediate(r))
  const ok = results.filter((r) => r.ok)
  const online = net.nodes.filter((n) => n.online)
  return {
    nodes: online.length,
    lookups: results.length,
    success: ok.length / Math.max(1, options.lookups),
    medianHops: median(ok.map((r) => r.hops)),
    maxHops: Math.max(...ok.map((r) => r.hops)),
    avgQueried: results.reduce((s, r) => s + r.queried, 0) / Math.max(1, results.length),
    avgTable: online.reduce((s, n) => s + n.dht.table.size, 0) / online.length,
    seconds: (performance.now() - t0) / 1000,
    packets: net.stats.sent,
  }
}

export function simulationFigures(r: SimulationResult, label: string): Figure[] {
  const bound = Math.log2(r.nodes)
  return [
    { what: `lookup success, ${label}`, value: `${(r.success * 100).toFixed(2)} % of ${r.lookups}`, target: '≥ 99 %', met: r.success >= 0.99, note: `${r.nodes} nodes online, tables ${r.avgTable.toFixed(0)} nodes on average, ${r.packets.toLocaleString('en')} packets, ${r.seconds.toFixed(0)} s to simulate` },
    { what: `lookup hops (median / max), ${label}`, value: `${r.medianHops} / ${r.maxHops}`, target: `≤ log2 n = ${bound.toFixed(1)}`, met: r.medianHops <= bound && r.maxHops <= bound, note: `${r.avgQueried.toFixed(1)} nodes asked per lookup` },
  ]
}
