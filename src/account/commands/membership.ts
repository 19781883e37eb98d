/**
 * Membership and requests of an account's conversations: invitations sent and answered,
 * bans, preferences, leaving. The Account's methods of the same names call these.
 * @module
 */
import { InvalidArgumentError, InvalidStateError, NotFoundError, UnauthorizedError } from '../../errors.js'
import { isAccountUri } from '../../identity/ids.js'
import type { AccountContext } from '../context.js'
import { activeMembers } from '../peers.js'
import { nowSeconds } from '../store.js'
import { acceptTrustRequest, discardTrustRequest } from './trust.js'

/**
 * Invites an account: an `add` commit (or, for a banned member, the unban vote), then the
 * invitation to every known device of the invitee, now or when it comes online. An account
 * already invited gets the invitation again.
 */
export function addConversationMember(account: AccountContext, id: string, uri: string): void {
  if (!isAccountUri(uri)) throw new InvalidArgumentError('an account URI is 40 hex digits', { uri })
  const conv = account.conversation(id)
  const role = conv.roleOf(uri)
  if (role === 'member' || role === 'admin') throw new InvalidStateError(`add ${uri}`, 'already a member')
  if (role === 'banned') account.write(id, (c) => c.unbanMember(uri))
  else if (role !== 'invited') account.write(id, (c) => c.addMember(uri))
  account.network?.sendInvite(conv, uri)
}

/** Admins only: bans a member (the vote and, with enough votes, the ban). */
export function removeConversationMember(account: AccountContext, id: string, uri: string): void {
  const conv = account.conversation(id)
  if (conv.roleOf() !== 'admin') throw new UnauthorizedError(`remove ${uri}`, 'only admins remove members')
  if (uri === account.uri) throw new InvalidArgumentError('an admin cannot ban itself')
  account.write(id, (c) => c.banMember(uri))
}

/** Accepts an invitation: the conversation is cloned from the inviter's devices (or any member), joined, then ready. */
export function acceptConversationRequest(account: AccountContext, id: string): void {
  const request = account.store.requests.value[id]
  if (!request || request.declined) throw new NotFoundError(`conversation request ${id}`)
  const contact = account.store.contacts.value[request.from]
  if (!contact && account.store.trustRequests.value[request.from]) acceptTrustRequest(account, request.from)
  account.store.conversations.value[id] = { id, created: nowSeconds(), syncing: { from: request.from, since: Date.now() } }
  account.store.conversations.save()
  account.network?.syncOwnDevices()
  account.network?.clone(id)
}

/** Declines an invitation, here and on own devices; a one-to-one's decline discards the sender's trust request too (as Jami). */
export function declineConversationRequest(account: AccountContext, id: string): void {
  const request = account.store.requests.value[id]
  if (!request || request.declined) throw new NotFoundError(`conversation request ${id}`)
  request.declined = nowSeconds()
  account.store.requests.save()
  if (request.metadatas['mode'] === '0' && account.store.trustRequests.value[request.from]) discardTrustRequest(account, request.from)
  account.emit('conversationRequestDeclined', id)
  account.network?.syncOwnDevices()
}

/** Replaces the local preferences of a conversation (not in git; synced to own devices). */
export function setConversationPreferences(account: AccountContext, id: string, preferences: Record<string, string>): void {
  if (!account.store.conversations.value[id]) throw new NotFoundError(`conversation ${id}`)
  account.store.preferences.value[id] = { values: { ...preferences }, updated: Date.now() }
  account.store.preferences.save()
  account.emit('conversationPreferencesUpdated', id, { ...preferences })
  account.network?.syncOwnDevices()
}

/**
 * Leaves a conversation (a `remove` commit, announced) and removes it here and on the
 * account's other devices. The repository stays until the next start, so peers can fetch
 * the leave; alone in it, it is erased at once. False for an unknown conversation.
 */
export function removeConversation(account: AccountContext, id: string): boolean {
  const info = account.store.conversations.value[id]
  if (!info || info.removed) return false
  const conv = account.openConversation(id)
  let alone = true
  if (conv) {
    alone = activeMembers(conv).every((uri) => uri === account.uri)
    const role = conv.roleOf()
    if (!alone && (role === 'member' || role === 'admin')) account.write(id, (c) => c.leave())
  }
  info.removed = nowSeconds()
  delete info.syncing
  delete info.kept
  account.store.conversations.save()
  // A one-to-one removed on purpose is no longer the contact's (Jami's testRemoveConversationUpdateContactDetails).
  for (const c of Object.values(account.store.contacts.value)) {
    if (c.conversationId !== id) continue
    delete c.conversationId
    account.store.contacts.save()
  }
  delete account.store.preferences.value[id]
  account.store.preferences.save()
  account.network?.syncOwnDevices()
  account.removeLocally(id, alone)
  return true
}
