/**
 * What an account does with the frames its peers send about conversations and devices:
 * announcements (handed to ./delivery.ts, or a clone, or asking for the invitation), invitations
 * (kept as requests; a contact's one-to-one is accepted at once), asks for an invitation, a
 * contact's new device list, and the `sync://` snapshot of its own devices (./own-sync.ts).
 * @module
 */
import { keyHex } from '../dht/routing-table.js'
import { ProtocolError } from '../errors.js'
import type { Conversation } from '../swarm/conversation.js'
import { acceptConversationRequest, removeConversation } from './commands/membership.js'
import type { AccountContext } from './context.js'
import type { Frame } from './frames.js'
import type { VerifiedPeer } from './hello.js'
import { mergeSnapshot, SYNC } from './own-sync.js'
import type { SwarmNode } from './swarm-node.js'
import { nowSeconds } from './store.js'
import { ANNOUNCE, ASK_INVITE, DEVICES, INVITE, inviteFrame, parseAnnouncement, parseAskInvite, parseDevices, parseInvitation, type Announcement, type Invitation } from './wire.js'

export type FrameHandler = (peer: VerifiedPeer, frame: Frame) => void

/** What these handlers use of the network side (./network.ts). */
export interface InboundNetwork {
  readonly node: SwarmNode
  readonly delivery: { onAnnouncement(conv: Conversation, peer: VerifiedPeer, a: Announcement): void }
  handle(t: string, handler: FrameHandler, options?: { sync?: boolean }): void
  clone(id: string): void
  befriend(toxPk: string): void
  unfriend(toxPk: string): void
  syncOwnDevices(except?: string): void
  limited(toxPk: string, what: string): boolean
}

/** Registers the conversation and device frames' handlers on `net`. */
export function registerInbound(net: InboundNetwork, account: AccountContext): void {
  const { store } = account
  net.handle(ANNOUNCE, (p, frame) => {
    const a = parseAnnouncement(frame)
    if (!a) throw new ProtocolError(p.toxPk, 'a malformed announcement')
    const info = store.conversations.value[a.conversationId]
    if (info?.removed) return
    if (!info) {
      if (!store.requests.value[a.conversationId]) net.node.send(p.toxPk, { t: ASK_INVITE, conversationId: a.conversationId })
      return
    }
    if (info.syncing) return net.clone(info.id)
    const conv = account.openConversation(a.conversationId)
    if (conv) net.delivery.onAnnouncement(conv, p, a)
  })
  net.handle(INVITE, (p, frame) => {
    const inv = parseInvitation(frame)
    if (!inv) throw new ProtocolError(p.toxPk, 'a malformed invitation')
    onInvitation(net, account, p, inv)
  })
  net.handle(ASK_INVITE, (p, frame) => {
    const id = parseAskInvite(frame)
    const conv = id ? account.openConversation(id) : undefined
    const role = conv?.roleOf(p.accountUri)
    if (conv && (role === 'invited' || role === 'member' || role === 'admin')) net.node.send(p.toxPk, inviteFrame({ conversationId: conv.id, metadatas: account.inviteMetadatas(conv), received: nowSeconds() }))
  })
  net.handle(DEVICES, (p, frame) => {
    const contact = store.contacts.value[p.accountUri]
    if (!contact?.confirmed || contact.removed) return
    const devices = parseDevices(frame).filter((pk) => pk !== keyHex(net.node.tox.publicKey))
    contact.devices = [...new Set([...contact.devices, ...devices])]
    store.contacts.save()
    devices.forEach((pk) => net.befriend(pk))
  })
  net.handle(SYNC, (p, frame) => onSyncSnapshot(net, account, p, frame), { sync: true })
}

function onInvitation(net: InboundNetwork, account: AccountContext, p: VerifiedPeer, inv: Invitation): void {
  const { store } = account
  const id = inv.conversationId
  const info = store.conversations.value[id]
  if (info && !info.removed) return
  const existing = store.requests.value[id]
  if (existing && (!existing.declined || inv.received <= existing.declined)) return
  if (net.limited(p.toxPk, 'invitations')) return
  const contact = store.contacts.value[p.accountUri]
  const oneToOne = inv.metadatas['mode'] === '0' && contact?.confirmed && !contact.removed
  // Both sides made a one-to-one at once: the smaller id is kept on both, the other dropped
  // while still empty (a conversation with messages is never dropped; it stays a request).
  const ours = oneToOne ? contact.conversationId : undefined
  const oursEmpty = ours !== undefined && account.openConversation(ours)?.head === ours
  if (ours && ours !== id && oursEmpty && id > ours) return
  store.requests.value[id] = { conversationId: id, from: p.accountUri, metadatas: inv.metadatas, received: Math.min(inv.received, nowSeconds() + 300) }
  store.requests.save()
  account.emit('conversationRequestReceived', id, { ...inv.metadatas, id, from: p.accountUri, received: String(inv.received) })
  net.syncOwnDevices()
  if (oneToOne && (!ours || ours === id || oursEmpty)) {
    contact.conversationId = id
    store.contacts.save()
    acceptConversationRequest(account, id)
    if (ours && ours !== id) removeConversation(account, ours)
  }
}

function onSyncSnapshot(net: InboundNetwork, account: AccountContext, p: VerifiedPeer, frame: Frame): void {
  const { store } = account
  const changes = mergeSnapshot(store, frame, account.deviceId)
  if (!changes.changed) return
  for (const f of [store.conversations, store.requests, store.preferences, store.contacts, store.devices]) f.save()
  const emit = account.emit.bind(account)
  for (const d of changes.newDevices) net.befriend(d.toxPk)
  for (const uri of changes.newContacts) {
    store.contacts.value[uri]!.devices.forEach((pk) => net.befriend(pk))
    emit('contactAdded', uri, store.contacts.value[uri]!.confirmed)
  }
  for (const uri of changes.removedContacts) {
    store.contacts.value[uri]!.devices.forEach((pk) => net.unfriend(pk))
    emit('contactRemoved', uri, !!store.contacts.value[uri]!.banned)
  }
  for (const id of changes.newRequests) emit('conversationRequestReceived', id, { ...store.requests.value[id]!.metadatas, id, from: store.requests.value[id]!.from })
  for (const id of changes.declinedRequests) emit('conversationRequestDeclined', id)
  for (const id of changes.preferences) emit('conversationPreferencesUpdated', id, store.preferences.value[id]!.values)
  for (const id of changes.removedConversations) account.removeLocally(id)
  for (const id of changes.restoredConversations) if (account.openConversation(id)) emit('conversationReady', id)
  for (const id of changes.newConversations) net.clone(id)
  net.syncOwnDevices(p.toxPk)
}
