/**
 * Issue #12 figures: a 20,000-message conversation as thousands of loose objects, after our
 * repack, and after `git gc` on the same repository (the anchor) — open + newest 50 messages in
 * a fresh process, full verification, a clone over a Tox channel, and 100,000 unknown `have`s
 * served (our upload-pack, with `git upload-pack` on the same input beside it).
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Duplex } from 'node:stream'
import { SwarmNode } from '../src/account/swarm-node.js'
import { duplexPair } from '../src/git/duplex-pair.js'
import { encodePkt, FLUSH, PktReader } from '../src/git/pkt-line.js'
import { repack } from '../src/git/repack.js'
import { closeRepository, openRepository } from '../src/git/repository.js'
import { serveUploadPack } from '../src/git/upload-pack.js'
import { createAccount } from '../src/identity/identity.js'
import { Conversation } from '../src/swarm/conversation.js'
import { verifyRepository } from '../src/swarm/verify.js'
import { median, tempDir, time, timeAsync, type Figure } from './util.js'

const OPEN_CHILD = (path: string, module: string): string => `
const { Conversation } = await import(${JSON.stringify(module)})
const t = performance.now()
const c = Conversation.open(${JSON.stringify(path)})
const n = c.loadMessages({ n: 50 }).length
if (n !== 50) throw new Error('got ' + n)
console.log(performance.now() - t)`

/** Files and bytes on disk under objects/ (blocks, as du counts them). */
function footprint(path: string): { files: number; kib: number } {
  let files = 0
  let kib = 0
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name))
      else (files++, (kib += (statSync(join(dir, e.name)).blocks * 512) / 1024))
    }
  }
  walk(join(path, 'objects'))
  return { files, kib }
}

/** The `have` exchange: a want of the head, `unknown` random haves, then the head's parent (known), done. */
async function haveExchange(stream: Duplex, head: string, parent: string, unknown: number): Promise<void> {
  const reader = new PktReader(stream, 120_000)
  for (;;) if ((await reader.read()).type === 'flush') break
  const lines: Buffer[] = [encodePkt(`want ${head} side-band-64k ofs-delta\n`), FLUSH]
  for (let i = 0; i < unknown; i++) lines.push(encodePkt(`have ${randomBytes(20).toString('hex')}\n`))
  lines.push(encodePkt(`have ${parent}\n`), encodePkt('done\n'))
  stream.write(Buffer.concat(lines))
  // ACK/NAK, then the pack on band 1 until the flush.
  for (;;) {
    const p = await reader.read()
    if (p.type === 'flush' || p.type === 'end') break
  }
  stream.end()
}

async function oursServingHaves(path: string, head: string, parent: string, unknown: number): Promise<number> {
  const repo = openRepository(path)
  const [server, client] = duplexPair()
  const t = performance.now()
  const serving = serveUploadPack(server, { repo, maxFetches: 1, maxLines: unknown + 10 })
  await haveExchange(client, head, parent, unknown)
  await serving
  const ms = performance.now() - t
  closeRepository(repo)
  return ms
}

async function gitServingHaves(path: string, head: string, parent: string, unknown: number): Promise<number> {
  const t = performance.now()
  const child = spawn('git', ['upload-pack', path], { stdio: ['pipe', 'pipe', 'ignore'] })
  const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! })
  await haveExchange(stream, head, parent, unknown)
  await new Promise((r) => child.once('close', r))
  return performance.now() - t
}

export async function benchRepack(options: { messages: number; haves: number }): Promise<Figure[]> {
  const dir = tempDir('repack')
  const seed = (n: number) => new Uint8Array(32).fill(n)
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((displayName, i) => createAccount({ displayName, seeds: { ca: seed(110 + i), account: seed(120 + i), device: seed(130 + i) } })))
  const figures: Figure[] = []
  const [a, b] = await Promise.all([SwarmNode.start(alice!), SwarmNode.start(bob!)])
  try {
    const source = Conversation.create(alice!, { path: join(dir, 'loose'), durability: 'fast', autoRepack: false })
    source.addMember(bob!.uri)
    for (let i = 0; i < options.messages; i++) source.sendMessage(`message ${i} in a long conversation`)
    const head = source.head
    const parent = source.view.commit(head).fields.parents[0]!
    source.history()
    source.close()
    cpSync(join(dir, 'loose'), join(dir, 'ours'), { recursive: true })
    cpSync(join(dir, 'loose'), join(dir, 'git'), { recursive: true })
    const oursRepo = openRepository(join(dir, 'ours'))
    const packed = time(() => repack(oursRepo))
    closeRepository(oursRepo)
    const gitGc = time(() => execFileSync('git', ['-C', join(dir, 'git'), 'gc', '-q'], { stdio: 'ignore' }))
    const variants = [
      ['loose', join(dir, 'loose')],
      ['repacked', join(dir, 'ours')],
      ['git gc', join(dir, 'git')],
    ] as const
    const fp = variants.map(([, p]) => footprint(p))
    figures.push({
      what: `repack ${options.messages} messages (ours) / git gc on the same repository`,
      value: `${(packed.ms / 1000).toFixed(2)} s / ${(gitGc.ms / 1000).toFixed(2)} s`,
      target: '—',
      met: undefined,
      note: `objects/: loose ${fp[0]!.files} files ${Math.round(fp[0]!.kib / 1024)} MiB; ours ${fp[1]!.files} files ${(fp[1]!.kib / 1024).toFixed(1)} MiB (${packed.value.deltas} deltas); git ${fp[2]!.files} files ${(fp[2]!.kib / 1024).toFixed(1)} MiB`,
    })

    b.addPeer(a.asPeer)
    await a.connect(b.asPeer, { address: b.tox.address, dhtPublicKey: b.tox.dhtPublicKey })
    const rows: Record<string, string[]> = { open: [], verify: [], clone: [], haves: [] }
    const raw: Record<string, number[]> = { open: [], verify: [], clone: [], haves: [] }
    const module = new URL('../src/swarm/conversation.js', import.meta.url).href
    for (const [name, path] of variants) {
      const opens: number[] = []
      for (let i = 0; i < 3; i++) opens.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', OPEN_CHILD(path, module)]).toString()))
      const open = median(opens)
      const verify = await timeAsync(() => verifyRepository(path))
      if (!verify.value.ok) throw new Error(`${name} does not verify`)
      const conv = Conversation.open(path, { identity: alice, autoRepack: false })
      a.host(conv)
      const clone = await timeAsync(() => b.clone(conv.id, a.asPeer, join(dir, `clone-${name.replace(' ', '-')}`)))
      if (clone.value.head !== head) throw new Error('incomplete clone')
      clone.value.close()
      a.unhost(conv.id)
      conv.close()
      const haves = await oursServingHaves(path, head, parent, options.haves)
      for (const [k, v] of [['open', open], ['verify', verify.ms], ['clone', clone.ms], ['haves', haves]] as const) {
        raw[k]!.push(v)
        rows[k]!.push(`${name} ${k === 'open' ? v.toFixed(1) + ' ms' : (v / 1000).toFixed(2) + ' s'}`)
      }
    }
    const gitHaves = await gitServingHaves(join(dir, 'git'), head, parent, options.haves)
    const ratio = (k: string): string => `repacked/loose ${(raw[k]![1]! / raw[k]![0]!).toFixed(2)}x`
    figures.push({ what: `open + newest 50 messages, fresh process (${options.messages} messages)`, value: rows['open']!.join(' · '), target: '≤ 50 ms', met: raw['open']!.every((v) => v <= 50), note: ratio('open') })
    figures.push({ what: 'full verification from the root', value: rows['verify']!.join(' · '), target: '≤ 3 s', met: raw['verify']!.every((v) => v <= 3000), note: ratio('verify') })
    figures.push({ what: 'clone over one Tox channel on loopback, validated', value: rows['clone']!.join(' · '), target: '—', met: undefined, note: ratio('clone') })
    figures.push({
      what: `${options.haves.toLocaleString('en')} unknown haves served (then one common, a 1-commit pack)`,
      value: rows['haves']!.join(' · '),
      target: '—',
      met: undefined,
      note: `${ratio('haves')}; git upload-pack on git's repository ${(gitHaves / 1000).toFixed(2)} s`,
    })
    return figures
  } finally {
    await Promise.all([a.close(), b.close()])
  }
}
