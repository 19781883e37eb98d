/**
 * The network lab's Internet scenarios: two homes, each behind its own NAT router, on an
 * "Internet" switch with tox-bootstrapd (bootstrap node and TCP relay). Port-preserving NATs
 * are hole-punched (`udp-direct`); symmetric ones, and a home whose router drops UDP, go
 * through the relay (`tcp-relay`); a pair that starts on the relay moves to UDP when it
 * opens, a download in flight and all; a home whose uplink is down for a minute comes back
 * on the relay and the DHT by itself; c-toxcore's test peer and gitswarm befriend each other
 * across two NATs, by UDP or through the relay.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PathKind } from '../../src/transport/link.js'
import type { NetworkStatus } from '../../src/transport/tox-node.js'
import { CPeer } from '../../bench/c-peer.js'
import { ToxScript, type LabNode } from './nodes.js'
import { becomeContacts, deliver, group, home, host, inLab, internetBootstrap, pathTo, until, type LabContext, type ScenarioResult } from './topology.js'

type Nat = 'preserve' | 'random'

/** The Internet with tox-bootstrapd, and alice and bob each in a home of their own behind a NAT. */
async function twoHomes(ctx: LabContext, nats: [Nat, Nat], options: { dropUdpAtAlice?: boolean } = {}) {
  const internet = ctx.lab.switch('inet')
  const boot = await internetBootstrap(ctx, internet, '198.18.0.10')
  const hA = home(ctx, 'home-a', internet, '198.18.0.1', '10.1.0.0', nats[0])
  const hB = home(ctx, 'home-b', internet, '198.18.0.2', '10.2.0.0', nats[1])
  const a = host(ctx, 'alice', hA.lanSwitch, '10.1.0.2', hA.gateway)
  const b = host(ctx, 'bob', hB.lanSwitch, '10.2.0.2', hB.gateway)
  if (options.dropUdpAtAlice) ctx.lab.dropUdp(hA.router)
  const flags = ['--host', '0.0.0.0', '--accept-all', '--bootstrap', boot.flag, '--tcp-relay', boot.relayFlag]
  const t0 = performance.now()
  const [alice, bob] = await Promise.all([ctx.node(a, 'alice', flags), ctx.node(b, 'bob', flags)])
  return { boot, homeA: hA, homeB: hB, alice, bob, t0 }
}

/** Waits until `from` reaches `to` by `path`; how long it took. */
async function pathBecomes(from: LabNode, to: LabNode, path: PathKind, timeoutMs: number): Promise<number> {
  const t = performance.now()
  let last = 'not connected'
  await until(
    async () => {
      const p = await pathTo(from, to)
      last = p ? `${p.path} ${p.address}` : 'not connected'
      return p?.path === path
    },
    () => `${from.name} → ${to.name} by ${path} (last: ${last})`,
    timeoutMs,
  )
  return performance.now() - t
}

/** Contacts, their one-to-one conversation, a group with an invitation, messages both ways in both. */
async function talk(alice: LabNode, bob: LabNode, t0: number): Promise<Record<string, number>> {
  const oneToOne = await becomeContacts(alice, bob, 90_000)
  const first = await deliver(alice, bob, oneToOne, 'hello across two NATs', 30_000)
  const firstMessageMs = performance.now() - t0
  const back = await deliver(bob, alice, oneToOne, 'hello back', 30_000)
  const id = await group(alice, [bob], 'across the Internet', 60_000)
  const inGroup = await deliver(alice, bob, id, 'in the group, from alice', 30_000)
  const inGroupBack = await deliver(bob, alice, id, 'in the group, from bob', 30_000)
  return { 'start → first message': firstMessageMs, 'first message': first, reply: back, 'group message': inGroup, 'group reply': inGroupBack }
}

/**
 * Two homes behind NATs (`preserve` both: hole-punched, the path ends `udp-direct`; `random`
 * both: symmetric, through the relay) — contacts, one-to-one, a group, messages both ways.
 */
export function acrossNats(nat: Nat): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { alice, bob, t0 } = await twoHomes(ctx, [nat, nat])
    const figures = await talk(alice, bob, t0)
    const expected: PathKind = nat === 'preserve' ? 'udp-direct' : 'tcp-relay'
    figures[`then → ${expected} both ways`] = Math.max(await pathBecomes(alice, bob, expected, 30_000), await pathBecomes(bob, alice, expected, 30_000))
    const p = await pathTo(alice, bob)
    return { figures, notes: [`alice → bob: ${p?.path} ${p?.address}`] }
  })
}

/** alice's router drops every UDP packet; no option tells her node: it goes through the relay by itself. */
export function udpBlocked(): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { alice, bob, t0 } = await twoHomes(ctx, ['preserve', 'preserve'], { dropUdpAtAlice: true })
    const figures = await talk(alice, bob, t0)
    const status = await alice.call<NetworkStatus>('getNetworkStatus')
    if (status.dht.connected || status.onion !== 'tcp-relay') throw new Error(`alice's node: ${JSON.stringify(status)}`)
    const p = await pathTo(alice, bob)
    if (p?.path !== 'tcp-relay') throw new Error(`alice reaches bob by ${JSON.stringify(p)}`)
    return { figures, notes: [`alice → bob: ${p.path}; alice's onion through the relay, DHT not connected`] }
  })
}

/**
 * A pair that starts on the relay (alice's router drops UDP) and moves to `udp-direct` when UDP
 * opens, with a download in flight (alice's uplink capped at 8 Mbit/s so that it lasts): the
 * file completes, its SHA-256 that of the original.
 */
export function relayThenDirect(): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { alice, bob, homeA, t0 } = await twoHomes(ctx, ['preserve', 'preserve'], { dropUdpAtAlice: true })
    const oneToOne = await becomeContacts(alice, bob, 90_000)
    const startMs = performance.now() - t0
    await pathBecomes(bob, alice, 'tcp-relay', 10_000)
    ctx.lab.cap(homeA.wan, 8)
    const size = 12 << 20
    const original = join(ctx.dir, 'film.bin')
    writeFileSync(original, randomBytes(size))
    const iid = await alice.call<string>('sendFile', oneToOne, original)
    await bob.waitFor('swarmMessageReceived', (cid: string, m: { id?: string }) => cid === oneToOne && m.id === iid, 30_000)
    const { fileId } = await bob.call<{ fileId: string }>('getMessage', oneToOne, iid)
    const dest = join(ctx.dir, 'film.copy')
    const finished = bob.waitFor('dataTransferEvent', (cid: string, _i: string, fid: string, e: { code: string }) => cid === oneToOne && fid === fileId && ['finished', 'error', 'cancelled'].includes(e.code), 240_000)
    await bob.call('downloadFile', oneToOne, iid, fileId, dest)
    await bob.waitFor('dataTransferEvent', (cid: string, _i: string, fid: string, e: { code: string; bytes: number }) => cid === oneToOne && fid === fileId && e.code === 'ongoing' && e.bytes > 0, 60_000)
    // UDP opens mid-download.
    ctx.lab.nft(homeA.router, 'delete table inet lab_noudp\n')
    const opened = performance.now()
    const moveMs = Math.max(await pathBecomes(alice, bob, 'udp-direct', 30_000), await pathBecomes(bob, alice, 'udp-direct', 30_000))
    const end = await finished
    const e = end.args[3] as { code: string }
    if (e.code !== 'finished') throw new Error(`the download ended ${JSON.stringify(e)}`)
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')
    if (sha(dest) !== sha(original)) throw new Error('the downloaded file differs from the original')
    return { figures: { 'start → contacts on the relay': startMs, 'UDP opens → udp-direct both ways': moveMs, 'UDP opens → download finished': performance.now() - opened }, notes: [`${size >> 20} MiB downloaded across the move, verified`] }
  })
}

/**
 * alice's uplink goes down for `outageMs` and comes back: within 30 s of the link her node is
 * back on the relay and the DHT (no restart), and messages flow both ways again.
 */
export function uplinkOutage(outageMs = 60_000): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { alice, bob, homeA, t0 } = await twoHomes(ctx, ['preserve', 'preserve'])
    const oneToOne = await becomeContacts(alice, bob, 90_000)
    await deliver(alice, bob, oneToOne, 'before the outage', 30_000)
    const setupMs = performance.now() - t0
    ctx.lab.setLink(homeA.wan, false)
    await new Promise((r) => setTimeout(r, outageMs))
    ctx.lab.setLink(homeA.wan, true)
    const back = performance.now()
    let status: NetworkStatus | undefined
    await until(
      async () => {
        status = await alice.call<NetworkStatus>('getNetworkStatus')
        return status.dht.connected && status.tcpRelays.some((r) => r.connected)
      },
      () => `alice back on the relay and the DHT (last: ${JSON.stringify(status)})`,
      30_000,
    )
    const rejoinMs = performance.now() - back
    const there = await deliver(alice, bob, oneToOne, 'after the outage, from alice', 60_000)
    const backMs = await deliver(bob, alice, oneToOne, 'after the outage, from bob', 30_000)
    return { figures: { setup: setupMs, 'link back → relay and DHT': rejoinMs, 'then message alice → bob': there, 'reply bob → alice': backMs }, notes: [`outage ${outageMs / 1000} s`] }
  })
}

/**
 * c-toxcore across NATs: its test peer (hole punching on, as a client ships) behind one NAT,
 * two gitswarm ToxNodes behind the other, tox-bootstrapd (bootstrap node and relay) given to
 * all, three more gitswarm nodes on public addresses. c-toxcore befriends one gitswarm node, the other befriends c-toxcore; both come online.
 * Port-preserving NATs: over UDP on both sides; symmetric ones: through the relay.
 */
export function cToxcoreAcrossNats(nat: Nat): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const internet = ctx.lab.switch('inet')
    const boot = await internetBootstrap(ctx, internet, '198.18.0.10')
    const hA = home(ctx, 'home-a', internet, '198.18.0.1', '10.1.0.0', nat)
    const hB = home(ctx, 'home-b', internet, '198.18.0.2', '10.2.0.0', nat)
    // Three gitswarm nodes with public addresses, as the real network has many: onion paths
    // need reachable hops, and nodes behind symmetric NATs are none.
    const bystanders = await Promise.all([20, 21, 22].map((i) => ToxScript.start(ctx.lab, host(ctx, `pub${i}`, internet, `198.18.0.${i}`), `pub${i}`, ['--host', '0.0.0.0'])))
    ctx.nodes.push(...bystanders)
    for (const b of bystanders) b.send(`bootstrap 198.18.0.10 33445 ${boot.dhtPk}`)
    const t0 = performance.now()
    const c = await CPeer.start('peer', 300, [], { wrap: ctx.lab.inside(host(ctx, 'ctox', hA.lanSwitch, '10.1.0.2', hA.gateway)), env: { TOXPEER_PUNCH: '1' } })
    ctx.lab.adopt(c.process)
    try {
      c.send(`bootstrap 33445 ${boot.dhtPk} 198.18.0.10`)
      c.send(`relay 33446 ${boot.dhtPk} 198.18.0.10`)
      const [g1, g2] = await Promise.all(['gs1', 'gs2'].map((name, i) => ToxScript.start(ctx.lab, host(ctx, name, hB.lanSwitch, `10.2.0.${i + 2}`, hB.gateway), name, ['--host', '0.0.0.0'])))
      ctx.nodes.push(g1!, g2!)
      for (const g of [g1!, g2!]) g.send(`bootstrap 198.18.0.10 33445 ${boot.dhtPk}`), g.send(`relay 198.18.0.10 33446 ${boot.dhtPk}`)
      const cPk = c.toxId.slice(0, 64).toLowerCase()
      const want = nat === 'preserve' ? 'udp' : 'tcp'
      // c-toxcore → gitswarm.
      g1!.send('autoaccept on')
      c.send(`add ${g1!.info.toxId} hello from c-toxcore`)
      const in1 = await g1!.waitFor('online', (f: { publicKey: string }) => f.publicKey === cPk, 90_000)
      const inbound = performance.now() - t0
      await c.waitFor(new RegExp(`^FRIEND 0 CONNECTION ${want}$`), 60_000)
      // gitswarm → c-toxcore.
      c.send('autoaccept on')
      const t1 = performance.now()
      g2!.send(`add ${c.toxId} hello from gitswarm`)
      const out2 = await g2!.waitFor('online', (f: { publicKey: string }) => f.publicKey === cPk, 90_000)
      const outbound = performance.now() - t1
      await c.waitFor(new RegExp(`^FRIEND 1 CONNECTION ${want}$`), 60_000)
      const addressOf = (e: { args: unknown[] }) => (e.args[0] as { address?: { host: string } }).address?.host ?? ''
      // gitswarm's side: the address it reached c-toxcore at (a relay's pseudo-address, or c-toxcore's NAT).
      for (const a of [addressOf(in1), addressOf(out2)]) if ((nat === 'preserve') !== (a === '198.18.0.1')) throw new Error(`gitswarm reached c-toxcore at ${a} (${nat} NATs)`)
      return { figures: { 'c-toxcore → gitswarm online (from start)': inbound, 'gitswarm → c-toxcore online': outbound }, notes: [`c-toxcore reports ${want}; gitswarm reached it at ${addressOf(in1)}, ${addressOf(out2)}`] }
    } finally {
      await c.stop()
    }
  })
}
