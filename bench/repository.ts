/**
 * Issue #2 figures: append rate of signed Ed25519 messages, cold verification of a
 * 20,000-commit conversation next to `git log` over the same repository, and opening the
 * newest 50 messages cold.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { closeSync, existsSync, fdatasyncSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Durability } from '../src/git/durability.js'
import { createAccount } from '../src/identity/identity.js'
import { Conversation } from '../src/swarm/conversation.js'
import { verifyRepository } from '../src/swarm/verify.js'
import { printFigures, tempDir, time, timeAsync, timeCommand, median, type Figure } from './util.js'

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n)

export async function benchRepository(options: { commits: number; appends: number }): Promise<Figure[]> {
  const dir = tempDir('repo')
  const figures: Figure[] = []
  try {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((displayName, i) =>
        createAccount({ displayName, seeds: { ca: seed(10 * i + 1), account: seed(10 * i + 2), device: seed(10 * i + 3) } }),
      ),
    )
    // 1. Append rate on a fresh bare repository: on the temp directory's disk, and on tmpfs
    // where the disk's file-creation cost (each message creates an object and a ref lock) is out of the picture.
    // Durability 'full' (the default) flushes each message to disk; 'fast' only orders the writes (docs/reliability.md).
    const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/gitswarm-bench-') : undefined
    const places: [string, string | undefined, Durability][] = [
      [`disk (${tmpdir()}), durability full`, dir, 'full'],
      [`disk (${tmpdir()}), durability fast`, dir, 'fast'],
      ['tmpfs (/dev/shm), durability fast', shm, 'fast'],
    ]
    for (const [where, parent, durability] of places) {
      if (!parent) continue
      const createCost = fileCost(parent, 'rename')
      const conv = Conversation.create(alice!, { dir: parent, durability })
      conv.sendMessage('warm-up')
      const append = time(() => {
        for (let i = 0; i < options.appends; i++) conv.sendMessage(`message number ${i}`)
      })
      conv.close()
      const rate = options.appends / (append.ms / 1000)
      const full = durability === 'full'
      figures.push({
        what: `append signed Ed25519 text messages, ${where}`,
        value: `${Math.round(rate)} msg/s (${(append.ms / options.appends).toFixed(3)} ms each)`,
        target: full ? '— (each message waits for three flushes)' : '≥ 2,000 msg/s',
        met: full ? undefined : rate >= 2000,
        note: full ? `one fdatasync of a new small file costs ${fileCost(parent, 'flush').toFixed(3)} ms there` : `a file create+rename there costs ${createCost.toFixed(3)} ms`,
      })
    }
    if (shm) rmSync(shm, { recursive: true, force: true })
    const conv = Conversation.create(alice!, { dir })

    // 2. A 20,000-commit conversation with three members, packed as a fetched one would be.
    conv.addMember(bob!.uri)
    conv.addMember(carol!.uri)
    const b = Conversation.open(conv.path, { identity: bob })
    const c = Conversation.open(conv.path, { identity: carol })
    b.join()
    c.join()
    const writers = [conv, b, c]
    const existing = Number(execFileSync('git', ['-C', conv.path, 'rev-list', '--count', 'HEAD']).toString())
    let last = ''
    for (let i = existing; i < options.commits; i++) {
      const w = writers[i % 3]!
      if (i % 50 === 7 && last) w.addReaction(last, '👍')
      else last = w.sendMessage(`message ${i} from ${w.identity!.displayName}`)
    }
    for (const w of writers) w.close()
    execFileSync('git', ['-C', conv.path, 'repack', '-a', '-d', '-q'])
    execFileSync('git', ['-C', conv.path, 'prune-packed'])
    const count = Number(execFileSync('git', ['-C', conv.path, 'rev-list', '--count', 'HEAD']).toString())

    const verifyRuns: number[] = []
    let ok = true
    for (let r = 0; r < 3; r++) {
      const run = await timeAsync(() => verifyRepository(conv.path))
      ok &&= run.value.ok
      verifyRuns.push(run.ms)
    }
    const verifyMs = median(verifyRuns)
    const gitLogMs = timeCommand('git', ['-C', conv.path, 'log', '--format=%H'], 5)
    figures.push({
      what: `verify ${count} commits from scratch (packed)`,
      value: `${(verifyMs / 1000).toFixed(2)} s${ok ? '' : ' (INVALID!)'}`,
      target: '≤ 3 s',
      met: ok && verifyMs <= 3000,
      note: `git log walk ${gitLogMs.toFixed(0)} ms; ratio ${(verifyMs / gitLogMs).toFixed(1)}x`,
    })

    // 3. Open the conversation and load the newest 50 messages with no warm state (new objects).
    const opens: number[] = []
    for (let r = 0; r < 7; r++) {
      const t = time(() => {
        const fresh = Conversation.open(conv.path)
        const msgs = fresh.loadMessages({ n: 50 })
        fresh.close()
        return msgs.length
      })
      opens.push(t.ms)
    }
    const openMs = median(opens.slice(1))
    figures.push({ what: 'open + newest 50 messages, cold objects (index present)', value: `${openMs.toFixed(1)} ms`, target: '≤ 50 ms', met: openMs <= 50 })
    const childMs = Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', CHILD.replace('$PATH', conv.path)], { encoding: 'utf8' }).trim(),
    )
    figures.push({ what: 'same, in a fresh process (after module load)', value: `${childMs.toFixed(1)} ms`, target: '≤ 50 ms', met: childMs <= 50 })
    return figures
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * What the filesystem charges for one small new file: created and renamed (the cost floor of a
 * fast append), or created and flushed (the floor of a durable one).
 */
function fileCost(dir: string, how: 'rename' | 'flush'): number {
  const probe = mkdtempSync(join(dir, 'probe-'))
  const n = how === 'rename' ? 500 : 200
  const t = performance.now()
  for (let i = 0; i < n; i++) {
    const fd = openSync(join(probe, `t${i}`), 'wx')
    writeSync(fd, 'x'.repeat(300))
    if (how === 'flush') fdatasyncSync(fd)
    closeSync(fd)
    if (how === 'rename') renameSync(join(probe, `t${i}`), join(probe, `o${i}`))
  }
  const ms = (performance.now() - t) / n
  rmSync(probe, { recursive: true, force: true })
  return ms
}

const CHILD = `
const { Conversation } = await import(${JSON.stringify(new URL('../src/swarm/conversation.js', import.meta.url).href)})
const t = performance.now()
const c = Conversation.open('$PATH')
const n = c.loadMessages({ n: 50 }).length
if (n !== 50) throw new Error('got ' + n)
console.log(performance.now() - t)
`

if (import.meta.url === `file://${process.argv[1]}`) {
  printFigures('Repository core', await benchRepository({ commits: 20_000, appends: 2_000 }))
}
