/**
 * The swarm off loopback, in the network lab (./lab.ts, ./scenarios.ts): real `gitswarm node`
 * processes in network namespaces on bridges and behind NAT routers, driven through their
 * control sockets. Needs root, iproute2 and nftables (and c-toxcore's test peer and
 * tox-bootstrapd for the scenarios with an Internet or a c-toxcore peer); skipped with a
 * message without them, except in CI, where a missing prerequisite fails. Every namespace and process is removed
 * after each scenario, also when it fails. `npm run lab` runs the scenarios N times.
 */
import { describe, expect, it } from 'vitest'
import { Bootstrapd, cPeerUnavailable } from '../../bench/c-peer.js'
import { labUnavailable } from './lab.js'
import * as internet from './internet.js'
import * as scenarios from './scenarios.js'

const missing = labUnavailable()
if (missing && process.env['CI'] === 'true') throw new Error(`CI must be able to run the network lab: ${missing}`)
if (missing) console.warn(`skipping the network lab tests: ${missing}`)

function show(name: string, r: scenarios.ScenarioResult): void {
  const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
  console.log(`[lab] ${name}: ${[...figures, ...r.notes].join('; ')}`)
}

const cMissing = missing ?? cPeerUnavailable() ?? Bootstrapd.unavailable()
if (cMissing && !missing && process.env['CI'] === 'true') throw new Error(`CI must install the c-toxcore prerequisites of the lab: ${cMissing}`)
if (cMissing && !missing) console.warn(`skipping the lab scenarios with c-toxcore: ${cMissing}`)

describe.skipIf(missing !== undefined)('network lab', () => {
  it('LAN, cold: two accounts on one bridge, no bootstrap node, LAN discovery on — contacts by Tox ID, a message, path udp-lan', async () => {
    const r = await scenarios.lanCold()
    show('LAN, cold', r)
    expect(r.figures['start → first message']).toBeGreaterThan(0)
  }, 90_000)

  it('LAN over IPv6: nodes bound to :: find each other by ff02::1 and connect over link-local addresses', async () => {
    const r = await scenarios.lanIpv6()
    show('LAN, IPv6 link-local', r)
  }, 60_000)

  it.skipIf(cMissing !== undefined)('same LAN behind a NAT router that does not hairpin, bootstrap node on the Internet: they reach each other over the LAN (udp-lan), not by the outside address', async () => {
    const r = await scenarios.sameLanBehindNat()
    show('same LAN, with Internet', r)
  }, 120_000)

  for (const run of [1, 2]) {
    it.skipIf(cMissing !== undefined)(`split and merge (run ${run} of 2): the LAN's uplink cut, alice and bob go on over the LAN, carol writes alone; back up, all converge, verify and fsck clean`, async () => {
      const r = await scenarios.splitAndMerge()
      show(`split and merge, run ${run}`, r)
    }, 300_000)
  }

  it.skipIf(cMissing !== undefined)('split and merge with 10 % packet loss on alice\'s LAN link still converges', async () => {
    const r = await scenarios.splitAndMerge({ loss: 10 })
    show('split and merge, 10 % loss', r)
  }, 300_000)

  it.skipIf(cMissing !== undefined)('two homes behind port-preserving NATs, relay configured: contacts, one-to-one, a group, messages both ways; the path ends udp-direct (hole punched)', async () => {
    const r = await internet.acrossNats('preserve')
    show('two port-preserving NATs', r)
  }, 150_000)

  it.skipIf(cMissing !== undefined)('two homes behind symmetric NATs: the same through the relay (tcp-relay)', async () => {
    const r = await internet.acrossNats('random')
    show('two symmetric NATs', r)
  }, 150_000)

  it.skipIf(cMissing !== undefined)('a home whose router drops UDP, nothing told to the node: the same through the relay, its onion on the relay', async () => {
    const r = await internet.udpBlocked()
    show('UDP dropped at one home', r)
  }, 150_000)

  it.skipIf(cMissing !== undefined)('a pair on the relay moves to udp-direct when UDP opens, a 12 MiB download in flight completing verified', async () => {
    const r = await internet.relayThenDirect()
    show('relay, then direct', r)
  }, 300_000)

  it.skipIf(cMissing !== undefined)('a home\'s uplink down for 60 s: back on the relay and the DHT within 30 s of the link, with no restart, and delivery resumes', async () => {
    const r = await internet.uplinkOutage()
    show('uplink outage', r)
  }, 300_000)

  for (const nat of ['preserve', 'random'] as const) {
    it.skipIf(cMissing !== undefined)(`c-toxcore behind one ${nat === 'preserve' ? 'port-preserving' : 'symmetric'} NAT, gitswarm behind the other: friends both ways, ${nat === 'preserve' ? 'over UDP' : 'through the relay'}`, async () => {
      const r = await internet.cToxcoreAcrossNats(nat)
      show(`c-toxcore across ${nat === 'preserve' ? 'port-preserving' : 'symmetric'} NATs`, r)
    }, 240_000)
  }

  it.skipIf(cMissing !== undefined)('c-toxcore on the LAN: its test peer (local discovery on) and gitswarm nodes find each other with no bootstrap node, both ways', async () => {
    const r = await scenarios.cToxcoreOnLan()
    show('c-toxcore on the LAN', r)
  }, 150_000)
})
