/**
 * The network lab's scenarios, each building its own topology of namespaces, running real
 * `gitswarm node` processes (and c-toxcore peers) in it, and tearing it all down — also on
 * failure. Each returns what it measured; the lab tests (lab.test.ts), `npm run lab` (N runs
 * of each, pass counts and times) and the benchmark's network lab section all run these.
 * @module
 */
import { isLanAddress } from '../../src/dht/lan-discovery.js'
import { CPeer } from '../../bench/c-peer.js'
import { LabNode, receivedBodies, ToxScript } from './nodes.js'
import { becomeContacts, checkRepositories, converge, deliver, group, host, inLab, pathTo, sharedHome, until, type ScenarioResult } from './topology.js'

export type { ScenarioResult } from './topology.js'

/**
 * LAN, cold: two accounts on one bridge, no bootstrap node anywhere, LAN discovery on. They
 * become contacts by Tox ID and exchange a message; the path between them is `udp-lan`.
 */
export function lanCold(): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { lab } = ctx
    const sw = lab.switch('lan')
    const hA = lab.namespace('alice')
    const hB = lab.namespace('bob')
    lab.plug(hA, sw, 'eth0', '10.1.0.2/24')
    lab.plug(hB, sw, 'eth0', '10.1.0.3/24')
    const t0 = performance.now()
    const [alice, bob] = await Promise.all([ctx.node(hA, 'alice', ['--lan', '--accept-all']), ctx.node(hB, 'bob', ['--lan', '--accept-all'])])
    const up = performance.now()
    const conv = await becomeContacts(alice, bob, 60_000)
    const contactsMs = performance.now() - up
    await deliver(alice, bob, conv, 'hello over the LAN', 30_000)
    const firstMessageMs = performance.now() - t0
    const path = await pathTo(alice, bob)
    if (path?.path !== 'udp-lan') throw new Error(`alice reaches bob by ${JSON.stringify(path)}, not udp-lan`)
    return {
      figures: { 'processes started': up - t0, 'nodes up → contacts and their one-to-one': contactsMs, 'nodes up → first message': performance.now() - up, 'start → first message': firstMessageMs },
      notes: [`alice → bob: ${path.path} ${path.address}, rtt ${path.rttMs} ms`],
    }
  })
}

/**
 * Same LAN, with Internet: two accounts behind one NAT router that does not hairpin, a
 * bootstrap node on the Internet. Through the DHT each learns the other's outside address,
 * which its router will not loop back; LAN discovery gives the inside one: `udp-lan`.
 */
export function sameLanBehindNat(): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { hA, hB, flags } = await sharedHome(ctx)
    const t0 = performance.now()
    const [alice, bob] = await Promise.all([ctx.node(hA, 'alice', flags), ctx.node(hB, 'bob', flags)])
    const conv = await becomeContacts(alice, bob, 60_000)
    await deliver(alice, bob, conv, 'hello across the room', 30_000)
    const firstMessageMs = performance.now() - t0
    const back = await deliver(bob, alice, conv, 'hello back', 30_000)
    const path = await pathTo(alice, bob)
    if (path?.path !== 'udp-lan') throw new Error(`alice reaches bob by ${JSON.stringify(path)}, not udp-lan`)
    return { figures: { 'start → first message': firstMessageMs, 'reply delivered': back }, notes: [`alice → bob: ${path.path} ${path.address}`] }
  })
}

/**
 * Split and merge: alice and bob on a LAN behind a router, carol on the Internet with the
 * bootstrap node; the three in a group. The LAN's uplink goes down: alice and bob go on
 * talking over the LAN while carol writes alone. The uplink comes back: every message
 * everywhere, one head, every repository valid and fsck-clean. `loss`: percent of packets
 * lost in and out of alice's host.
 */
export function splitAndMerge(options: { loss?: number } = {}): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { internet, boot, home: h, hA, hB, flags } = await sharedHome(ctx)
    const hC = host(ctx, 'carol', internet, '198.18.0.20')
    if (options.loss) ctx.lab.loss(hA, options.loss)
    const [alice, bob, carol] = await Promise.all([ctx.node(hA, 'alice', flags), ctx.node(hB, 'bob', flags), ctx.node(hC, 'carol', ['--host', '0.0.0.0', '--accept-all', '--bootstrap', boot.flag])])
    const t0 = performance.now()
    await becomeContacts(alice, bob, 90_000)
    await becomeContacts(alice, carol, 90_000)
    const id = await group(alice, [bob, carol], 'split and merge', 90_000)
    const everyone = [alice, bob, carol]
    const before = ['before the split, from alice', 'before the split, from carol']
    await alice.call('sendMessage', id, before[0])
    await carol.call('sendMessage', id, before[1])
    const start = await converge(everyone, id, before, 60_000)
    const setupMs = performance.now() - t0

    // The uplink goes down.
    ctx.lab.setLink(h.wan, false)
    const who = everyone.map((n) => `${n.name}=${n.info.device.slice(0, 12)}`).join(' ')
    const split: string[] = []
    const lanTimes: number[] = []
    for (let i = 0; i < 3; i++) {
      split.push(`split ${i} from alice`, `split ${i} from bob`, `split ${i} from carol`)
      for (const [from, to] of [[alice, bob], [bob, alice]] as const) {
        const t = await deliver(from, to, id, `split ${i} from ${from.name}`, 30_000).catch((err: Error) => {
          throw new Error(`${err.message} (devices: ${who})`)
        })
        lanTimes.push(t)
      }
      await carol.call('sendMessage', id, `split ${i} from carol`)
    }
    const lanPath = await pathTo(alice, bob)
    if (lanPath?.path !== 'udp-lan') throw new Error(`during the split alice reaches bob by ${JSON.stringify(lanPath)}`)
    // Let the connections across the dead uplink time out, as they would in a real outage.
    await new Promise((r) => setTimeout(r, 12_000))
    if (receivedBodies(carol, id).some((b) => b.startsWith('split') && !b.endsWith('carol'))) throw new Error('carol heard the LAN side during the split')

    // The uplink comes back.
    ctx.lab.setLink(h.wan, true)
    const back = performance.now()
    const merged = await converge(everyone, id, [...before, ...split], 120_000)
    const firstHeard = (n: LabNode, from: string) => Math.min(...n.events.filter((e) => e.at > back && e.event === 'swarmMessageReceived' && String((e.args[1] as { body?: { body?: string } }).body?.body).endsWith(from)).map((e) => e.at - back))
    for (const n of everyone) await n.stop()
    checkRepositories(everyone, id)
    return {
      figures: {
        'setup (contacts, group, first round)': setupMs,
        'first round converged': start.oneHeadMs,
        'LAN delivery during the split (max)': Math.max(...lanTimes),
        'uplink back → alice has a message of carol': firstHeard(alice, 'carol'),
        'uplink back → carol has a message of the LAN side': Math.min(firstHeard(carol, 'alice'), firstHeard(carol, 'bob')),
        'uplink back → every message everywhere': merged.deliveredMs,
        'uplink back → one head': merged.oneHeadMs,
      },
      notes: [`during the split alice → bob: ${lanPath.path} ${lanPath.address}`, ...(options.loss ? [`${options.loss} % loss on alice's link`] : [])],
    }
  })
}

/**
 * c-toxcore on the LAN: c-toxcore's test peer (local discovery on) and two gitswarm ToxNodes
 * on one bridge, no bootstrap node. c-toxcore sends a friend request to one gitswarm node,
 * and the other gitswarm node sends one to c-toxcore: both friendships come online.
 */
export function cToxcoreOnLan(): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const sw = ctx.lab.switch('lan')
    const hC = host(ctx, 'ctox', sw, '10.1.0.2')
    const hG = host(ctx, 'gs1', sw, '10.1.0.3')
    const hH = host(ctx, 'gs2', sw, '10.1.0.4')
    const t0 = performance.now()
    const c = await CPeer.start('peer', 300, [], { wrap: ctx.lab.inside(hC), env: { TOXPEER_LAN: '1' } })
    ctx.lab.adopt(c.process)
    try {
      const [g1, g2] = await Promise.all([ToxScript.start(ctx.lab, hG, 'gitswarm-1', ['--lan']), ToxScript.start(ctx.lab, hH, 'gitswarm-2', ['--lan'])])
      ctx.nodes.push(g1, g2)
      const cPk = c.toxId.slice(0, 64).toLowerCase()
      // c-toxcore → gitswarm.
      g1.send('autoaccept on')
      c.send(`add ${g1.info.toxId} hello from c-toxcore`)
      await g1.waitFor('online', (f: { publicKey: string }) => f.publicKey === cPk, 60_000)
      await c.waitFor(/^FRIEND 0 CONNECTION udp$/, 30_000)
      const inbound = performance.now() - t0
      // gitswarm → c-toxcore.
      c.send('autoaccept on')
      const t1 = performance.now()
      g2.send(`add ${c.toxId} hello from gitswarm`)
      const online = await g2.waitFor('online', (f: { publicKey: string }) => f.publicKey === cPk, 60_000)
      const outbound = performance.now() - t1
      const address = (online.args[0] as { address?: { host: string } }).address?.host ?? ''
      if (!isLanAddress(address)) throw new Error(`gitswarm reached c-toxcore at ${address}, not on the LAN`)
      return { figures: { 'c-toxcore → gitswarm online (from start)': inbound, 'gitswarm → c-toxcore online': outbound }, notes: [`c-toxcore reached at ${address}`] }
    } finally {
      await c.stop()
    }
  })
}

/**
 * c-toxcore alone on the LAN, for comparison: two c-toxcore test peers, local discovery on,
 * one bridge, no bootstrap node (and `bystanders` more c-toxcore peers on it, idle); from
 * their start to a message echoed back.
 */
export function cToxcoreLanPair(bystanders = 0, timeoutMs = 60_000): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const sw = ctx.lab.switch('lan')
    const start = (i: number) => CPeer.start('peer', 300, [], { wrap: ctx.lab.inside(host(ctx, `c${i}`, sw, `10.1.0.${i + 2}`)), env: { TOXPEER_LAN: '1' } })
    const t0 = performance.now()
    const [a, b, ...rest] = await Promise.all(Array.from({ length: 2 + bystanders }, (_, i) => start(i)))
    const all = [a!, b!, ...rest]
    for (const p of all) ctx.lab.adopt(p.process)
    ctx.nodes.push(...all)
    try {
      b!.send('autoaccept on')
      a!.send(`add ${b!.toxId} hello`)
      await a!.waitFor(/^FRIEND 0 CONNECTION udp$/, timeoutMs)
      a!.send('message ping over the LAN')
      await a!.waitFor(/^MESSAGE ping over the LAN$/, 30_000)
      return { figures: { 'start → first message': performance.now() - t0 }, notes: bystanders ? [`${bystanders} idle c-toxcore peer(s) on the bridge`] : [] }
    } finally {
      await Promise.all(all.map((p) => p.stop()))
    }
  })
}

/**
 * IPv6 only: two gitswarm ToxNodes bound to `::` on one bridge with no IPv4 address, no
 * bootstrap node. LAN discovery goes to ff02::1 on the interface (from the link-local
 * address); they become friends over fe80:: addresses, interface scope and all.
 */
export function lanIpv6(): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const sw = ctx.lab.switch('lan')
    // No IPv4 at all: a unique-local address each, and the link-local one the kernel adds.
    const [hA, hB] = ['a6', 'b6'].map((name, i) => {
      const ns = ctx.lab.namespace(name)
      ctx.lab.plug(ns, sw, 'eth0', `fd00::${i + 2}/64`)
      return ns
    }) as [string, string]
    // Link-local addresses pass duplicate address detection first (about a second or two).
    await until(() => [hA, hB].every((ns) => !/tentative/.test(ctx.lab.exec(ns, 'ip', ['-6', 'addr', 'show', 'dev', 'eth0'])) && /fe80::/.test(ctx.lab.exec(ns, 'ip', ['-6', 'addr', 'show', 'dev', 'eth0']))), 'link-local addresses ready', 10_000)
    const [a, b] = await Promise.all([ToxScript.start(ctx.lab, hA, 'a6', ['--lan', '--host', '::']), ToxScript.start(ctx.lab, hB, 'b6', ['--lan', '--host', '::'])])
    ctx.nodes.push(a, b)
    b.send('autoaccept on')
    const t = performance.now()
    a.send(`add ${b.info.toxId} over IPv6`)
    const online = await a.waitFor('online', () => true, 30_000)
    const address = (online.args[0] as { address?: { host: string } }).address?.host ?? ''
    if (!/^fe80::/i.test(address)) throw new Error(`reached over ${address}, not a link-local IPv6 address`)
    return { figures: { 'friend request → online': performance.now() - t }, notes: [`reached at ${address}`] }
  })
}
