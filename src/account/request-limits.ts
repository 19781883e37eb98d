/**
 * A flood of requests (friend requests, invitations) from one peer is cut at a bounded rate
 * and queue size: what is over is dropped, with one peerError a minute per peer and kind.
 * @module
 */
import { LimitExceededError, ProtocolError } from '../errors.js'

/** Requests (friend requests and invitations) taken from one peer per minute. */
export const REQUESTS_PER_MINUTE = 20
/** Pending requests kept in all: older ones stay, newer ones are dropped. */
export const MAX_PENDING_REQUESTS = 256
/** Peers × kinds remembered (the oldest is forgotten first). */
const TRACKED = 4096

export class RequestLimiter {
  private readonly rate = new Map<string, { times: number[]; reported: number }>()

  constructor(
    /** Requests waiting for an answer now. */
    private readonly pending: () => number,
    private readonly report: (error: ProtocolError) => void,
  ) {}

  /** Whether a request of kind `what` from `toxPk` is over the limits (reported once a minute), else counted. */
  limited(toxPk: string, what: string): boolean {
    const now = Date.now()
    const key = `${toxPk}:${what}`
    const r = this.rate.get(key) ?? { times: [], reported: 0 }
    r.times = r.times.filter((t) => now - t < 60_000)
    this.rate.delete(key)
    this.rate.set(key, r)
    if (this.rate.size > TRACKED) this.rate.delete(this.rate.keys().next().value!)
    const pending = this.pending()
    if (r.times.length < REQUESTS_PER_MINUTE && pending < MAX_PENDING_REQUESTS) {
      r.times.push(now)
      return false
    }
    if (now - r.reported > 60_000) {
      r.reported = now
      const limit = r.times.length >= REQUESTS_PER_MINUTE ? new LimitExceededError(`${what} per minute from one peer`, REQUESTS_PER_MINUTE, r.times.length + 1) : new LimitExceededError('pending requests', MAX_PENDING_REQUESTS, pending + 1)
      this.report(new ProtocolError(toxPk, `request flood: ${limit.message}; further ones are dropped`))
    }
    return true
  }
}
