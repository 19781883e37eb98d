/**
 * `gitswarm node` as a child process for tests: its JSON event lines collected, waiting for
 * one with a bound in time, stopping by PID (SIGINT, as a person would), and every process
 * started here killed by PID after the test file even when a test fails.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll } from 'vitest'
import { BIN } from './run.js'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL')
})

export interface RunningNode {
  child: ChildProcess
  lines: Array<{ event: string; args: unknown[] }>
  waitFor(match: (e: { event: string; args: unknown[] }) => boolean, what: string, timeoutMs?: number): Promise<{ event: string; args: unknown[] }>
}

export function startNode(account: string, extra: string[] = []): RunningNode {
  const child = spawn(process.execPath, [BIN, 'node', '--account', account, '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  const lines: RunningNode['lines'] = []
  let buffered = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)))
      buffered = buffered.slice(nl + 1)
    }
  })
  const waitFor: RunningNode['waitFor'] = (match, what, timeoutMs = 20_000) =>
    new Promise((resolve, reject) => {
      const end = Date.now() + timeoutMs
      const poll = () => {
        const hit = lines.find(match)
        if (hit) return resolve(hit)
        if (Date.now() > end) return reject(new Error(`${account}: no ${what} within ${timeoutMs} ms; got ${lines.map((l) => l.event).join(', ')}`))
        setTimeout(poll, 20)
      }
      poll()
    })
  return { child, lines, waitFor }
}

export async function stopNode(n: RunningNode): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => n.child.once('exit', (code) => resolve(code)))
  process.kill(n.child.pid!, 'SIGINT')
  return exited
}

