/**
 * The gossip policy: ring links are symmetric and at most 16 per device; a message flooded
 * along them reaches every member in at most log2(n) hops — simulated at 200 members (the
 * benchmark runs 1,000), with loss and offline members too.
 */
import { describe, expect, it } from 'vitest'
import { MAX_NEIGHBOURS, relayTargets, ringNeighbours, ringOffsets } from '../../src/account/gossip.js'
import { simulateGossip } from '../../src/account/gossip-simulation.js'

const ids = (n: number) => Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, '0'))

describe('ring links', () => {
  it('few devices: everyone; many: at most 16, symmetric, deterministic', () => {
    expect(ringNeighbours(ids(5)[0]!, ids(5)).sort()).toEqual(ids(5).slice(1))
    expect(ringNeighbours(ids(17)[3]!, ids(17))).toHaveLength(16)
    for (const n of [18, 50, 200, 1000]) {
      const all = ids(n)
      const links = new Map(all.map((d) => [d, new Set(ringNeighbours(d, all))]))
      for (const [d, l] of links) {
        expect(l.size).toBeLessThanOrEqual(MAX_NEIGHBOURS)
        expect(l.has(d)).toBe(false)
        for (const other of l) expect(links.get(other)!.has(d)).toBe(true)
      }
    }
    expect(ringOffsets(1000)).toEqual([1, 2, 6, 14, 35, 85, 206, 500])
    expect(ringOffsets(40)).toEqual([1, 2, 3, 4, 6, 8, 13, 20])
  })

  it('relay targets skip the source and the devices that announced it', () => {
    expect(relayTargets(['a', 'b', 'c', 'd'], 'a', new Set(['c']))).toEqual(['b', 'd'])
    expect(relayTargets(['a', 'b'], undefined, new Set())).toEqual(['a', 'b'])
  })
})

describe('gossip simulation', () => {
  it('200 members: every member gets every message, ≤ 16 links each, within log2(n) hops', () => {
    const r = simulateGossip({ members: 200, messages: 20, seed: 7 })
    console.log(`gossip 200: delivered ${(r.delivered * 100).toFixed(1)} %, links ≤ ${r.maxLinks}, hops median ${r.medianHops} / max ${r.maxHops} (log2 n = ${r.log2n.toFixed(1)}), full delivery ${r.fullDeliveryMs} ms virtual, ${r.announcements} announcements`)
    expect(r.symmetric).toBe(true)
    expect(r.delivered).toBe(1)
    expect(r.reached).toBe(200)
    expect(r.maxLinks).toBeLessThanOrEqual(16)
    expect(r.maxHops).toBeLessThanOrEqual(Math.ceil(r.log2n))
  })

  it('200 members with 10 % of announcements lost and 10 % offline: every online member still gets it', () => {
    const r = simulateGossip({ members: 200, messages: 20, seed: 11, loss: 0.1, offline: 0.1 })
    console.log(`gossip 200, 10 % loss, 10 % offline: delivered ${(r.delivered * 100).toFixed(1)} %, hops max ${r.maxHops}`)
    expect(r.delivered).toBe(1)
    expect(r.maxHops).toBeLessThanOrEqual(Math.ceil(r.log2n))
  })

  it('a broken policy shows: relaying to one link only breaks the log2(n) bound', () => {
    // The same flood with a fan-out of 1 walks the ring: the simulation must be able to fail.
    const r = simulateGossip({ members: 200, messages: 5, seed: 3, fanOut: 1 })
    expect(r.maxHops).toBeGreaterThan(4 * Math.ceil(r.log2n))
  })
})
