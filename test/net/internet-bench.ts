/**
 * The network lab's Internet measurements for `npm run bench`, each with c-toxcore measured the
 * same way in the same lab: start to the first message between two homes behind NATs (both
 * port-preserving: UDP; both symmetric: the relay), and a file from holders whose uplinks are
 * capped (tc tbf on their routers' WAN side) — one holder, then three, each behind its own cap.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CPeer } from '../../bench/c-peer.js'
import type { LabNode } from './nodes.js'
import { becomeContacts, group, home, host, inLab, internetBootstrap, type LabContext, type ScenarioResult } from './topology.js'

type Nat = 'preserve' | 'random'

/** Two c-toxcore peers (hole punching on), each behind its own NAT, tox-bootstrapd for both: start → a message echoed back. */
export function cToxcorePairAcrossNats(nat: Nat, timeoutMs = 90_000): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { a, via, started } = await cToxcoreFriendsBehindNats(ctx, nat, 300, timeoutMs)
    a.send('message ping across the NATs')
    await a.waitFor(/^MESSAGE ping across the NATs$/, 30_000)
    return { figures: { 'start → first message': performance.now() - started }, notes: [`c-toxcore connected by ${via}`] }
  })
}

/**
 * The Internet with tox-bootstrapd, two homes behind `nat` NATs, a c-toxcore peer (hole
 * punching on, living `seconds`) in each, given the daemon as bootstrap node and relay; `a`
 * befriends `b`. Resolves once `a` sees `b` connected, with how (udp or tcp) and when the peers
 * were started.
 */
async function cToxcoreFriendsBehindNats(ctx: LabContext, nat: Nat, seconds: number, timeoutMs: number) {
  const internet = ctx.lab.switch('inet')
  const boot = await internetBootstrap(ctx, internet, '198.18.0.10')
  const homes = [home(ctx, 'home-a', internet, '198.18.0.1', '10.1.0.0', nat), home(ctx, 'home-b', internet, '198.18.0.2', '10.2.0.0', nat)]
  const started = performance.now()
  const [a, b] = (await Promise.all(homes.map((h, i) => CPeer.start('peer', seconds, [], { wrap: ctx.lab.inside(host(ctx, `c${i}`, h.lanSwitch, `10.${i + 1}.0.2`, h.gateway)), env: { TOXPEER_PUNCH: '1' } })))) as [CPeer, CPeer]
  for (const p of [a, b]) {
    ctx.lab.adopt(p.process)
    ctx.nodes.push(p)
    p.send(`bootstrap 33445 ${boot.dhtPk} 198.18.0.10`)
    p.send(`relay 33446 ${boot.dhtPk} 198.18.0.10`)
  }
  b.send('autoaccept on')
  a.send(`add ${b.toxId} hello`)
  const via = (await a.waitFor(/^FRIEND 0 CONNECTION (udp|tcp)$/, timeoutMs)).split(' ').pop()!
  return { a, b, homes, via, started }
}

/** `bytes` random bytes at `dir/name`; its path. */
function randomFile(dir: string, name: string, bytes: number): string {
  const path = join(dir, name)
  writeFileSync(path, '')
  for (let at = 0; at < bytes; at += 1 << 20) writeFileSync(path, randomBytes(Math.min(1 << 20, bytes - at)), { flag: 'a' })
  return path
}

/** `node` downloads the file to `dest`; the time it took (throws unless it finished). */
async function download(node: LabNode, conv: string, iid: string, fileId: string, dest: string, timeoutMs: number): Promise<number> {
  const t = performance.now()
  const end = node.waitFor('dataTransferEvent', (c: string, _i: string, f: string, e: { code: string; path?: string }) => c === conv && f === fileId && ['finished', 'error', 'cancelled'].includes(e.code) && (e.code !== 'finished' || e.path === dest), timeoutMs)
  await node.call('downloadFile', conv, iid, fileId, dest)
  const e = (await end).args[3] as { code: string }
  if (e.code !== 'finished') throw new Error(`${node.name}'s download ended ${JSON.stringify(e)}`)
  return performance.now() - t
}

/**
 * A file of `bytes` from holders behind `mbit` Mbit/s uplinks: alice (home A) sends it to a
 * group; bob (home B, uncapped) downloads it from her alone with her uplink capped; carol and
 * dave (homes C, D) fetch it uncapped; then all three uplinks are capped and bob downloads it
 * again, from the three at once. Both copies verified against the original.
 */
export function filesFromCappedHolders(bytes: number, mbit: number): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const internet = ctx.lab.switch('inet')
    const boot = await internetBootstrap(ctx, internet, '198.18.0.10')
    const names = ['alice', 'bob', 'carol', 'dave']
    const homes = names.map((n, i) => home(ctx, `h-${n}`, internet, `198.18.0.${i + 1}`, `10.${i + 1}.0.0`, 'preserve'))
    const flags = ['--host', '0.0.0.0', '--accept-all', '--bootstrap', boot.flag, '--tcp-relay', boot.relayFlag]
    const [alice, bob, carol, dave] = await Promise.all(names.map((n, i) => ctx.node(host(ctx, n, homes[i]!.lanSwitch, `10.${i + 1}.0.2`, homes[i]!.gateway), n, flags)))
    for (const o of [bob!, carol!, dave!]) await becomeContacts(alice!, o, 90_000)
    const id = await group(alice!, [bob!, carol!, dave!], 'files', 90_000)
    const original = randomFile(ctx.dir, 'film.bin', bytes)
    const iid = await alice!.call<string>('sendFile', id, original)
    for (const o of [bob!, carol!, dave!]) await o.waitFor('swarmMessageReceived', (c: string, m: { id?: string }) => c === id && m.id === iid, 30_000)
    const { fileId } = await bob!.call<{ fileId: string }>('getMessage', id, iid)
    const cap = (i: number) => ctx.lab.cap(homes[i]!.wan, mbit)
    const budget = Math.max(120_000, (bytes / ((mbit * 1e6) / 8)) * 1000 * 3)

    cap(0)
    const oneMs = await download(bob!, id, iid, fileId, join(ctx.dir, 'from-one.bin'), budget)
    ctx.lab.uncap(homes[0]!.wan)
    await Promise.all([carol!, dave!].map((o) => download(o, id, iid, fileId, join(ctx.dir, `${o.name}.bin`), budget)))
    for (const i of [0, 2, 3]) cap(i)
    const threeMs = await download(bob!, id, iid, fileId, join(ctx.dir, 'from-three.bin'), budget)
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')
    for (const copy of ['from-one.bin', 'from-three.bin']) if (sha(join(ctx.dir, copy)) !== sha(original)) throw new Error(`${copy} differs from the original`)
    return { figures: { 'one holder': oneMs, 'three holders': threeMs }, notes: [`${(bytes / 2 ** 20).toFixed(0)} MiB, uplinks capped at ${mbit} Mbit/s`] }
  })
}

/** c-toxcore's own file transfer of `bytes` between two peers behind port-preserving NATs, the sender's uplink capped at `mbit`. */
export function cToxcoreFileCapped(bytes: number, mbit: number): Promise<ScenarioResult> {
  return inLab(async (ctx) => {
    const { a, b, homes, via } = await cToxcoreFriendsBehindNats(ctx, 'preserve', 600, 90_000)
    ctx.lab.cap(homes[0]!.wan, mbit)
    const t = performance.now()
    a.send(`sendfile ${bytes}`)
    const line = await b.waitFor(/^FILE /, Math.max(120_000, (bytes / ((mbit * 1e6) / 8)) * 1000 * 4))
    const [, got, ms, complete, ok] = line.split(' ')
    if (Number(got) !== bytes || complete !== '1' || ok !== '1') throw new Error(`c-toxcore's transfer ended ${line}`)
    return { figures: { 'one holder': Number(ms), 'from the send': performance.now() - t }, notes: [`c-toxcore connected by ${via}`] }
  })
}
