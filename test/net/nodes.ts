/**
 * Accounts as real `gitswarm node --json` processes inside the lab's namespaces, driven
 * through their control sockets (a Unix socket is a file: reachable from the test's own
 * namespace) and heard through the events they print, one JSON object a line.
 * @module
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Account } from '../../src/account/account.js'
import type { MethodName } from '../../src/daemon/api.js'
import { callAccount } from '../../src/daemon/client.js'
import type { Lab } from './lab.js'

/** The package root, from the sources (test/net) or the build (dist/test/net). */
function packageRoot(): string {
  let dir = import.meta.dirname
  while (!existsSync(join(dir, 'bin', 'gitswarm.js'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('bin/gitswarm.js not found above ' + import.meta.dirname)
    dir = up
  }
  return dir
}

export const GITSWARM_BIN = join(packageRoot(), 'bin', 'gitswarm.js')

export interface NodeEvent {
  event: string
  args: unknown[]
  /** performance.now() when the line was read. */
  at: number
}

/** A process in the lab that prints one `{event, args}` JSON object a line. */
export class EventProcess {
  readonly events: NodeEvent[] = []
  private waiters: Array<{ test: (e: NodeEvent) => boolean; resolve: (e: NodeEvent) => void }> = []
  protected stderr = ''

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let partial = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk
      let nl: number
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl)
        partial = partial.slice(nl + 1)
        let parsed: { event: string; args: unknown[] } | undefined
        try {
          parsed = JSON.parse(line) as { event: string; args: unknown[] }
        } catch {
          continue // not an event line
        }
        this.onEvent({ ...parsed, at: performance.now() })
      }
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)))
  }

  /** Resolves with the first event `event`; rejects if the process exits first or after `timeoutMs`. */
  protected async started(event: string, timeoutMs: number): Promise<NodeEvent> {
    const exited = new Promise<never>((_, reject) => this.child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code}: ${this.stderr}`))))
    exited.catch(() => {})
    return Promise.race([this.waitFor(event, () => true, timeoutMs), exited])
  }

  private onEvent(e: NodeEvent): void {
    this.events.push(e)
    for (const w of [...this.waiters]) {
      if (w.test(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(e)
      }
    }
  }

  /** The first event `event` (printed already or to come) whose arguments pass `test`. */
  waitFor(event: string, test: (...args: any[]) => boolean, timeoutMs: number): Promise<NodeEvent> {
    const match = (e: NodeEvent) => e.event === event && test(...e.args)
    const seen = this.events.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const waiter = { test: match, resolve: (e: NodeEvent) => (clearTimeout(timer), resolve(e)) }
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        // Errors are told in full (they say why), syncs with their peer and result, the rest by name; times from the wait's start.
        const since = performance.now() - timeoutMs
        const last = this.events.slice(-16).map((x) => `${((x.at - since) / 1000).toFixed(1)}s ${describeEvent(x)}`)
        reject(new Error(`${this.name}: no ${event} event within ${timeoutMs} ms (last events: ${last.join(', ')}; stderr: ${this.stderr.slice(-3000)})`))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Stops the process (SIGTERM by PID, SIGKILL after 5 s) and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.running) return
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()))
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    this.child.kill('SIGTERM')
    await gone
    clearTimeout(timer)
  }
}

/** A `gitswarm node` process in a lab namespace. */
export class LabNode extends EventProcess {
  /** What the node printed first: its account, device, Tox ID and bootstrap address. */
  info!: { account: string; device: string; toxId: string; bootstrap: string }

  private constructor(
    name: string,
    readonly dir: string,
    child: ChildProcess,
  ) {
    super(name, child)
  }

  /** Creates the account directory (once) with `displayName`. */
  static async create(dir: string, displayName: string): Promise<void> {
    if (existsSync(join(dir, 'account.json'))) return
    const a = await Account.create(dir, { displayName })
    await a.stop()
  }

  /** Starts `gitswarm node --account <dir> --json <args>` in namespace `ns`; resolves once it printed `started`. */
  static async start(lab: Lab, ns: string, name: string, dir: string, args: string[]): Promise<LabNode> {
    const node = new LabNode(name, dir, lab.spawn(ns, process.execPath, [GITSWARM_BIN, 'node', '--account', dir, '--json', ...args], { env: { ...process.env, GITSWARM_TRACE: 'delivery' } }))
    node.info = (await node.started('started', 20_000)).args[0] as LabNode['info']
    return node
  }

  /** Calls an Account method through the node's control socket. */
  async call<T = unknown>(op: MethodName, ...args: unknown[]): Promise<T> {
    const { result, via } = await callAccount(this.dir, op, args)
    if (via !== 'node') throw new Error(`${this.name}: no node answered on the control socket`)
    return result as T
  }
}

/** A bare gitswarm ToxNode process (./tox-script.ts): for scenarios with c-toxcore peers. */
export class ToxScript extends EventProcess {
  info!: { toxId: string; dhtPk: string; port: number }

  static async start(lab: Lab, ns: string, name: string, args: string[]): Promise<ToxScript> {
    const script = join(packageRoot(), 'dist', 'test', 'net', 'tox-script.js')
    const p = new ToxScript(name, lab.spawn(ns, process.execPath, [script, ...args]))
    p.info = (await p.started('started', 20_000)).args[0] as ToxScript['info']
    return p
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n')
  }
}

/** Text messages of `conversationId` a node printed, by body. */
export function receivedBodies(node: LabNode, conversationId: string): string[] {
  return node.events.flatMap((e) => {
    if (e.event !== 'swarmMessageReceived' || e.args[0] !== conversationId) return []
    const m = e.args[1] as { type?: string; body?: { body?: string } }
    return m.type === 'text/plain' && typeof m.body?.body === 'string' ? [m.body.body] : []
  })
}

/** An event in a line: errors in full, syncs by peer and result, messages by text, the rest by name. */
function describeEvent(e: NodeEvent): string {
  if (/error/i.test(e.event)) return `${e.event} ${JSON.stringify(e.args).slice(0, 400)}`
  const arg = e.args[1] as Record<string, any> | undefined
  if (e.event === 'conversationSyncFinished') return `${e.event}(${String(arg?.['peer']).slice(0, 12)} ${arg?.['result']} ${arg?.['commits']})`
  if (e.event === 'swarmMessageReceived') return `${e.event}(${JSON.stringify(arg?.['body']?.['body'] ?? '').slice(0, 40)})`
  return e.event
}
