/**
 * A network lab of Linux network namespaces: hosts, switches (a bridge in a namespace of its
 * own), routers that forward between their links, NAT with nftables (masquerade keeping the
 * source port, or a random mapping per destination), UDP dropped or packets lost on a link
 * (nftables `numgen random`) and bandwidth caps (`tc … tbf`).
 *
 * What it never does: touch the root namespace. Every veth is created inside a lab namespace
 * (`ip -n <ns> link add … peer … netns <other>`), forwarding and firewall rules are set only
 * inside lab namespaces, and no namespace is linked to a real interface, so no packet can
 * leave the lab. Every namespace is named `gsl<pid>-…`; `destroy()` (and, should the test
 * process die first, an exit hook and the sweep of the next lab) stops every process started
 * in it by PID and deletes every namespace.
 * @module
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process'

/** Why the lab cannot run here (not root, no `ip netns`, no nft or tc), or undefined. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'the network lab needs root (ip netns)'
  for (const [tool, args] of [['ip', ['netns', 'list']], ['nft', ['--version']], ['tc', ['-V']]] as const) {
    const r = spawnSync(tool, args, { stdio: 'ignore' })
    if (r.error || r.status !== 0) return `${tool} is missing or refused (apt-get install iproute2 nftables)`
  }
  return undefined
}

const PREFIX = 'gsl'

/** Deletes namespaces left by lab processes that died without cleaning up (their PID is gone). */
function sweepOrphans(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)
    if (!m) continue
    const pid = Number(m[1])
    let alive = true
    try {
      process.kill(pid, 0)
    } catch {
      alive = false
    }
    if (!alive) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' })
  }
}

/** One interface of a lab namespace: its name there and its address. */
export interface Interface {
  ns: string
  name: string
  /** IPv4 address without the prefix length. */
  address: string
}

let labs = 0

export class Lab {
  private readonly namespaces: string[] = []
  private readonly children = new Set<ChildProcess>()
  private readonly tag: string
  private vethCount = 0
  private destroyed = false
  private readonly onExit = () => this.destroySync()
  /** Ctrl-C or a kill of the test process: clean up, then die of the same signal. */
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.destroySync()
    process.kill(process.pid, signal)
  }

  constructor() {
    sweepOrphans()
    this.tag = `${PREFIX}${process.pid}-${(labs++).toString(36)}`
    process.once('exit', this.onExit)
    process.once('SIGINT', this.onSignal)
    process.once('SIGTERM', this.onSignal)
  }

  /** Runs a command; throws with its stderr when it fails. */
  run(cmd: string, args: string[]): string {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 })
    } catch (err) {
      const e = err as { stderr?: string; message: string }
      throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`)
    }
  }

  /** Runs a command inside namespace `ns`. */
  exec(ns: string, cmd: string, args: string[]): string {
    return this.run('ip', ['netns', 'exec', ns, cmd, ...args])
  }

  /** A new namespace (its loopback up): a host, a router or a switch. */
  namespace(name: string): string {
    if (this.destroyed) throw new Error('the lab is destroyed')
    const ns = `${this.tag}-${name}`
    this.run('ip', ['netns', 'add', ns])
    this.namespaces.push(ns)
    this.run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    return ns
  }

  /** A switch: a namespace holding one bridge, `br0`, that hosts plug into. */
  switch(name: string): string {
    const ns = this.namespace(`sw-${name}`)
    this.run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge'])
    this.run('ip', ['-n', ns, 'link', 'set', 'br0', 'up'])
    return ns
  }

  /** A router: a namespace that forwards IPv4 between its interfaces (set in that namespace only). */
  router(name: string): string {
    const ns = this.namespace(name)
    this.exec(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    return ns
  }

  /** Plugs `ns` into switch `sw` with interface `ifname` at `cidr` (10.1.0.2/24, say). */
  plug(ns: string, sw: string, ifname: string, cidr: string): Interface {
    const port = `p${this.vethCount++}`
    this.run('ip', ['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns])
    this.run('ip', ['-n', sw, 'link', 'set', port, 'master', 'br0'])
    this.run('ip', ['-n', sw, 'link', 'set', port, 'up'])
    this.run('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', ifname])
    this.run('ip', ['-n', ns, 'link', 'set', ifname, 'up'])
    return { ns, name: ifname, address: cidr.split('/')[0]! }
  }

  /** Sends everything not on a local network through `via`. */
  defaultRoute(ns: string, via: string): void {
    this.run('ip', ['-n', ns, 'route', 'replace', 'default', 'via', via])
  }

  /** A route to `destination` (a CIDR) through `via`. */
  route(ns: string, destination: string, via: string): void {
    this.run('ip', ['-n', ns, 'route', 'replace', destination, 'via', via])
  }

  /** Takes an interface down or up (a cut cable, a dead uplink). */
  setLink(i: Interface, up: boolean): void {
    this.run('ip', ['-n', i.ns, 'link', 'set', i.name, up ? 'up' : 'down'])
    // The address and its routes go with the link; put the default route back with it.
  }

  /** nftables commands inside `ns`, one `nft -f` script. */
  nft(ns: string, script: string): void {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'], timeout: 10_000 })
  }

  /**
   * NAT on router `ns` for what leaves through `wan`: `preserve` keeps the source port where it
   * can (Linux masquerade, a port-restricted cone: one mapping per socket, replies only from
   * where it sent), `random` maps each new destination to a random port (a symmetric NAT).
   * Nothing from outside gets in unless it answers a mapping, and the router itself answers
   * nothing from outside (as a home router's firewall: an unsolicited packet leaves no trace —
   * a connection-tracking entry it made would take the port a punched mapping needs). No hairpin: a host inside that
   * sends to the router's outside address reaches the router itself, not its neighbour.
   */
  nat(ns: string, wan: Interface, mode: 'preserve' | 'random'): void {
    this.nft(
      ns,
      `table ip lab_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${wan.name}" masquerade${mode === 'random' ? ' random' : ''}
  }
}
table ip lab_filter {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${wan.name}" ct state established,related accept
    iifname "${wan.name}" drop
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${wan.name}" ct state established,related accept
    iifname "${wan.name}" drop
  }
}
`,
    )
  }

  /** Drops every UDP packet forwarded by router `ns` (a network that lets only TCP through). */
  dropUdp(ns: string): void {
    this.nft(ns, 'table inet lab_noudp {\n  chain forward {\n    type filter hook forward priority -10; policy accept;\n    meta l4proto udp drop\n  }\n}\n')
  }

  /** Loses `percent` % of the packets in and out of host `ns` at random (nftables numgen). */
  loss(ns: string, percent: number): void {
    const rule = `numgen random mod 100 < ${Math.round(percent)} drop`
    this.nft(ns, `table inet lab_loss {\n  chain input {\n    type filter hook input priority -10; policy accept;\n    iifname != "lo" ${rule}\n  }\n  chain output {\n    type filter hook output priority -10; policy accept;\n    oifname != "lo" ${rule}\n  }\n}\n`)
  }

  /** Caps what leaves through `i` at `mbit` Mbit/s (tc tbf). */
  cap(i: Interface, mbit: number): void {
    this.run('ip', ['netns', 'exec', i.ns, 'tc', 'qdisc', 'replace', 'dev', i.name, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '64kb', 'latency', '200ms'])
  }

  /** Removes a cap set by cap(). */
  uncap(i: Interface): void {
    this.run('ip', ['netns', 'exec', i.ns, 'tc', 'qdisc', 'del', 'dev', i.name, 'root'])
  }

  /**
   * Starts `cmd args` inside `ns` (`ip netns exec` becomes the command itself, so the PID is
   * the process's own), tracked until it exits and killed by PID in destroy().
   */
  spawn(ns: string, cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'pipe', ...options })
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  /** The command prefix that runs something inside `ns` (for helpers that spawn themselves). */
  inside(ns: string): string[] {
    return ['ip', 'netns', 'exec', ns]
  }

  /** Tracks a process started elsewhere inside the lab, so destroy() stops it. */
  adopt(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
  }

  /** Stops every process (SIGTERM, then SIGKILL after 3 s) by PID and deletes every namespace. */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    const live = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null && c.pid)
    await Promise.all(
      live.map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => kill(c.pid!, 'SIGKILL'), 3000)
            c.once('exit', () => (clearTimeout(timer), resolve()))
            kill(c.pid!, 'SIGTERM')
          }),
      ),
    )
    this.destroySync()
  }

  private destroySync(): void {
    if (this.destroyed) return
    this.destroyed = true
    process.off('exit', this.onExit)
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null && c.pid) kill(c.pid, 'SIGKILL')
    for (const ns of this.namespaces.reverse()) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
    this.namespaces.length = 0
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}
