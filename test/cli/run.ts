/**
 * Runs the built `gitswarm` binary (npm test builds it first) and captures its output.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

export const BIN = join(import.meta.dirname, '../../bin/gitswarm.js')

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

export function gitswarm(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    timeout: 60_000,
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
