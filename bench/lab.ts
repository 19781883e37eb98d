/**
 * The network lab section of `npm run bench` (needs root, iproute2, nftables, c-toxcore's
 * test peer and tox-bootstrapd; skipped with a message without them): from start to the first
 * message between two devices on one LAN with no bootstrap node, found by LAN discovery —
 * gitswarm accounts (`gitswarm node --lan` processes) next to two c-toxcore peers with local
 * discovery on, in the same lab run; and c-toxcore and gitswarm finding each other there.
 * @module
 */
import { Bootstrapd, cPeerUnavailable } from './c-peer.js'
import { labUnavailable } from '../test/net/lab.js'
import { cToxcoreLanPair, cToxcoreOnLan, lanCold, type ScenarioResult } from '../test/net/scenarios.js'
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

export async function benchLab(options: { runs: number }): Promise<Figure[]> {
  const missing = labUnavailable() ?? cPeerUnavailable() ?? Bootstrapd.unavailable()
  if (missing) {
    console.log(`network lab skipped: ${missing}`)
    return [{ what: 'network lab', value: 'skipped', target: '', met: undefined, note: missing }]
  }
  const runs = options.runs
  const ours = await repeat(runs, lanCold)
  // Once, bounded: in our lab two c-toxcore peers alone on a LAN never connected (150 s tried).
  const theirs = await repeat(1, () => cToxcoreLanPair(0, 30_000))
  const mixed = await repeat(runs, cToxcoreOnLan)
  const cell = (r: { figures: Map<string, number[]>; failures: string[] }, key: string) => {
    const v = r.figures.get(key)
    const times = v ? `median ${s(median(v))}, worst ${s(Math.max(...v))}` : 'never'
    return `${times} (${v?.length ?? 0}/${v ? v.length + r.failures.length : r.failures.length} runs)`
  }
  const failed = (r: { failures: string[] }) => (r.failures.length ? `failed: ${r.failures[0]}` : '')
  return [
    { what: 'LAN, no bootstrap node: start → first message, gitswarm accounts', value: cell(ours, 'start → first message'), target: 'faster than c-toxcore', met: ours.figures.has('start → first message') && (!theirs.figures.has('start → first message') || median(ours.figures.get('start → first message')!) < median(theirs.figures.get('start → first message')!)), note: failed(ours) || 'processes started, contacts by Tox ID, their one-to-one conversation, a message' },
    { what: '  of which: nodes up → first message', value: cell(ours, 'nodes up → first message'), target: '≤ 1 s (DESIGN)', met: ours.figures.has('nodes up → first message') ? median(ours.figures.get('nodes up → first message')!) <= 1000 : false, note: '' },
    { what: '  the same, two c-toxcore 0.2.18 peers (local discovery on)', value: cell(theirs, 'start → first message'), target: '', met: undefined, note: failed(theirs) },
    { what: 'LAN: c-toxcore → gitswarm friend online, from start', value: cell(mixed, 'c-toxcore → gitswarm online (from start)'), target: '', met: undefined, note: failed(mixed) },
    { what: 'LAN: gitswarm → c-toxcore friend online', value: cell(mixed, 'gitswarm → c-toxcore online'), target: '', met: undefined, note: '' },
  ]
}
