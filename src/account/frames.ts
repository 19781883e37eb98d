/**
 * Frames of the account protocol on `msg:` and `sync://` channels: a 4-byte big-endian length,
 * then that many bytes of UTF-8 JSON (an object with a string `t`, its type). Jami carries the
 * same payloads as msgpack over its own channels; JSON keeps them readable in a capture.
 * A frame over the limit cannot be skipped safely (the stream is no longer in step), so it
 * ends the channel; a frame that is not a JSON object is dropped and reported.
 * @module
 */
import type { Duplex } from 'node:stream'
import { ProtocolError } from '../errors.js'

/** Largest frame body: Jami drops invitation values of 64,000 bytes and more. */
export const MAX_FRAME_BYTES = 64 * 1024

export interface Frame {
  t: string
  [key: string]: unknown
}

export function encodeFrame(frame: Frame): Buffer {
  const body = Buffer.from(JSON.stringify(frame), 'utf8')
  if (body.length > MAX_FRAME_BYTES) throw new ProtocolError('self', `frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`)
  const head = Buffer.alloc(4)
  head.writeUInt32BE(body.length)
  return Buffer.concat([head, body])
}

export interface FrameReaderHandlers {
  frame: (frame: Frame) => void
  /** A frame that could not be used; `fatal` when the stream must be closed. */
  error: (err: ProtocolError, fatal: boolean) => void
}

/**
 * Reads frames from `stream` until it ends; calls `handlers.frame` for each well-formed one.
 * Memory stays bounded by MAX_FRAME_BYTES whatever the peer sends.
 */
export function readFrames(stream: Duplex, peer: string, handlers: FrameReaderHandlers): void {
  let pending: Buffer = Buffer.alloc(0)
  let dead = false
  stream.on('data', (chunk: Buffer) => {
    if (dead) return
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4) {
      const size = pending.readUInt32BE(0)
      if (size > MAX_FRAME_BYTES) {
        dead = true
        pending = Buffer.alloc(0)
        handlers.error(new ProtocolError(peer, `frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}`), true)
        return
      }
      if (pending.length < 4 + size) break
      const body = pending.subarray(4, 4 + size)
      pending = pending.subarray(4 + size)
      const frame = parseFrame(body)
      if (frame) handlers.frame(frame)
      else handlers.error(new ProtocolError(peer, 'a frame that is not a JSON object with a string "t"'), false)
    }
  })
}

function parseFrame(body: Buffer): Frame | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as Frame).t === 'string') return value as Frame
  } catch {
    // not JSON
  }
  return undefined
}

/** Shape checks for frame fields: each returns the value or undefined. */
export const take = {
  hex(value: unknown, length: number | number[]): string | undefined {
    const lengths = Array.isArray(length) ? length : [length]
    return typeof value === 'string' && lengths.includes(value.length) && /^[0-9a-f]+$/.test(value) ? value : undefined
  },
  string(value: unknown, max = 4096): string | undefined {
    return typeof value === 'string' && value.length <= max ? value : undefined
  },
  number(value: unknown): number | undefined {
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined
  },
  record(value: unknown): Record<string, unknown> | undefined {
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  },
  /** A map of short strings (Jami's metadatas): other values and long ones are dropped. */
  strings(value: unknown, maxValue: number): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(take.record(value) ?? {})) if (typeof v === 'string' && v.length < maxValue && k.length <= 256) out[k] = v
    return out
  },
}
