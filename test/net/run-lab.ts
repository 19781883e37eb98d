/**
 * `npm run lab [-- --runs N] [--only name,name]`: runs the network lab's scenarios N times in
 * a row (10 by default), each in a fresh lab, and prints for each its pass count and the
 * median and worst of every figure. Exits 1 when any run failed. Needs root, iproute2 and
 * nftables (and c-toxcore's peer and tox-bootstrapd), as the lab tests do.
 * @module
 */
import { labUnavailable } from './lab.js'
import * as internet from './internet.js'
import * as scenarios from './scenarios.js'

const SCENARIOS: Record<string, () => Promise<scenarios.ScenarioResult>> = {
  'lan-cold': () => scenarios.lanCold(),
  'lan-ipv6': () => scenarios.lanIpv6(),
  'same-lan-nat': () => scenarios.sameLanBehindNat(),
  'split-merge': () => scenarios.splitAndMerge(),
  'split-merge-loss': () => scenarios.splitAndMerge({ loss: 10 }),
  'c-toxcore-lan': () => scenarios.cToxcoreOnLan(),
  'nat-preserve': () => internet.acrossNats('preserve'),
  'nat-symmetric': () => internet.acrossNats('random'),
  'udp-blocked': () => internet.udpBlocked(),
  'relay-then-direct': () => internet.relayThenDirect(),
  'uplink-outage': () => internet.uplinkOutage(),
  'c-toxcore-nat': () => internet.cToxcoreAcrossNats('preserve'),
  'c-toxcore-relay': () => internet.cToxcoreAcrossNats('random'),
}

const argv = process.argv.slice(2)
const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined)
const runs = Number(value('--runs') ?? 10)
const only = value('--only')?.split(',')
const missing = labUnavailable()
if (missing) {
  console.error(`the network lab cannot run here: ${missing}`)
  process.exit(2)
}
for (const name of only ?? []) if (!SCENARIOS[name]) throw new Error(`no scenario ${name}; there are ${Object.keys(SCENARIOS).join(', ')}`)

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
let failed = 0
for (const [name, run] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue
  const figures = new Map<string, number[]>()
  let passed = 0
  for (let i = 1; i <= runs; i++) {
    const t = performance.now()
    try {
      const r = await run()
      passed++
      for (const [k, v] of Object.entries(r.figures)) figures.set(k, [...(figures.get(k) ?? []), v])
      console.log(`  ${name} run ${i}: passed in ${s(performance.now() - t)}`)
    } catch (err) {
      failed++
      console.log(`  ${name} run ${i}: FAILED after ${s(performance.now() - t)}: ${(err as Error).message}`)
    }
  }
  console.log(`${name}: ${passed}/${runs} passed`)
  for (const [k, v] of figures) console.log(`    ${k}: median ${s(median(v))}, worst ${s(Math.max(...v))}`)
}
process.exit(failed ? 1 : 0)
