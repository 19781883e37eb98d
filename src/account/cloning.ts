/**
 * Cloning accepted conversations (reference jami-swarm.md §5.7): from a connected device that
 * may have it — the inviter's devices first, then our own, then any member's. A refusal tries
 * the next; a clone that does not verify, or the inviter not having it at all, ends the
 * attempt (Jami's EUNRECOVERABLE); a lost connection retries later (backing off from 2 s to
 * a minute), and every peer that comes online or announces the conversation is asked again. A clone lands whole or not at all (../swarm/clone.ts).
 * @module
 */
import { rmSync } from 'node:fs'
import { GitswarmError } from '../errors.js'
import type { AccountContext } from './context.js'
import type { VerifiedPeer } from './hello.js'
import { peerOf, type SwarmNode } from './swarm-node.js'

const CLONE_RETRY_MS = 2000
const CLONE_RETRY_MAX_MS = 60_000

export class Cloner {
  private readonly cloning = new Set<string>()
  /** Asked for while an attempt was under way. */
  private readonly again = new Set<string>()
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Failed rounds per conversation, for the backoff. */
  private readonly rounds = new Map<string, number>()

  constructor(
    private readonly account: AccountContext,
    private readonly node: SwarmNode,
  ) {}

  close(): void {
    for (const t of this.timers) clearTimeout(t)
  }

  /**
   * Starts cloning `id` (once at a time). Asked again while an attempt is under way — a peer
   * came online that the attempt did not try — it runs once more after that attempt.
   */
  clone(id: string): void {
    if (this.cloning.has(id)) return void this.again.add(id)
    this.cloning.add(id)
    void this.cloneFromAny(id).finally(() => {
      this.cloning.delete(id)
      if (this.again.delete(id)) this.clone(id)
    })
  }

  private async cloneFromAny(id: string): Promise<void> {
    const { store } = this.account
    const info = store.conversations.value[id]
    if (!info?.syncing) return
    const from = info.syncing.from
    const rank = (p: VerifiedPeer) => (p.accountUri === from ? 0 : p.accountUri === this.account.uri ? 1 : 2)
    const candidates = this.node.onlinePeers().sort((a, b) => rank(a) - rank(b))
    let retry = false
    for (const peer of candidates) {
      const path = store.repositoryPath(id)
      rmSync(path, { recursive: true, force: true })
      try {
        const conv = await this.node.clone(id, peerOf(peer), path)
        this.rounds.delete(id)
        this.account.adoptClone(conv)
        return
      } catch (err) {
        const code = err instanceof GitswarmError ? err.code : ''
        const reason = err instanceof GitswarmError ? String(err.data['reason'] ?? '') : ''
        if (code === 'ERR_CHANNEL_REFUSED' && (reason === 'unknown' || reason === 'unauthorised')) {
          if (peer.accountUri === from && reason === 'unknown' && !candidates.some((c) => c.accountUri !== from && rank(c) < 2)) {
            return this.account.abandonClone(id, { code: 'unrecoverable', what: `${from} does not have conversation ${id}`, peer: peer.deviceId })
          }
          // A refusal is an answer (channels are decided after our hello): the next device
          // is asked; this one again only when it announces the conversation or reconnects.
          continue
        }
        // A mode we do not support is Jami's EINVALIDMODE; retrying would only fetch it again.
        if (code === 'ERR_INVALID_MODE') return this.account.abandonClone(id, { code: 'invalid-mode', what: (err as Error).message, peer: peer.deviceId })
        if (code === 'ERR_INVALID_COMMIT' || code === 'ERR_INVALID_STATE' || code === 'ERR_LIMIT_EXCEEDED') {
          return this.account.abandonClone(id, { code: 'invalid-fetch', what: (err as Error).message, peer: peer.deviceId, rule: (err as GitswarmError).data['rule'] as string | undefined })
        }
        retry = true
      }
    }
    if (retry) {
      const round = (this.rounds.get(id) ?? 0) + 1
      this.rounds.set(id, round)
      const delay = Math.min(CLONE_RETRY_MS * 2 ** (round - 1), CLONE_RETRY_MAX_MS)
      const timer = setTimeout(() => (this.timers.delete(timer), this.clone(id)), delay)
      timer.unref()
      this.timers.add(timer)
    }
  }
}
