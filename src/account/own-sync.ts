/**
 * What the devices of one account tell each other over `sync://` (Jami's SyncMsg, §5.7):
 * the conversation list (created, removed), pending requests (and declines), preferences,
 * contacts and the device list. Each side sends its whole snapshot when the link comes up
 * and after every change; the receiver merges it — newer wins, by the timestamps in it —
 * and reports what changed so the account can act (clone, remove, emit).
 * @module
 */
import type { Frame } from './frames.js'
import { take } from './frames.js'
import { MAX_METADATA_VALUE } from './wire.js'
import type { AccountStore, Contact, ConversationInfo, ConversationRequest, OwnDevice } from './store.js'

export const SYNC = 'application/x-gitswarm-sync'

export function syncSnapshot(store: AccountStore): Frame {
  return {
    t: SYNC,
    conversations: store.conversations.value,
    requests: store.requests.value,
    preferences: store.preferences.value,
    contacts: store.contacts.value,
    devices: store.devices.value,
  }
}

export interface SyncChanges {
  /** Conversations to clone from the sending device. */
  newConversations: string[]
  /** Conversations put away with a contact and brought back (their repository is here). */
  restoredConversations: string[]
  removedConversations: string[]
  newRequests: string[]
  declinedRequests: string[]
  preferences: string[]
  newContacts: string[]
  removedContacts: string[]
  newDevices: OwnDevice[]
  changed: boolean
}

const isHex40 = (v: unknown) => take.hex(v, 40) !== undefined
/** A Tox ID as toxId() writes it (76 hex digits, upper case). */
const isToxId = (v: unknown): v is string => typeof v === 'string' && /^[0-9A-F]{76}$/.test(v)

/** Merges a peer device's snapshot into `store` (not saved); returns what changed. */
export function mergeSnapshot(store: AccountStore, frame: Frame, ownDeviceId: string): SyncChanges {
  const out: SyncChanges = { newConversations: [], restoredConversations: [], removedConversations: [], newRequests: [], declinedRequests: [], preferences: [], newContacts: [], removedContacts: [], newDevices: [], changed: false }
  const convs = store.conversations.value
  for (const [id, raw] of Object.entries(take.record(frame['conversations']) ?? {})) {
    const info = take.record(raw) as Partial<ConversationInfo> | undefined
    if (!isHex40(id) || !info || typeof info.created !== 'number') continue
    const local = convs[id]
    const removed = take.number(info.removed)
    if (!local) {
      convs[id] = removed !== undefined ? { id, created: info.created, removed } : { id, created: info.created, syncing: { from: '', since: Date.now() }, mode: take.number(info.mode) }
      if (removed === undefined) out.newConversations.push(id)
      out.changed = true
    } else if (removed !== undefined && local.removed === undefined && removed >= local.created) {
      local.removed = removed
      if (info.kept) local.kept = true
      out.removedConversations.push(id)
      out.changed = true
    } else if (removed === undefined && local.removed !== undefined && info.created >= local.removed) {
      // Brought back on the other device (its contact added again).
      delete local.removed
      local.created = info.created
      if (local.kept) out.restoredConversations.push(id)
      else ((local.syncing = { from: '', since: Date.now() }), out.newConversations.push(id))
      delete local.kept
      out.changed = true
    }
  }
  const requests = store.requests.value
  for (const [id, raw] of Object.entries(take.record(frame['requests']) ?? {})) {
    const r = take.record(raw) as Partial<ConversationRequest> | undefined
    if (!isHex40(id) || !r || take.hex(r.from, 40) === undefined || typeof r.received !== 'number') continue
    const local = requests[id]
    if (!local) {
      if (convs[id]) continue
      requests[id] = { conversationId: id, from: r.from!, metadatas: take.strings(r.metadatas, MAX_METADATA_VALUE), received: r.received, ...(typeof r.declined === 'number' ? { declined: r.declined } : {}) }
      if (typeof r.declined === 'number') out.declinedRequests.push(id)
      else out.newRequests.push(id)
      out.changed = true
    } else if (typeof r.declined === 'number' && local.declined === undefined) {
      local.declined = r.declined
      out.declinedRequests.push(id)
      out.changed = true
    }
  }
  for (const id of Object.keys(requests)) if (convs[id] && !convs[id]!.removed && !requests[id]!.declined) delete requests[id]
  const prefs = store.preferences.value
  for (const [id, raw] of Object.entries(take.record(frame['preferences']) ?? {})) {
    const p = take.record(raw)
    const updated = take.number(p?.['updated'])
    if (!isHex40(id) || updated === undefined || (prefs[id] && prefs[id]!.updated >= updated)) continue
    prefs[id] = { values: take.strings(p!['values'], 4096), updated }
    out.preferences.push(id)
    out.changed = true
  }
  const contacts = store.contacts.value
  for (const [uri, raw] of Object.entries(take.record(frame['contacts']) ?? {})) {
    const c = take.record(raw) as Partial<Contact> | undefined
    if (!isHex40(uri) || !c || typeof c.added !== 'number') continue
    const devices = Array.isArray(c.devices) ? c.devices.filter((d) => take.hex(d, 64)) : []
    const local = contacts[uri]
    if (!local) {
      contacts[uri] = { uri, devices, confirmed: !!c.confirmed, added: c.added, ...(c.conversationId && isHex40(c.conversationId) ? { conversationId: c.conversationId } : {}), ...(isToxId(c.toxId) ? { toxId: c.toxId } : {}), ...(typeof c.removed === 'number' ? { removed: c.removed, banned: !!c.banned } : {}) }
      // A removed one is news too: a ban made on another device (of an account that only asked) is one here.
      if (typeof c.removed !== 'number') out.newContacts.push(uri)
      else out.removedContacts.push(uri)
      out.changed = true
      continue
    }
    const merged = [...new Set([...local.devices, ...devices])]
    if (merged.length !== local.devices.length) ((local.devices = merged), (out.changed = true))
    if (!local.conversationId && c.conversationId && isHex40(c.conversationId)) ((local.conversationId = c.conversationId), (out.changed = true))
    if (!local.toxId && isToxId(c.toxId)) ((local.toxId = c.toxId), (out.changed = true))
    if (typeof c.removed === 'number' && local.removed === undefined && c.removed >= local.added) {
      local.removed = c.removed
      local.banned = !!c.banned
      out.removedContacts.push(uri)
      out.changed = true
    } else if (c.removed === undefined && local.removed !== undefined && c.added >= local.removed) {
      // Added again on the other device.
      delete local.removed
      delete local.banned
      local.added = c.added
      local.confirmed = !!c.confirmed
      if (c.conversationId && isHex40(c.conversationId)) local.conversationId = c.conversationId
      out.newContacts.push(uri)
      out.changed = true
    }
  }
  // Revocations travel as the signed CRL (./revocation.ts); a device marked revoked here is
  // not revived by a peer's older list.
  const devices = store.devices.value
  for (const [id, raw] of Object.entries(take.record(frame['devices']) ?? {})) {
    const d = take.record(raw) as Partial<OwnDevice> | undefined
    if (id === ownDeviceId || take.hex(id, 64) === undefined || !d || take.hex(d.toxPk, 64) === undefined) continue
    const cert = take.string(d.cert, 8192)
    if (devices[id]) {
      if (cert && !devices[id]!.cert) ((devices[id]!.cert = cert), (out.changed = true))
      continue
    }
    if (typeof d.revoked === 'number') continue
    devices[id] = { deviceId: id, toxPk: d.toxPk!, name: take.string(d.name, 256) ?? '', added: take.number(d.added) ?? Date.now(), ...(typeof d.toxId === 'string' ? { toxId: d.toxId } : {}), ...(cert ? { cert } : {}) }
    out.newDevices.push(devices[id]!)
    out.changed = true
  }
  return out
}
