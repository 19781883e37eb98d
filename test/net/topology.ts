/**
 * Building blocks of the network lab's scenarios: a lab with its processes and temporary
 * directory torn down whatever happens (inLab), an "Internet" with tox-bootstrapd on it,
 * homes behind NAT routers, hosts, and the checks every group scenario ends with (every
 * message everywhere, one head, repositories that verify and pass git fsck).
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Bootstrapd } from '../../bench/c-peer.js'
import { Lab, type Interface } from './lab.js'
import type { PeerInfo } from '../../src/account/swarm-node.js'
import { GITSWARM_BIN, LabNode, receivedBodies } from './nodes.js'

export interface ScenarioResult {
  /** Figures worth printing, by name (milliseconds unless the name says otherwise). */
  figures: Record<string, number>
  /** Facts checked along the way, for the log. */
  notes: string[]
}

/**
 * `a` adds `b` by Tox ID (both run with --accept-all): resolves with their one-to-one
 * conversation once `b` has joined it on `a`'s side.
 */
export async function becomeContacts(a: LabNode, b: LabNode, timeoutMs: number): Promise<string> {
  const joined = a.waitFor('conversationMemberEvent', (_id: string, uri: string, action: string) => uri === b.info.account && action === 'join', timeoutMs)
  await a.call('addContact', b.info.toxId)
  return (await joined).args[0] as string
}

/** Sends `text` from `from` and waits until `to` shows it; the time it took. */
export async function deliver(from: LabNode, to: LabNode, conversationId: string, text: string, timeoutMs: number): Promise<number> {
  const t = performance.now()
  const heard = to.waitFor('swarmMessageReceived', (id: string, m: { body?: { body?: string } }) => id === conversationId && m.body?.body === text, timeoutMs)
  await from.call('sendMessage', conversationId, text)
  await heard
  return performance.now() - t
}

/** How `from` reaches the device of `to` now, if it is connected. */
export async function pathTo(from: LabNode, to: LabNode): Promise<PeerInfo | undefined> {
  const peers = await from.call<PeerInfo[]>('getPeers')
  return peers.find((p) => p.deviceId === to.info.device)
}

export interface LabContext {
  lab: Lab
  dir: string
  /** Processes stopped (SIGTERM by PID) before the lab goes. */
  nodes: Array<{ stop(): Promise<void> }>
  /** Starts an account's node in `ns` (its directory made on first use). */
  node(ns: string, name: string, args: string[]): Promise<LabNode>
}

/** Runs `body` in a fresh lab and a fresh temporary directory; both go afterwards, whatever happens. */
export async function inLab<T>(body: (ctx: LabContext) => Promise<T>): Promise<T> {
  const lab = new Lab()
  const dir = mkdtempSync(join(tmpdir(), 'gitswarm-lab-'))
  const nodes: LabNode[] = []
  const ctx: LabContext = {
    lab,
    dir,
    nodes,
    async node(ns, name, args) {
      const accountDir = join(dir, name)
      await LabNode.create(accountDir, name)
      const n = await LabNode.start(lab, ns, name, accountDir, args)
      nodes.push(n)
      return n
    },
  }
  try {
    return await body(ctx)
  } finally {
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})))
    await lab.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Waits until `check` holds (polled every 100 ms), or throws after `timeoutMs` naming `what` (a function: the state at the timeout). */
export async function until(check: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${typeof what === 'function' ? what() : what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * tox-bootstrapd (c-toxcore's bootstrap daemon, a TCP relay too) on the Internet switch:
 * `flag` for --bootstrap, `relayFlag` for --tcp-relay.
 */
export async function internetBootstrap(ctx: LabContext, sw: string, address: string): Promise<{ flag: string; relayFlag: string; dhtPk: string; stop(): Promise<void> }> {
  const ns = ctx.lab.namespace('boot')
  ctx.lab.plug(ns, sw, 'eth0', `${address}/24`)
  const bsd = await Bootstrapd.start(33445, 33446, ctx.lab.inside(ns))
  ctx.lab.adopt(bsd.process)
  return { flag: `${address}:33445:${bsd.dhtPk}`, relayFlag: `${address}:33446:${bsd.dhtPk}`, dhtPk: bsd.dhtPk, stop: () => bsd.stop() }
}

/** A home: a NAT router between the Internet switch and a LAN switch of its own; returns the router's WAN interface. */
export function home(ctx: LabContext, name: string, internet: string, wan: string, lan: string, nat: 'preserve' | 'random'): { lanSwitch: string; router: string; wan: Interface; gateway: string } {
  const { lab } = ctx
  const lanSwitch = lab.switch(name)
  const router = lab.router(`r-${name}`)
  const w = lab.plug(router, internet, 'wan', `${wan}/24`)
  const gateway = lan.replace(/\.\d+$/, '.1')
  lab.plug(router, lanSwitch, 'lan', `${gateway}/24`)
  lab.nat(router, w, nat)
  return { lanSwitch, router, wan: w, gateway }
}

/** A host on switch `sw` at `address` (/24), its default route through `gateway` if given. */
export function host(ctx: LabContext, name: string, sw: string, address: string, gateway?: string): string {
  const ns = ctx.lab.namespace(name)
  ctx.lab.plug(ns, sw, 'eth0', `${address}/24`)
  if (gateway) ctx.lab.defaultRoute(ns, gateway)
  return ns
}

/**
 * The Internet (a switch, tox-bootstrapd on it) and one home behind a port-preserving NAT that
 * does not hairpin, with two hosts on its LAN; `flags` start a node there with LAN discovery.
 */
export async function sharedHome(ctx: LabContext) {
  const internet = ctx.lab.switch('inet')
  const boot = await internetBootstrap(ctx, internet, '198.18.0.10')
  const h = home(ctx, 'home', internet, '198.18.0.1', '10.1.0.0', 'preserve')
  const hA = host(ctx, 'alice', h.lanSwitch, '10.1.0.2', h.gateway)
  const hB = host(ctx, 'bob', h.lanSwitch, '10.1.0.3', h.gateway)
  return { internet, boot, home: h, hA, hB, flags: ['--lan', '--accept-all', '--bootstrap', boot.flag] }
}

export function headOf(node: LabNode, conversationId: string): string {
  return execFileSync('git', ['--git-dir', join(node.dir, 'conversations', conversationId), 'rev-parse', 'refs/heads/main'], { encoding: 'utf8' }).trim()
}

/** Every repository of the conversation: `gitswarm verify` exit 0 and `git fsck --strict` clean. */
export function checkRepositories(nodes: LabNode[], conversationId: string): void {
  for (const n of nodes) {
    const repo = join(n.dir, 'conversations', conversationId)
    execFileSync(process.execPath, [GITSWARM_BIN, 'verify', repo], { stdio: 'pipe' })
    execFileSync('git', ['--git-dir', repo, 'fsck', '--strict', '--no-dangling'], { stdio: 'pipe' })
  }
}

/** Waits until every node shows every text in `texts` and all have one head. */
export async function converge(nodes: LabNode[], conversationId: string, texts: string[], timeoutMs: number): Promise<{ deliveredMs: number; oneHeadMs: number }> {
  const t = performance.now()
  await until(() => nodes.every((n) => texts.every((x) => receivedBodies(n, conversationId).includes(x))), `every message on ${nodes.map((n) => n.name).join(', ')}`, timeoutMs)
  const deliveredMs = performance.now() - t
  await until(() => new Set(nodes.map((n) => headOf(n, conversationId))).size === 1, 'one head everywhere', timeoutMs)
  return { deliveredMs, oneHeadMs: performance.now() - t }
}

/** `admin` invites each of `others` (contacts already, running --accept-all) to a new group; resolves once all joined. */
export async function group(admin: LabNode, others: LabNode[], title: string, timeoutMs: number): Promise<string> {
  const id = await admin.call<string>('startConversation', { title })
  for (const o of others) {
    const joined = admin.waitFor('conversationMemberEvent', (c: string, uri: string, action: string) => c === id && uri === o.info.account && action === 'join', timeoutMs)
    await admin.call('addConversationMember', id, o.info.account)
    await joined
  }
  return id
}

