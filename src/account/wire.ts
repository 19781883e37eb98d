/**
 * The frames accounts send each other on `msg:` channels, with Jami's MIME types as their
 * `t` (reference jami-swarm.md §5.2, §5.7), and their shape checks: a frame that fails its
 * check is dropped and reported, never half-used.
 * @module
 */
import { take, type Frame } from './frames.js'

/** Invitation metadata values of this size and more are dropped (as Jami's). */
export const MAX_METADATA_VALUE = 64_000

/** A new commit: `{"commit","deviceId","id"}` (Jami's application/im-gitmessage-id). */
export const ANNOUNCE = 'application/im-gitmessage-id'
/** An invitation: conversation id, its metadatas, when it was sent (application/invite+json). */
export const INVITE = 'application/invite+json'
/** Asking a member for an invitation to a conversation we heard of (application/invite). */
export const ASK_INVITE = 'application/invite'
/** The receipt of a frame that carried an `ack` key: it leaves the sender's outbox. */
export const ACK = 'application/x-gitswarm-ack'
/** The account's device list changed: peers befriend the new devices. */
export const DEVICES = 'application/x-gitswarm-devices'

export interface Announcement {
  conversationId: string
  commit: string
  deviceId: string
  /**
   * Devices known to have the commit (told with this announcement, or before), as the first
   * 16 hex digits of their Tox keys: a relay skips them. At most MAX_TOLD.
   */
  told?: string[]
}

/** Most entries of Announcement.told (a conversation device links with at most 16 others). */
export const MAX_TOLD = 40

export interface Invitation {
  conversationId: string
  metadatas: Record<string, string>
  /** Unix seconds. */
  received: number
}

export function announceFrame(a: Announcement): Frame {
  return { t: ANNOUNCE, commit: a.commit, deviceId: a.deviceId, id: a.conversationId, ...(a.told?.length ? { told: a.told.slice(0, MAX_TOLD) } : {}) }
}

export function parseAnnouncement(f: Frame): Announcement | undefined {
  const conversationId = take.hex(f['id'], 40)
  const commit = take.hex(f['commit'], 40)
  const deviceId = take.hex(f['deviceId'], [40, 64])
  if (!conversationId || !commit || !deviceId) return undefined
  const told = Array.isArray(f['told']) ? f['told'].slice(0, MAX_TOLD).filter((x): x is string => typeof x === 'string' && /^[0-9a-f]{16}$/.test(x)) : []
  return { conversationId, commit, deviceId, ...(told.length ? { told } : {}) }
}

export function inviteFrame(i: Invitation): Frame {
  return { t: INVITE, conversationId: i.conversationId, metadatas: i.metadatas, received: i.received }
}

export function parseInvitation(f: Frame): Invitation | undefined {
  const conversationId = take.hex(f['conversationId'], 40)
  const received = take.number(f['received'])
  if (!conversationId || received === undefined) return undefined
  return { conversationId, metadatas: take.strings(f['metadatas'], MAX_METADATA_VALUE), received: Math.floor(received) }
}

export function parseAskInvite(f: Frame): string | undefined {
  return take.hex(f['conversationId'], 40)
}

export function parseDevices(f: Frame): string[] {
  return Array.isArray(f['devices']) ? f['devices'].map((d) => take.hex(d, 64)).filter((d): d is string => !!d).slice(0, 64) : []
}

/** The message of a Tox friend request between gitswarm accounts. */
export interface FriendRequestBody {
  kind: 'contact' | 'device'
  uri: string
  name: string
}

export function friendRequestMessage(body: FriendRequestBody): string {
  return JSON.stringify({ gitswarm: 1, ...body })
}

export function parseFriendRequest(message: string): FriendRequestBody | undefined {
  try {
    const v = take.record(JSON.parse(message))
    const uri = take.hex(v?.['uri'], 40)
    const kind = v?.['kind']
    if (v?.['gitswarm'] !== 1 || !uri || (kind !== 'contact' && kind !== 'device')) return undefined
    return { kind, uri, name: (take.string(v['name'], 256) ?? '').replace(/[<>\n\r\0]/g, '') }
  } catch {
    return undefined
  }
}
