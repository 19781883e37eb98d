/**
 * Every code block of the README runs here, as a reader would run it: TypeScript blocks as
 * modules importing 'gitswarm' (this package, built), shell blocks line by line in a fresh
 * directory with `npx gitswarm` being this checkout's binary. Two blocks are the set-up
 * itself: `npm ci` is what installed this checkout (the rest of its line runs), and
 * `npm cit` is the command that runs this very suite — .ci/run must end with it.
 */
import { execFileSync } from 'node:child_process'
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
      try {
        for (const line of lines) {
          const command = line.replace(/^npm ci && /, '')
          execFileSync('bash', ['-euo', 'pipefail', '-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
        }
      } finally {
        rmSync(cwd, { recursive: true, force: true })
      }
    }, 180_000)
  }
})
