/**
 * Live delivery and gossip (reference jami-swarm.md §5.2–5.4): a new commit is announced on
 * `msg:` to the connected member devices and own devices; a device that receives an
 * announcement fetches from the announcer (one fetch per device and conversation at a time;
 * a newer announcement meanwhile makes it fetch once more), validates, merges, and relays the
 * announcement to its connected members that did not tell it they have it — bounded by the
 * ring's 16 links, so a message crosses the group in about log n hops without a full mesh.
 * A fetch that fails (the peer went away mid-fetch, a lossy link reset the channel) is retried
 * from another member device, and from the announcer again after 1, 2, 4… s (five times)
 * while it is connected and the commit still missing.
 * Announcements for linked devices that are offline wait in the outbox.
 * @module
 */
import { ChannelRefusedError } from '../errors.js'
import type { Conversation } from '../swarm/conversation.js'
import type { SyncResult } from '../swarm/sync.js'
import type { VerifiedPeer } from './hello.js'
import { relayTargets } from './gossip.js'
import { MergeScheduler } from './merging.js'
import { conversationNeighbours, memberDevices } from './peers.js'
import { mayFetch, peerOf, type SwarmNode } from './swarm-node.js'
import type { AccountStore } from './store.js'
import { announceFrame, type Announcement } from './wire.js'
import type { ConversationError } from './events.js'
import { tracer } from '../util/trace.js'

const trace = tracer('delivery')
const short = (id: string) => id.slice(0, 8)

/** Remembered announcers per commit, for relaying: enough for the recent past. */
const KNOWN_COMMITS = 4096
const RETRY_FIRST_MS = 1000
const RETRIES = 5
/** A relay waits RELAY_PAUSE_MS plus up to RELAY_JITTER_MS (see relayLater). */
const RELAY_PAUSE_MS = 20
const RELAY_JITTER_MS = 200

export interface DeliveryContext {
  node: SwarmNode
  store: AccountStore
  deviceId: string
  /** This device's Tox key, hex. */
  toxPk: string
  accountUri: string
  /** Own other devices' Tox keys. */
  ownDevices: () => string[]
  error: (conversationId: string, error: ConversationError) => void
  /** Called when no fetch is in flight any more. */
  idle: () => void
}

export class Delivery {
  private readonly running = new Map<string, { again: boolean; commits: Set<string>; done: Promise<void> }>()
  private readonly announcers = new Map<string, Set<string>>()
  /** Retries of an announced commit whose fetch failed, by conversation and commit. */
  private readonly retries = new Map<string, { count: number; timer?: NodeJS.Timeout }>()
  private inflight = 0
  private readonly relays = new Set<NodeJS.Timeout>()
  /** Merges the heads held from fetches, one device for the group (./merging.ts). */
  readonly merging: MergeScheduler

  constructor(private readonly ctx: DeliveryContext) {
    this.merging = new MergeScheduler({
      deviceId: ctx.deviceId,
      peers: (conv) => {
        // Every member device may merge, except ring neighbours we know to be away (we would be linked with them).
        const online = new Set(ctx.node.onlinePeers().map((p) => p.deviceId))
        const away = new Set(conversationNeighbours(conv, ctx.deviceId).filter((d) => !online.has(d.deviceId)).map((d) => d.deviceId))
        return memberDevices(conv).filter((d) => !away.has(d.deviceId)).map((d) => d.deviceId)
      },
      merged: (conv) => void this.announce(conv),
      busy: (conv) => this.fetchesOf(conv).length > 0,
    })
  }

  /** Devices that announced `commit` of `conversationId` to us. */
  private known(conversationId: string, commit: string): Set<string> {
    const key = `${conversationId}:${commit}`
    let set = this.announcers.get(key)
    if (!set) {
      set = new Set()
      this.announcers.set(key, set)
      if (this.announcers.size > KNOWN_COMMITS) this.announcers.delete(this.announcers.keys().next().value!)
    }
    return set
  }

  /** Whether a connected peer may receive announcements of `conv`: own devices and members. */
  private entitled(conv: Conversation, peer: VerifiedPeer): boolean {
    return peer.accountUri === this.ctx.accountUri || mayFetch(conv, peerOf(peer))
  }

  /**
   * Announces `conv`'s head (or another `commit` we show, e.g. a held head) to connected member devices and own devices (except `source`,
   * where it came from, and those that announced it to us); linked devices that are offline
   * get it through the outbox. Returns the devices told now.
   */
  announce(conv: Conversation, source?: string, commit = conv.head): string[] {
    const online = this.ctx.node.onlinePeers().filter((p) => this.entitled(conv, p))
    const known = this.known(conv.id, commit)
    const targets = relayTargets(online.map((p) => p.toxPk), source, known)
    // Whoever gets this frame learns who else has the commit, and does not relay it to them.
    const have = [...new Set([...targets, ...known, ...(source ? [source] : []), this.ctx.toxPk])].map((pk) => pk.slice(0, 16))
    const frame = announceFrame({ conversationId: conv.id, commit, deviceId: this.ctx.deviceId, told: have })
    const told = targets.filter((pk) => this.ctx.node.send(pk, frame))
    trace?.(`announce ${short(commit)} to ${told.map(short).join(',') || 'nobody'}${told.length < targets.length ? ` (not sent: ${targets.filter((t) => !told.includes(t)).map(short).join(',')})` : ''}`)
    const onlineKeys = new Set(online.map((p) => p.toxPk))
    const linked = new Set([...this.ctx.ownDevices(), ...conversationNeighbours(conv, this.ctx.deviceId).map((d) => d.toxPk)])
    const now = Date.now()
    const offline = [...linked].filter((pk) => !onlineKeys.has(pk) && pk !== source)
    this.ctx.store.enqueue(offline.map((pk) => ({ to: pk, key: `git:${conv.id}`, frame })), now)
    return told
  }

  /** An announcement from a verified peer for a conversation we hold. */
  onAnnouncement(conv: Conversation, peer: VerifiedPeer, a: Announcement): void {
    const known = this.known(conv.id, a.commit)
    known.add(peer.toxPk)
    if (a.told) for (const p of this.ctx.node.onlinePeers()) if (a.told.includes(p.toxPk.slice(0, 16))) known.add(p.toxPk)
    const have = conv.history().has(a.commit)
    trace?.(`announcement ${short(a.commit)} from ${short(peer.toxPk)}${have ? ' (have it)' : ''}`)
    if (have) return
    if (!this.entitled(conv, peer)) {
      this.ctx.error(conv.id, { code: 'unauthorized', what: `an announcement from ${peer.accountUri}, who may not write to this conversation`, peer: peer.deviceId, commit: a.commit })
      return
    }
    // Already on its way from another device (a relay's announcement of what the writer
    // announced too): one fetch is enough; if it fails, the others are asked anyway.
    if (this.fetchesOf(conv).some((entry) => entry.commits.has(a.commit))) return
    void this.pull(conv, peer, a.commit)
  }

  /**
   * The connection to `peer` went away (it is not online any more): whatever the fetch then
   * said — a channel refused or reset, a pack cut short — comes from that.
   */
  private connectionLost(peer: VerifiedPeer): boolean {
    return !this.ctx.node.onlinePeers().some((p) => p.toxPk === peer.toxPk)
  }

  /** The fetches of `conv` running now (one per device fetched from). */
  private fetchesOf(conv: Conversation): Array<{ commits: Set<string> }> {
    return [...this.running].filter(([key]) => key.startsWith(`${conv.id}:`)).map(([, entry]) => entry)
  }

  /**
   * Fetches `conv` from `peer` (queued behind a running fetch from the same device: that one
   * runs once more). Every announced commit still missing afterwards — also one announced
   * while a fetch that then failed was running — is asked of the other connected member
   * devices in turn, and of the announcer again later.
   */
  pull(conv: Conversation, peer: VerifiedPeer, commit?: string): Promise<void> {
    const key = `${conv.id}:${peer.toxPk}`
    const current = this.running.get(key)
    if (current) {
      trace?.(`pull ${short(peer.toxPk)}${commit ? ' for ' + short(commit) : ''}: again after the running one`)
      current.again = true
      if (commit) current.commits.add(commit)
      return current.done
    }
    const entry = { again: false, commits: new Set(commit ? [commit] : []), done: Promise.resolve() }
    this.running.set(key, entry)
    this.inflight++
    entry.done = (async () => {
      try {
        do {
          entry.again = false
          let result: SyncResult
          try {
            trace?.(`pull ${short(peer.toxPk)} for ${[...entry.commits].map(short).join(',') || 'catch-up'}`)
            const started = performance.now()
            result = await this.ctx.node.pull(conv.id, peerOf(peer))
            trace?.(`pull ${short(peer.toxPk)}: ${result.result}, ${result.commits} commits, head ${short(result.head)}, ${(performance.now() - started).toFixed(0)} ms`)
          } catch (err) {
            trace?.(`pull ${short(peer.toxPk)} failed: ${(err as Error).message}`)
            // A catch-up pull (nothing known to be missing) from a member that does not have the
            // conversation yet, or whose connection went away (we let go of it, or it left), is
            // no error: the next connection catches up again.
            if (entry.commits.size > 0 || !(notThere(err) || this.connectionLost(peer))) this.ctx.error(conv.id, { code: 'fetch', what: `fetch from ${peer.deviceId.slice(0, 12)}… failed: ${(err as Error).message}`, peer: peer.deviceId })
            break
          }
          this.afterPull(conv, peer, result)
        } while (entry.again)
      } finally {
        // From here on a new announcement starts a new fetch: none may wait behind the slow asking around below.
        this.running.delete(key)
      }
      try {
        // A failed fetch, or an announcer that could not give what it announced (a lagging or
        // lying peer): ask the others, then the announcer again later.
        for (const c of [...entry.commits].filter((c) => !conv.history().has(c))) {
          await this.fetchElsewhere(conv, c, peer.toxPk)
          if (!conv.history().has(c)) this.retryLater(conv, peer, c)
        }
      } finally {
        if (--this.inflight === 0) this.ctx.idle()
      }
    })()
    return entry.done
  }

  /**
   * What a fetch result tells the others: our merge is news to everyone, a fast-forward and
   * a newly held head to all but their source. Held heads wait for a merge (./merging.ts).
   */
  private afterPull(conv: Conversation, peer: VerifiedPeer, result: SyncResult): void {
    if (result.result === 'merged') this.announce(conv)
    else if (result.result === 'fast-forward') this.relayLater(conv, peer.toxPk)
    for (const tip of result.held ?? []) this.relayLater(conv, peer.toxPk, tip)
    if (result.result !== 'up-to-date') this.merging.schedule(conv)
  }

  /**
   * Relays an announcement after a random pause of up to RELAY_JITTER_MS: the devices that
   * got the commit at the same time relay it too, and whoever told us first is skipped — so
   * each device hears a new commit from a few, not from every link it has.
   */
  private relayLater(conv: Conversation, source: string, commit?: string): void {
    const timer = setTimeout(() => {
      this.relays.delete(timer)
      this.announce(conv, source, commit ?? conv.head)
    }, RELAY_PAUSE_MS + Math.random() * RELAY_JITTER_MS)
    timer.unref()
    this.relays.add(timer)
  }

  /** The announcer again later (backing off), while it is connected and `commit` still missing. */
  private retryLater(conv: Conversation, peer: VerifiedPeer, commit: string): void {
    const key = `${conv.id}:${commit}`
    const r = this.retries.get(key) ?? { count: 0 }
    if (r.timer || r.count >= RETRIES) return
    this.retries.set(key, r)
    r.timer = setTimeout(() => {
      r.timer = undefined
      r.count++
      const still = this.ctx.node.onlinePeers().find((p) => p.toxPk === peer.toxPk)
      if (!still || conv.history().has(commit)) return void this.retries.delete(key)
      void this.pull(conv, still, commit).then(() => {
        // Done: it arrived, or the last try failed (a failure before that scheduled the next).
        if (conv.history().has(commit) || r.count >= RETRIES) this.retries.delete(key)
      })
    }, RETRY_FIRST_MS * 2 ** r.count)
    r.timer.unref()
  }

  /** Stops the retries (the account leaves the network). */
  close(): void {
    for (const r of this.retries.values()) clearTimeout(r.timer)
    this.retries.clear()
    for (const timer of this.relays) clearTimeout(timer)
    this.relays.clear()
    this.merging.close()
  }

  private async fetchElsewhere(conv: Conversation, commit: string, failed: string): Promise<void> {
    const others = this.ctx.node.onlinePeers().filter((p) => p.toxPk !== failed && this.entitled(conv, p))
    for (const other of others) {
      if (conv.history().has(commit)) return
      if (this.running.has(`${conv.id}:${other.toxPk}`)) continue
      await this.pull(conv, other)
    }
  }

  /**
   * Fetches every conversation `peer` may share with us (Jami's syncConversations on connect).
   * A device of a member that the conversation does not list yet (one restored from an old
   * archive, say) is told the head too: it may not know the conversation at all, and asks for
   * an invitation when it does not.
   */
  catchUp(conversations: Iterable<Conversation>, peer: VerifiedPeer): void {
    for (const conv of conversations) {
      if (!this.entitled(conv, peer)) continue
      void this.pull(conv, peer)
      if (peer.accountUri !== this.ctx.accountUri && !memberDevices(conv).some((d) => d.deviceId === peer.deviceId)) {
        this.ctx.node.send(peer.toxPk, announceFrame({ conversationId: conv.id, commit: conv.head, deviceId: this.ctx.deviceId }))
      }
    }
  }
}

/** The member asked does not have the conversation (yet). */
function notThere(err: unknown): boolean {
  return err instanceof ChannelRefusedError && err.data['reason'] === 'unknown'
}
