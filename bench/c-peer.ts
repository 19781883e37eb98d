/**
 * The c-toxcore test peer (test/interop/toxpeer.c) as a child process: built once per
 * machine against libtoxcore-dev, started, driven by stdin commands and read line by line.
 * Used by the interop tests and by the benchmarks, which measure c-toxcore next to gitswarm.
 * @module
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..')
const SOURCE = join(ROOT, 'test/interop/toxpeer.c')

/** Why the C peer cannot be built here (no compiler, no libtoxcore-dev), or undefined when it can. */
export function cPeerUnavailable(): string | undefined {
  try {
    execFileSync('pkg-config', ['--exists', 'toxcore'], { stdio: 'ignore' })
  } catch {
    return 'libtoxcore-dev (with pkg-config) is not installed'
  }
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' })
  } catch {
    return 'no C compiler (cc)'
  }
  return undefined
}

/** Compiles toxpeer.c (cached by source hash) and returns the binary's path. */
export function buildCPeer(): string {
  const source = readFileSync(SOURCE)
  const dir = join(tmpdir(), 'gitswarm-toxpeer')
  const binary = join(dir, `toxpeer-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`)
  if (existsSync(binary)) return binary
  mkdirSync(dir, { recursive: true })
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'toxcore'], { encoding: 'utf8' }).trim().split(/\s+/)
  const temp = `${binary}.${process.pid}`
  execFileSync('cc', ['-O2', '-o', temp, SOURCE, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] })
  execFileSync('mv', [temp, binary])
  return binary
}

/** Asks a child process to end, kills it by PID if it has not within 3 s, and waits for its exit. */
function stopChild(child: ChildProcessWithoutNullStreams, ask: () => void): Promise<void> {
  const done = new Promise<void>((r) => child.once('exit', () => r()))
  ask()
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  return done.finally(() => clearTimeout(timer))
}

/** A running C peer: its keys and port, every line it printed, and a way to wait for one. */
export class CPeer {
  readonly lines: string[] = []
  toxId = ''
  dhtPk = ''
  port = 0
  private waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = []
  private exited = false

  private constructor(readonly process: ChildProcessWithoutNullStreams) {
    let partial = ''
    process.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk
      let nl: number
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl)
        partial = partial.slice(nl + 1)
        this.onLine(line)
      }
    })
    process.stderr.resume()
    process.on('exit', () => (this.exited = true))
  }

  /** Starts `toxpeer <mode> [<args>…] <seconds>`; for `peer`, resolves once its keys and port are known. */
  /**
   * `options.wrap` is a command prefix to run it under (the network lab's `ip netns exec <ns>`);
   * `options.env` adds environment (TOXPEER_LAN=1: LAN discovery on).
   */
  static async start(mode: 'peer' | 'bench' | 'filebench', seconds: number, args: string[] = [], options: { wrap?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<CPeer> {
    const [cmd, ...prefix] = [...(options.wrap ?? []), buildCPeer()]
    const peer = new CPeer(spawn(cmd!, [...prefix, mode, ...args, String(seconds)], { stdio: 'pipe', env: { ...process.env, ...options.env } }))
    if (mode === 'peer') {
      peer.toxId = (await peer.waitFor(/^ID /, 10_000)).slice(3)
      peer.dhtPk = (await peer.waitFor(/^DHT /, 10_000)).slice(4)
      peer.port = Number((await peer.waitFor(/^PORT /, 10_000)).slice(5))
    }
    return peer
  }

  /** The peer's long-term public key (the first 32 bytes of its Tox ID). */
  get realPk(): Uint8Array {
    return Buffer.from(this.toxId.slice(0, 64), 'hex')
  }

  private onLine(line: string): void {
    this.lines.push(line)
    for (const w of [...this.waiters]) {
      if (w.test(line)) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  }

  /** Resolves with the first line (already printed or to come) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find((l) => pattern.test(l))
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const waiter = {
        test: (l: string) => pattern.test(l),
        resolve: (l: string) => {
          clearTimeout(timer)
          resolve(l)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error(`c-toxcore peer: no line matching ${pattern} within ${timeoutMs} ms (last: ${this.lines.slice(-3).join(' | ')})`))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  /** Lines matching `pattern` printed so far. */
  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length
  }

  send(command: string): void {
    this.process.stdin.write(`${command}\n`)
  }

  /** Stops the process (stdin closed ends it) and waits for it to exit. */
  stop(): Promise<void> {
    return this.exited ? Promise.resolve() : stopChild(this.process, () => this.process.stdin.end())
  }
}

/** tox-bootstrapd (Debian's toxcore-utils) on 127.0.0.1 ports, LAN discovery off, optionally a TCP relay. */
export class Bootstrapd {
  dhtPk = ''
  private exited = false

  private constructor(
    readonly process: ChildProcessWithoutNullStreams,
    readonly port: number,
    readonly tcpPort: number,
    readonly dir: string,
  ) {
    process.on('exit', () => (this.exited = true))
  }

  /** Why tox-bootstrapd cannot run here, or undefined when it can. */
  static unavailable(): string | undefined {
    try {
      execFileSync('tox-bootstrapd', ['--help'], { stdio: 'ignore' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'tox-bootstrapd (toxcore-utils) is not installed'
    }
    return undefined
  }

  /** `wrap`: a command prefix to run it under (the network lab's `ip netns exec <ns>`). */
  static async start(port: number, tcpPort: number, wrap: string[] = []): Promise<Bootstrapd> {
    const dir = mkdtempSync(join(tmpdir(), 'gitswarm-bootstrapd-'))
    const config = [
      `port = ${port}`,
      `keys_file_path = "${dir}/keys"`,
      `pid_file_path = "${dir}/pid"`,
      'enable_ipv6 = false',
      'enable_ipv4_fallback = true',
      'enable_lan_discovery = false',
      'enable_tcp_relay = true',
      `tcp_relay_ports = [${tcpPort}]`,
      'enable_motd = true',
      'motd = "gitswarm tests"',
      'bootstrap_nodes = ()',
    ].join('\n')
    writeFileSync(join(dir, 'conf'), config)
    const [cmd, ...prefix] = [...wrap, 'tox-bootstrapd']
    const child = spawn(cmd!, [...prefix, '--config', join(dir, 'conf'), '--foreground', '--log-backend', 'stdout'], { stdio: 'pipe' })
    const d = new Bootstrapd(child, port, tcpPort, dir)
    d.dhtPk = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`tox-bootstrapd did not start: ${out}`)), 10_000)
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        const m = out.match(/Public Key: ([0-9A-F]{64})/)
        if (m) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
      child.on('exit', (code) => reject(new Error(`tox-bootstrapd exited with ${code}: ${out}`)))
    })
    child.stderr.resume()
    return d
  }

  async stop(): Promise<void> {
    if (!this.exited) await stopChild(this.process, () => this.process.kill('SIGTERM'))
    rmSync(this.dir, { recursive: true, force: true })
  }
}
