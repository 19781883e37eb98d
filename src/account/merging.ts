/**
 * Who merges the held heads of a group, and when (docs/design.md, "Convergence"). A device
 * that holds heads waits until nothing new arrived for QUIET_MS, plus STEP_MS for each
 * member device ranked before it — leaving out ring neighbours it knows to be away (it would
 * be linked with them). The rank is the order of sha256(conversation id + device id) over
 * the member devices in the repository: every device computes the same order, also in a
 * group too large for everyone to be linked with everyone, so usually the first one merges,
 * announces its merge, and the others fast-forward to it before their turn comes (a merge
 * that contains their heads ends their wait). A device ranked later merges only if the
 * earlier ones are away or did not cover what it holds.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Conversation } from '../swarm/conversation.js'
import { tracer } from '../util/trace.js'

const trace = tracer('merge')

/** No new head for this long before the first-ranked device merges. */
export const QUIET_MS = 600
/** Added per device ranked before this one: longer than a merge takes to reach the others. */
export const STEP_MS = 500

export interface MergingContext {
  deviceId: string
  /** Device ids of the member devices that could merge this conversation (not known to be away). */
  peers: (conv: Conversation) => string[]
  /** Merge commits were written: tell the others. */
  merged: (conv: Conversation) => void
  /** Whether a fetch of this conversation is under way here (the burst is not over for us). */
  busy: (conv: Conversation) => boolean
}

/** This device's place (0 = first) among `devices` in the merge order of `conversationId`. */
export function mergeRank(conversationId: string, self: string, devices: readonly string[]): number {
  const key = (d: string) => createHash('sha256').update(conversationId).update(d).digest('hex')
  const mine = key(self)
  return new Set(devices.filter((d) => d !== self && key(d) < mine)).size
}

export class MergeScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>()

  constructor(private readonly ctx: MergingContext) {}

  /** Something changed in `conv`'s heads: (re)starts the wait, or ends it when nothing is held. */
  schedule(conv: Conversation): void {
    clearTimeout(this.timers.get(conv.id))
    this.timers.delete(conv.id)
    if (conv.heldHeads().length === 0) return
    const rank = mergeRank(conv.id, this.ctx.deviceId, this.ctx.peers(conv))
    const delay = QUIET_MS + STEP_MS * rank
    const timer = setTimeout(() => {
      this.timers.delete(conv.id)
      // A fetch still running may bring more heads, or the merge that covers ours: wait it out.
      if (this.ctx.busy(conv)) return this.schedule(conv)
      const held = conv.heldHeads().length
      const written = this.mergeNow(conv)
      trace?.(`${this.ctx.deviceId.slice(0, 8)} rank ${rank}: ${held} held, ${written.length} merges`)
    }, delay)
    timer.unref()
    this.timers.set(conv.id, timer)
  }

  /** Merges what `conv` holds now (also what a previous run of the process left held). */
  mergeNow(conv: Conversation): string[] {
    if (conv.heldHeads().length === 0) return []
    const written = conv.mergeHeld()
    if (written.length > 0) this.ctx.merged(conv)
    return written
  }

  /** Stops every wait (the account leaves the network); held heads stay on disk. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }
}
