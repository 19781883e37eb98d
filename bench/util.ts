/**
 * Benchmark helpers: timing, child processes, printing a table of figures and ratios.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gitswarm-bench-${prefix}-`))
}

export function time<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now()
  const value = fn()
  return { ms: performance.now() - t, value }
}

export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now()
  const value = await fn()
  return { ms: performance.now() - t, value }
}

/** Runs a command and returns its wall time in ms (median of `runs`). */
export function timeCommand(cmd: string, args: string[], runs = 3): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 })
    times.push(performance.now() - t)
  }
  return median(times)
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export interface Figure {
  what: string
  value: string
  target: string
  met: boolean | undefined
  note?: string
}

export function printFigures(title: string, figures: Figure[]): void {
  console.log(`\n## ${title}\n`)
  const rows = figures.map((f) => [f.what, f.value, f.target, f.met === undefined ? '' : f.met ? 'yes' : 'NO', f.note ?? ''])
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['what', 'measured', 'target', 'met', 'note'][i]!.length))
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  console.log(line(['what', 'measured', 'target', 'met', 'note']))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const r of rows) console.log(line(r))
}
