/**
 * An in-process network of DHT nodes for tests and the simulation benchmark (as hyperdht's
 * testnet): the real DhtNode code over a simulated UDP — a virtual clock, per-packet latency
 * and loss, nodes that go offline — with no sockets. Thousands of nodes run in one process;
 * time only moves when `run` processes events.
 * @module
 */
import { boxKeyPair } from '../crypto/box.js'
import { Heap } from '../util/heap.js'
import { DhtNode, type Address, type DatagramLink } from './dht-node.js'

export interface TestnetOptions {
  /** Fraction of packets lost (default 0). */
  loss?: number
  /** One-way latency range in ms (default 10–50). */
  latencyMs?: [number, number]
  /** Seed of the network's own randomness (loss, latency, choices). */
  seed?: number
  /** How often each node's timers run, in virtual ms (default 1,000). */
  tickMs?: number
}

/** A small fast PRNG (mulberry32): the network's choices repeat for one seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Event {
  at: number
  run: () => void
}

/** One simulated host: its address, its DHT node, whether it is up. */
export class SimNode {
  online = true
  /** The node's packet handlers by packet kind (as a UDP endpoint's). */
  readonly handlers = new Map<number, (packet: Buffer, from: Address) => void>()
  readonly dht: DhtNode

  constructor(
    readonly net: Testnet,
    readonly address: Address,
  ) {
    const link: DatagramLink = {
      send: (packet, to) => net.deliver(this, Buffer.from(packet), to),
      on: (kind, handler) => void this.handlers.set(kind, handler),
    }
    // Keys and choices from the network's seeded generator: a run repeats exactly.
    const secret = Uint8Array.from({ length: 32 }, () => Math.floor(net.random() * 256))
    this.dht = new DhtNode(link, { now: () => net.now, random: net.random, keys: boxKeyPair(secret) })
  }
}

/** Many DHT nodes in one process on a virtual clock, with latency, loss and churn: for tests and the simulation. */
export class Testnet {
  now = 0
  readonly nodes: SimNode[] = []
  /** The seeded random source of the whole network. */
  readonly random: () => number
  /** Packets sent, delivered and lost (to loss or to an offline host). */
  readonly stats = { sent: 0, delivered: 0, lost: 0 }
  private readonly queue = new Heap<Event>((a, b) => a.at < b.at)
  private readonly byAddress = new Map<string, SimNode>()
  private readonly loss: number
  private readonly latency: [number, number]
  private readonly tickMs: number

  constructor(options: TestnetOptions = {}) {
    this.random = prng(options.seed ?? 1)
    this.loss = options.loss ?? 0
    this.latency = options.latencyMs ?? [10, 50]
    this.tickMs = options.tickMs ?? 1000
  }

  /** Adds a host (10.x.y.z:33445) whose timers start within one tick period. */
  addNode(): SimNode {
    const n = this.nodes.length + 1
    const address = { host: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 33445 }
    const node = new SimNode(this, address)
    this.nodes.push(node)
    this.byAddress.set(`${address.host}:${address.port}`, node)
    const tick = () => {
      if (node.online) node.dht.tick()
      this.schedule(this.tickMs, tick)
    }
    this.schedule(this.random() * this.tickMs, tick)
    return node
  }

  /** Runs `fn` after `delayMs` of virtual time. */
  schedule(delayMs: number, fn: () => void): void {
    this.queue.push({ at: this.now + delayMs, run: fn })
  }

  /** @internal */
  deliver(from: SimNode, packet: Buffer, to: Address): void {
    this.stats.sent++
    const dest = this.byAddress.get(`${to.host}:${to.port}`)
    if (!from.online || !dest || this.random() < this.loss) {
      this.stats.lost++
      return
    }
    const [lo, hi] = this.latency
    this.schedule(lo + this.random() * (hi - lo), () => {
      if (!dest.online) return void this.stats.lost++
      this.stats.delivered++
      dest.handlers.get(packet[0]!)?.(packet, from.address)
    })
  }

  /** Processes events until virtual time `until` (or `stop()` says so). */
  runUntil(until: number, stop?: () => boolean): void {
    for (let e = this.queue.peek(); e && e.at <= until; e = this.queue.peek()) {
      this.queue.pop()
      this.now = e.at
      e.run()
      if (stop?.()) return
    }
    this.now = Math.max(this.now, until)
  }

  /** Runs for `ms` of virtual time. */
  run(ms: number, stop?: () => boolean): void {
    this.runUntil(this.now + ms, stop)
  }

  /** A random online node. */
  pickOnline(): SimNode {
    for (;;) {
      const n = this.nodes[Math.floor(this.random() * this.nodes.length)]!
      if (n.online) return n
    }
  }
}
