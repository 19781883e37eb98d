/**
 * The network lab section of `npm run bench` (needs root, iproute2, nftables, c-toxcore's
 * test peer and tox-bootstrapd; skipped with a message without them): from start to the first
 * message between two devices on one LAN with no bootstrap node, found by LAN discovery —
 * gitswarm accounts (`gitswarm node --lan` processes) next to two c-toxcore peers with local
 * discovery on, in the same lab run; and c-toxcore and gitswarm finding each other there.
 * Across the Internet (two homes behind NATs, tox-bootstrapd as bootstrap node and relay):
 * start to the first message, hole punched and through the relay, next to two c-toxcore
 * peers; a file from one holder behind a capped uplink next to c-toxcore's file transfer
 * under the same cap, and from three holders each behind its own.
 * @module
 */
import { Bootstrapd, cPeerUnavailable } from './c-peer.js'
import { labUnavailable } from '../test/net/lab.js'
import { cToxcoreLanPair, cToxcoreOnLan, lanCold, type ScenarioResult } from '../test/net/scenarios.js'
import { acrossNats } from '../test/net/internet.js'
import { cToxcoreFileCapped, cToxcorePairAcrossNats, filesFromCappedHolders } from '../test/net/internet-bench.js'
import type { Figure } from './util.js'

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function repeat(runs: number, run: () => Promise<ScenarioResult>): Promise<{ figures: Map<string, number[]>; failures: string[] }> {
  const figures = new Map<string, number[]>()
  const failures: string[] = []
  for (let i = 0; i < runs; i++) {
    try {
      for (const [k, v] of Object.entries((await run()).figures)) figures.set(k, [...(figures.get(k) ?? []), v])
    } catch (err) {
      failures.push((err as Error).message.split('\n')[0]!.slice(0, 160))
    }
  }
  return { figures, failures }
}

export async function benchLab(options: { runs: number; fileBytes: number }): Promise<Figure[]> {
  const missing = labUnavailable() ?? cPeerUnavailable() ?? Bootstrapd.unavailable()
  if (missing) {
    console.log(`network lab skipped: ${missing}`)
    return [{ what: 'network lab', value: 'skipped', target: '', met: undefined, note: missing }]
  }
  const runs = options.runs
  const ours = await repeat(runs, lanCold)
  // Once, bounded: in our lab two c-toxcore peers alone on a LAN never connected (150 s tried);
  // a quick look (one run a scenario, as the suite's smoke run) gives them 10 s.
  const theirs = await repeat(1, () => cToxcoreLanPair(0, runs > 1 ? 30_000 : 10_000))
  const mixed = await repeat(runs, cToxcoreOnLan)
  const cell = (r: { figures: Map<string, number[]>; failures: string[] }, key: string) => {
    const v = r.figures.get(key)
    const times = v ? `median ${s(median(v))}, worst ${s(Math.max(...v))}` : 'never'
    return `${times} (${v?.length ?? 0}/${v ? v.length + r.failures.length : r.failures.length} runs)`
  }
  const failed = (r: { failures: string[] }) => (r.failures.length ? `failed: ${r.failures[0]}` : '')
  const first = (r: { figures: Map<string, number[]> }) => (r.figures.has('start → first message') ? median(r.figures.get('start → first message')!) : undefined)
  const vs = (a: number | undefined, b: number | undefined, what: string) => (a !== undefined && b !== undefined ? `c-toxcore ${s(b)}: ${(b / a).toFixed(1)}x faster` : `c-toxcore: ${what}`)

  // Across the Internet: two homes behind NATs (issue #18).
  const natsOurs = await repeat(runs, () => acrossNats('preserve'))
  const natsTheirs = await repeat(runs, () => cToxcorePairAcrossNats('preserve'))
  const relayOurs = await repeat(runs, () => acrossNats('random'))
  const relayTheirs = await repeat(runs, () => cToxcorePairAcrossNats('random'))
  const mbit = 20
  const capRate = (mbit * 1e6) / 8
  const files = await repeat(1, () => filesFromCappedHolders(options.fileBytes, mbit))
  const cFile = await repeat(1, () => cToxcoreFileCapped(options.fileBytes, mbit))
  const mib = `${(options.fileBytes / 2 ** 20).toFixed(0)} MiB`
  const rate = (r: { figures: Map<string, number[]> }, k: string) => (r.figures.has(k) ? options.fileBytes / (median(r.figures.get(k)!) / 1000) : undefined)
  const one = rate(files, 'one holder')
  const three = rate(files, 'three holders')
  const cOne = rate(cFile, 'one holder')
  const mbs = (x: number | undefined) => (x === undefined ? 'never' : `${(x / 1e6).toFixed(2)} MB/s (${(x / capRate).toFixed(2)}x the cap)`)
  const internet: Figure[] = [
    { what: 'two homes behind port-preserving NATs: start → first message (hole punched)', value: cell(natsOurs, 'start → first message'), target: '≤ 3 s', met: (first(natsOurs) ?? Infinity) <= 3000, note: failed(natsOurs) || vs(first(natsOurs), first(natsTheirs), failed(natsTheirs) || 'never') },
    { what: 'two homes behind symmetric NATs: start → first message (TCP relay)', value: cell(relayOurs, 'start → first message'), target: 'faster than c-toxcore', met: first(relayOurs) !== undefined && first(relayOurs)! < (first(relayTheirs) ?? Infinity), note: failed(relayOurs) || vs(first(relayOurs), first(relayTheirs), failed(relayTheirs) || 'never') },
    { what: `${mib} file, one holder behind a ${mbit} Mbit/s uplink`, value: mbs(one), target: '≥ 0.9x the cap', met: one !== undefined && one >= 0.9 * capRate, note: failed(files) || `c-toxcore file transfer under the same cap: ${cOne === undefined ? failed(cFile) || 'never' : mbs(cOne)}` },
    { what: `${mib} file, three holders, each behind its own ${mbit} Mbit/s uplink`, value: mbs(three), target: '≥ 2.5x one holder', met: three !== undefined && one !== undefined && three >= 2.5 * one, note: three !== undefined && one !== undefined ? `${(three / one).toFixed(2)}x one holder` : failed(files) },
  ]
  return [
    { what: 'LAN, no bootstrap node: start → first message, gitswarm accounts', value: cell(ours, 'start → first message'), target: 'faster than c-toxcore', met: ours.figures.has('start → first message') && (!theirs.figures.has('start → first message') || median(ours.figures.get('start → first message')!) < median(theirs.figures.get('start → first message')!)), note: failed(ours) || 'processes started, contacts by Tox ID, their one-to-one conversation, a message' },
    { what: '  of which: nodes up → first message', value: cell(ours, 'nodes up → first message'), target: '≤ 1 s (DESIGN)', met: ours.figures.has('nodes up → first message') ? median(ours.figures.get('nodes up → first message')!) <= 1000 : false, note: '' },
    { what: '  the same, two c-toxcore 0.2.18 peers (local discovery on)', value: cell(theirs, 'start → first message'), target: '', met: undefined, note: failed(theirs) },
    { what: 'LAN: c-toxcore → gitswarm friend online, from start', value: cell(mixed, 'c-toxcore → gitswarm online (from start)'), target: '', met: undefined, note: failed(mixed) },
    { what: 'LAN: gitswarm → c-toxcore friend online', value: cell(mixed, 'gitswarm → c-toxcore online'), target: '', met: undefined, note: '' },
    ...internet,
  ]
}
