/**
 * Files on demand (issue 11), over loopback Tox: one file (256 MiB at scale 1) fetched from
 * one holder with both ends in this process — next to c-toxcore's own file transfer of the
 * same size, both of its ends in one process too (test/interop/toxpeer.c filebench) — then
 * from one holder in another process (`gitswarm node`), then from three such holders at once,
 * with the downloader's peak RSS above its idle size.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Account } from '../src/account/account.js'
import { nextEvent as once } from '../src/account/events.js'
import { ToxNode } from '../src/transport/tox-node.js'
import { cPeerUnavailable, CPeer } from './c-peer.js'
import { tempDir, type Figure } from './util.js'

const BIN = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../bin/gitswarm.js' : '../bin/gitswarm.js', import.meta.url))
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000)

async function until(test: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > end) throw new Error(`bench: no ${what} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function befriend(a: Account, b: Account): Promise<void> {
  const request = once(b, 'trustRequestReceived', (from) => from === a.uri, 60_000)
  const ready = once(a, 'conversationReady', undefined, 60_000)
  a.addContact(b.toxId())
  await request
  b.acceptTrustRequest(a.uri)
  await ready
}

/** Downloads and returns the time, the holders' shares and the peak RSS above `idle`. */
async function fetch(account: Account, id: string, iid: string, fileId: string, dest: string, timeoutMs: number): Promise<{ ms: number; sources: Record<string, number>; peakRss: number }> {
  globalThis.gc?.()
  const idle = process.memoryUsage.rss()
  let peak = idle
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
  const end = once(account, 'dataTransferEvent', (cid, _i, fid, e) => cid === id && fid === fileId && ['finished', 'error'].includes(e.code), timeoutMs)
  const t = performance.now()
  account.downloadFile(id, iid, fileId, dest)
  const [, , , e] = await end
  const ms = performance.now() - t
  clearInterval(sampler)
  if (e.code !== 'finished') throw new Error(`bench: download failed: ${JSON.stringify(e.error)}`)
  return { ms, sources: e.sources ?? {}, peakRss: peak - idle }
}

export async function benchFiles(options: { bytes: number }): Promise<Figure[]> {
  const { bytes } = options
  const dir = tempDir('files')
  const boot = await ToxNode.start({ host: '127.0.0.1' })
  const bootstrap = [{ host: '127.0.0.1', port: boot.address.port, publicKey: boot.dhtPublicKey }]
  const bootArg = `127.0.0.1:${boot.address.port}:${Buffer.from(boot.dhtPublicKey).toString('hex')}`
  const names = ['sender', 'holder1', 'holder2', 'downloader']
  const accounts = await Promise.all(names.map((n) => Account.create(join(dir, n), { displayName: n })))
  const [sender, h1, h2, d] = accounts as [Account, Account, Account, Account]
  const children: ChildProcess[] = []
  const figures: Figure[] = []
  const timeoutMs = Math.max(120_000, (bytes / 1e6) * 2000)
  try {
    for (const a of accounts) a.maxFileSize = Math.max(a.maxFileSize, bytes)
    await Promise.all(accounts.map((a) => a.start({ bootstrap })))
    for (const a of [h1, h2, d]) await befriend(sender, a)
    const id = sender.startConversation({ title: 'files' })
    for (const a of [h1, h2, d]) {
      a.on('conversationRequestReceived', (cid) => cid === id && a.acceptConversationRequest(cid))
      const ready = once(a, 'conversationReady', (cid) => cid === id, 60_000)
      sender.addConversationMember(id, a.uri)
      await ready
    }
    await until(() => [h1, h2, d].every((a) => sender.conversation(id).roleOf(a.uri) === 'member'), 'every join at the sender')
    const original = join(dir, 'original.bin')
    writeFileSync(original, '')
    for (let at = 0; at < bytes; at += 4 << 20) writeFileSync(original, randomBytes(Math.min(4 << 20, bytes - at)), { flag: 'a' })
    const announced = [h1, h2, d].map((a) => once(a, 'swarmMessageReceived', (cid, m) => cid === id && m.type === 'application/data-transfer+json', 60_000))
    const iid = await sender.sendFile(id, original)
    await Promise.all(announced)
    const fileId = sender.getMessage(id, iid).fileId!
    await until(() => h1.node.onlinePeers().some((p) => p.deviceId === sender.deviceId), 'holder1 linked with the sender')

    const inProcess = await fetch(h1, id, iid, fileId, join(dir, 'h1.bin'), timeoutMs)
    await until(() => h2.node.onlinePeers().filter((p) => p.deviceId === sender.deviceId || p.deviceId === h1.deviceId).length === 2, 'holder2 linked')
    await fetch(h2, id, iid, fileId, join(dir, 'h2.bin'), timeoutMs)

    // The holders move to processes of their own; the downloader stays here.
    const startHolder = async (a: Account) => {
      await a.stop()
      // Linked anew with the process (not a link to the stopped account that has not timed out).
      const linked = new Promise<void>((resolve) => {
        const seen = (p: { deviceId: string }) => p.deviceId === a.deviceId && (d.node.off('peerOnline', seen), resolve())
        d.node.on('peerOnline', seen)
      })
      const child = spawn(process.execPath, [BIN, 'node', '--account', a.dir, '--json', '--bootstrap', bootArg], { stdio: 'ignore' })
      children.push(child)
      await linked
    }
    await h1.stop()
    await h2.stop()
    await startHolder(sender)
    const one = await fetch(d, id, iid, fileId, join(dir, 'd1.bin'), timeoutMs)
    await startHolder(h1)
    await startHolder(h2)
    const drops0 = udpDrops()
    const three = await fetch(d, id, iid, fileId, join(dir, 'd3.bin'), timeoutMs)
    const drops = udpDrops() - drops0

    const c = cPeerUnavailable() ? undefined : await cToxcore(bytes, Math.ceil(timeoutMs / 1000))
    const mib = `${Math.round(bytes / (1 << 20))} MiB`
    const ours = mbps(bytes, inProcess.ms)
    const cRate = c ? mbps(c.bytes, c.ms) : undefined
    figures.push({
      what: `${mib} file, one holder, both ends in one process`,
      value: `${(inProcess.ms / 1000).toFixed(2)} s, ${ours.toFixed(1)} MB/s`,
      target: '≥ 1.0x c-toxcore (ideally 2x)',
      met: cRate === undefined ? undefined : ours >= cRate,
      note: c ? `c-toxcore file transfer: ${(c.bytes / (1 << 20)).toFixed(0)} MiB in ${(c.ms / 1000).toFixed(1)} s${c.complete ? '' : ' (stopped, not finished)'}, ${cRate!.toFixed(2)} MB/s: ${(ours / cRate!).toFixed(1)}x` : `c-toxcore not measured: ${cPeerUnavailable()}`,
    })
    const oneRate = mbps(bytes, one.ms)
    const threeRate = mbps(bytes, three.ms)
    const shares = Object.values(three.sources).map((n) => `${Math.round((n / bytes) * 100)} %`).join(' / ')
    figures.push(
      { what: `${mib} file from one holder in another process`, value: `${(one.ms / 1000).toFixed(2)} s, ${oneRate.toFixed(1)} MB/s`, target: '', met: undefined },
      { what: `${mib} file from three holders in parallel`, value: `${(three.ms / 1000).toFixed(2)} s, ${threeRate.toFixed(1)} MB/s`, target: '≥ 2x one holder', met: threeRate >= 2 * oneRate, note: `${(threeRate / oneRate).toFixed(2)}x one holder; shares ${shares}; 2 cores for 4 processes; ${drops} datagrams dropped by full UDP receive buffers` },
      { what: 'downloader peak RSS above idle', value: `${(Math.max(one.peakRss, three.peakRss) / (1 << 20)).toFixed(1)} MiB`, target: '≤ 64 MiB', met: Math.max(one.peakRss, three.peakRss) <= 64 << 20, note: `one holder ${(one.peakRss / (1 << 20)).toFixed(1)} MiB, three ${(three.peakRss / (1 << 20)).toFixed(1)} MiB` },
    )
  } finally {
    for (const child of children) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
    await Promise.all(accounts.map((a) => a.stop()))
    await boot.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return figures
}

/** The kernel's count of UDP datagrams dropped for a full receive buffer (Linux). */
function udpDrops(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'))
    const [names, values] = lines.map((l) => l.split(/\s+/))
    return Number(values![names!.indexOf('RcvbufErrors')])
  } catch {
    return 0
  }
}

async function cToxcore(bytes: number, seconds: number): Promise<{ bytes: number; ms: number; complete: boolean } | undefined> {
  const peer = await CPeer.start('filebench', seconds, [String(bytes)])
  try {
    await peer.waitFor(/^CONNECTED /, 60_000)
    const [, got, ms, complete, intact] = (await peer.waitFor(/^FILE /, (seconds + 30) * 1000)).split(' ')
    if (intact !== '1') throw new Error('bench: c-toxcore delivered wrong bytes')
    return { bytes: Number(got), ms: Number(ms), complete: complete === '1' }
  } finally {
    await peer.stop()
  }
}
