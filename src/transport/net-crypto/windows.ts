/**
 * The lossless windows of a connection (reference §5.5–5.6): the send buffer (packets kept
 * until the peer's buffer_start passes them, resent when a packet request names them) and
 * the receive buffer (out-of-order packets held until the gap fills), plus the packet
 * request codec — a run-length list of the missing numbers.
 * @module
 */

/** Packets in flight or awaited, as c-toxcore (CRYPTO_PACKET_BUFFER_SIZE). */
export const WINDOW = 32768

/** `a − b` in 32-bit sequence space. */
export function seqDiff(a: number, b: number): number {
  return (a - b) >>> 0
}

export interface SentPacket {
  data: Uint8Array
  sentAt: number
  /** Times sent (1 = original). */
  sends: number
}

export class SendWindow {
  /** Oldest number not yet acknowledged. */
  start = 0
  /** The number the next lossless packet gets. */
  end = 0
  readonly packets = new Map<number, SentPacket>()

  get inFlight(): number {
    return seqDiff(this.end, this.start)
  }

  push(data: Uint8Array, now: number): number {
    const n = this.end
    this.packets.set(n, { data, sentAt: now, sends: 1 })
    this.end = (this.end + 1) >>> 0
    return n
  }

  /**
   * The peer has everything below `bufferStart`: returns how many packets that freed, and
   * whether all of them were sent once and not acknowledged selectively before — then no
   * gap held the acknowledgement back, and its delay is a fair round-trip sample.
   */
  acknowledge(bufferStart: number): { freed: number; clean: boolean } {
    if (seqDiff(bufferStart, this.start) > this.inFlight) return { freed: 0, clean: false }
    let freed = 0
    let clean = bufferStart !== this.start
    while (this.start !== bufferStart) {
      const p = this.packets.get(this.start)
      if (p) freed++
      if (p?.sends !== 1) clean = false
      this.packets.delete(this.start)
      this.start = (this.start + 1) >>> 0
    }
    return { freed, clean }
  }
}

export class ReceiveWindow {
  /** The next number we want (everything below was delivered). */
  start = 0
  /** One past the highest number seen. */
  end = 0
  private readonly held = new Map<number, Uint8Array>()

  /**
   * Accepts lossless packet `n`; returns the packets now deliverable in order. Duplicates,
   * and numbers outside the window, are dropped (so a replay is never delivered twice).
   */
  accept(n: number, data: Uint8Array): Uint8Array[] {
    const ahead = seqDiff(n, this.start)
    if (ahead >= WINDOW || this.held.has(n)) return []
    this.held.set(n, data)
    if (seqDiff(n + 1, this.start) > seqDiff(this.end, this.start)) this.end = (n + 1) >>> 0
    const out: Uint8Array[] = []
    for (let d = this.held.get(this.start); d; d = this.held.get(this.start)) {
      this.held.delete(this.start)
      out.push(d)
      this.start = (this.start + 1) >>> 0
    }
    return out
  }

  has(n: number): boolean {
    return this.held.has(n)
  }

  /** The packet request listing what is missing between start and end (§5.6 encoder). */
  request(): Uint8Array {
    const out: number[] = [1]
    let n = 1
    for (let i = this.start; i !== this.end; i = (i + 1) >>> 0) {
      if (!this.held.has(i)) {
        out.push(n)
        n = 0
      } else if (n === 255) {
        out.push(0)
        n = 0
      }
      n++
      if (out.length >= 1373) break
    }
    return Uint8Array.from(out)
  }
}

/**
 * Decodes a packet request against the send window (§5.6 decoder): returns the numbers the
 * peer asks again; every number it skips over is one it has.
 */
export function parseRequest(request: Uint8Array, from: number, until: number): { missing: number[]; received: number[] } {
  const missing: number[] = []
  const received: number[] = []
  let n = 1
  let at = 1
  for (let i = from; i !== until && at < request.length; i = (i + 1) >>> 0) {
    const b = request[at]!
    if (n === b) {
      missing.push(i)
      at++
      n = 0
    } else {
      received.push(i)
    }
    if (n === 255) {
      if (request[at] !== 0) break
      at++
      n = 1
    } else n++
  }
  return { missing, received }
}
