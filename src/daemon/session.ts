/**
 * One client of the daemon, whatever carries it (a Unix socket line, a WebSocket message):
 * its frames answered in order, the events it subscribed to sent as notifications, and a
 * bound on what may wait unread — a client that stops reading is dropped with a reason, so
 * it can neither slow the node nor the other clients.
 * @module
 */
import type { Account } from '../account/account.js'
import { handleFrame, jsonReplacer, notification } from './json-rpc.js'
import { callMethod, type Subscriptions } from './methods.js'

/** What carries a client's frames. */
export interface ClientTransport {
  send(frame: string): void
  /** Bytes written and not yet taken by the client. */
  unread(): number
  /** Ends the connection, telling why where the transport can. */
  close(reason: string): void
}

/** Default bound on unread bytes per client (notifications and answers). */
export const DEFAULT_MAX_UNREAD = 4 * 1024 * 1024
/** How long a client may stay over the bound (a burst it is still reading) before it is dropped. */
export const STALL_MS = 2000
/** Over this many times the bound, a client is dropped at once (memory stays bounded). */
export const HARD_FACTOR = 8

export class ClientSession implements Subscriptions {
  readonly events = new Set<string>()
  private answered: Promise<void> = Promise.resolve()
  private closed = false
  private stallTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly account: Account,
    private readonly transport: ClientTransport,
    private readonly maxUnread = DEFAULT_MAX_UNREAD,
    private readonly onDrop: (reason: string) => void = () => {},
  ) {}

  /** Answers one frame; answers leave in the order frames came, also for async methods. */
  receive(frame: string): void {
    const answer = handleFrame(frame, (method, params) => callMethod(this.account, method, params, this))
    this.answered = this.answered.then(async () => {
      const a = await answer
      if (a !== undefined) this.send(JSON.stringify(a, jsonReplacer))
    })
  }

  /** Sends the event as a notification if this client subscribed to it. */
  notify(event: string, args: unknown[]): void {
    if (this.events.has(event)) this.send(notification(event, args))
  }

  /**
   * Sends a frame. A burst may take a reading client over the bound for a moment; one still
   * over it STALL_MS later, or far over it at any time, is not reading and is dropped.
   */
  private send(frame: string): void {
    if (this.closed) return
    this.transport.send(frame)
    const unread = this.transport.unread()
    if (unread > this.maxUnread * HARD_FACTOR) return this.drop(`slow subscriber: ${unread} bytes unread`)
    if (unread > this.maxUnread && !this.stallTimer) {
      this.stallTimer = setTimeout(() => {
        this.stallTimer = undefined
        const still = this.transport.unread()
        if (still > this.maxUnread) this.drop(`slow subscriber: ${still} bytes unread for ${STALL_MS} ms`)
      }, STALL_MS)
      this.stallTimer.unref()
    }
  }

  /** Ends this client: nothing more is sent to it. */
  drop(reason: string): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.stallTimer)
    this.events.clear()
    this.transport.close(reason)
    this.onDrop(reason)
  }

  get isClosed(): boolean {
    return this.closed
  }
}
