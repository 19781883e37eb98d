/**
 * Answering trust requests (Jami's acceptTrustRequest, discardTrustRequest): a friend request
 * received from a device that claims an account. The Account's methods of the same names and
 * the commands that imply an answer (accepting a stranger's invitation) call these.
 * @module
 */
import { NotFoundError } from '../../errors.js'
import type { AccountContext } from '../context.js'
import { nowSeconds } from '../store.js'

/** Accepts someone's request to be a contact: confirmed here, and once its device verifies, on the network. */
export function acceptTrustRequest(account: AccountContext, from: string): void {
  const { store } = account
  const request = store.trustRequests.value[from]
  if (!request) throw new NotFoundError(`trust request from ${from}`)
  delete store.trustRequests.value[from]
  store.trustRequests.save()
  const existing = store.contacts.value[from]
  store.contacts.value[from] = { ...existing, uri: from, devices: [...new Set([...(existing?.devices ?? []), request.toxPk])], confirmed: true, added: nowSeconds(), name: request.name }
  delete store.contacts.value[from]!.removed
  delete store.contacts.value[from]!.banned
  store.contacts.save()
  account.network?.acceptTrust(request.toxPk, from)
  account.emit('contactAdded', from, true)
  // Added again: the one-to-one both had comes back (the requester offers it if we lost it).
  if (existing?.conversationId) account.restoreOneToOne(from)
  account.network?.syncOwnDevices()
}

/** Ignores a trust request (later ones from that device are refused until it is asked again). */
export function discardTrustRequest(account: AccountContext, from: string): void {
  const request = account.store.trustRequests.value[from]
  if (!request) throw new NotFoundError(`trust request from ${from}`)
  delete account.store.trustRequests.value[from]
  account.store.trustRequests.save()
  account.network?.node.tox.refuseFriendRequest(Buffer.from(request.toxPk, 'hex'))
}
