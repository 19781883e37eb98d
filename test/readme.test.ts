/**
 * Every code block of the README runs here, as a reader would run it: TypeScript blocks as
 * modules importing 'gitswarm' (this package, built), shell blocks line by line in a fresh
 * directory with `npx gitswarm` being this checkout's binary. Two blocks are the set-up
 * itself: `npm ci` is what installed this checkout (the rest of its line runs), and
 * `npm cit` is the command that runs this very suite — .ci/run must end with it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN } from './cli/run.js'

const root = join(import.meta.dirname, '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m, i) => ({ lang: m[1]!, code: m[2]!, line: readme.slice(0, m.index).split('\n').length, i }))
const scratch = join(root, 'test/.readme')
mkdirSync(scratch, { recursive: true })
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A PATH where `npx gitswarm` is this checkout's binary (and `npm ci` already happened). */
function shims(): string {
  const bin = mkdtempSync(join(tmpdir(), 'gitswarm-readme-bin-'))
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\nif [ "$1" = gitswarm ]; then shift; exec "${process.execPath}" "${BIN}" "$@"; fi\necho "npx $1: not in the README's commands" >&2; exit 127\n`)
  chmodSync(join(bin, 'npx'), 0o755)
  return bin
}

/**
 * A line ending in `&`: a long-running command (a node), started by PID (exec, so the PID is
 * the node's own) and waited for until it says it started.
 */
async function startDaemonLine(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')))
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')))
  const end = Date.now() + 30_000
  while (!/^started /m.test(output)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`"${command}" did not start:\n${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return { child, output: () => output }
}

describe('the README', () => {
  it('has code blocks, each one in a language this test runs', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5)
    for (const b of blocks) expect(['ts', 'sh'], `block at line ${b.line}`).toContain(b.lang)
  })

  for (const b of blocks) {
    it(`runs the ${b.lang} block at line ${b.line}`, async () => {
      if (b.lang === 'ts') {
        const file = join(scratch, `block-${b.i}.ts`)
        writeFileSync(file, b.code)
        await import(file)
        return
      }
      const lines = b.code.trim().split('\n')
      if (lines.length === 1 && lines[0] === 'npm cit') {
        const ci = readFileSync(join(root, '.ci/run'), 'utf8').trim().split('\n')
        expect(ci.at(-1)).toBe('npm cit')
        return
      }
      const cwd = mkdtempSync(join(tmpdir(), 'gitswarm-readme-'))
      const env = { ...process.env, PATH: `${shims()}:${process.env['PATH']}` }
      const background: Array<{ child: ChildProcess; output: () => string }> = []
      try {
        for (const line of lines) {
          const command = line.replace(/^npm ci && /, '').replace(/\s+#.*$/, '')
          if (command.endsWith('&')) {
            background.push(await startDaemonLine(command.slice(0, -1).trim(), cwd, env))
            continue
          }
          execFileSync('bash', ['-euo', 'pipefail', '-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
        }
        // A node left running: its web client answers, and it stops cleanly on SIGINT.
        for (const { child, output } of background) {
          const url = /web client: (http:\/\/127\.0\.0\.1:\d+\/)#token=[0-9a-f]{64}/.exec(output())?.[1]
          if (url) expect((await fetch(url)).status).toBe(200)
          const exited = new Promise((resolve) => child.once('exit', resolve))
          process.kill(child.pid!, 'SIGINT')
          expect(await exited).toBe(0)
        }
      } finally {
        for (const { child } of background) if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL')
        rmSync(cwd, { recursive: true, force: true })
      }
    }, 180_000)
  }
})
