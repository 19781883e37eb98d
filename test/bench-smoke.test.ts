/**
 * `npm run bench` at a tiny BENCH_SCALE, whole: a bench that crashes or loses a section fails
 * here, not on the day someone measures. Figures are not judged (a loaded CI machine is no
 * place for them); only that every section ran to its table. Sections whose prerequisites are
 * missing (root, c-toxcore) print "skipped" — allowed outside CI only.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SECTIONS = ['Repository core', 'Sync (issue', 'Sync over Tox tunnels', 'Tox transport', 'Tox network', 'Accounts on the network', 'Groups where several people write at once', 'Files on demand', 'Long-lived conversations', 'Faults', 'Network lab']
const bench = fileURLToPath(new URL('../dist/bench/index.js', import.meta.url))

function runBench(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bench], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('npm run bench (smoke run)', () => {
  it('runs every section to its table at BENCH_SCALE=0.001 and exits 0', async () => {
    const { code, out } = await runBench({ BENCH_SCALE: '0.001' })
    expect(code, out.slice(-4000)).toBe(0)
    const headings = out.split('\n').filter((l) => l.startsWith('## '))
    expect(headings.map((h) => SECTIONS.findIndex((s) => h.startsWith(`## ${s}`)))).toEqual(SECTIONS.map((_, i) => i))
    expect(out).not.toContain('INVALID')
    if (process.env['CI'] === 'true') expect(out).not.toMatch(/\| skipped /)
  }, 600_000)
})
