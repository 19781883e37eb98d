/**
 * Contacts (Jami's addContact and trust requests): a contact is added by Tox ID (a friend
 * request carrying our account), confirmed once its device verifies, removed or banned.
 * The Account's methods of the same names call these.
 * @module
 */
import { InvalidArgumentError, NotFoundError } from '../../errors.js'
import { parseToxId } from '../../identity/tox.js'
import type { Account } from '../account.js'
import { nowSeconds } from '../store.js'

/**
 * Adds a contact by Tox ID: a friend request carrying our account goes out through the
 * onion (resent until answered). Once the contact's device accepts and verifies, it is a
 * confirmed contact (contactAdded) and the one-to-one conversation is created and offered.
 */
export function addContact(account: Account, toxIdOfContact: string): void {
  const { publicKey, nospam } = parseToxId(toxIdOfContact)
  const pk = Buffer.from(publicKey).toString('hex')
  if (pk === Buffer.from(account.toxPublicKey).toString('hex')) throw new InvalidArgumentError('that is this device’s own Tox ID')
  account.store.contacts.value[`pending:${pk}`] = { uri: '', devices: [pk], pending: { toxPk: pk, nospam: Buffer.from(nospam).toString('hex') }, confirmed: false, added: nowSeconds() }
  account.store.contacts.save()
  account.network?.requestContact(pk, Buffer.from(nospam).toString('hex'))
}

/** Accepts someone's request to be a contact (Jami's acceptTrustRequest). */
export function acceptTrustRequest(account: Account, from: string): void {
  const request = account.store.trustRequests.value[from]
  if (!request) throw new NotFoundError(`trust request from ${from}`)
  delete account.store.trustRequests.value[from]
  account.store.trustRequests.save()
  const existing = account.store.contacts.value[from]
  account.store.contacts.value[from] = { ...existing, uri: from, devices: [...new Set([...(existing?.devices ?? []), request.toxPk])], confirmed: true, added: nowSeconds(), name: request.name }
  delete account.store.contacts.value[from]!.removed
  account.store.contacts.save()
  account.network?.acceptTrust(request.toxPk, from)
  account.emit('contactAdded', from, true)
  account.network?.syncOwnDevices()
}

/** Ignores a trust request (later ones from that device are refused until it is asked again). */
export function discardTrustRequest(account: Account, from: string): void {
  const request = account.store.trustRequests.value[from]
  if (!request) throw new NotFoundError(`trust request from ${from}`)
  delete account.store.trustRequests.value[from]
  account.store.trustRequests.save()
  account.network?.node.tox.refuseFriendRequest(Buffer.from(request.toxPk, 'hex'))
}

/**
 * Removes a contact: its pending requests are declined and its one-to-one conversation is
 * removed. With `ban`, its devices are refused from then on and the conversation is kept
 * (as Jami's testBanContact), silent.
 */
export function removeContact(account: Account, uri: string, options: { ban?: boolean } = {}): void {
  const contact = account.store.contacts.value[uri]
  if (!contact || uri === account.uri) return
  contact.removed = nowSeconds()
  contact.banned = options.ban ?? false
  account.store.contacts.save()
  for (const pk of contact.devices) account.network?.unfriend(pk)
  for (const [id, r] of Object.entries(account.store.requests.value)) {
    if (r.from === uri && !r.declined) account.declineConversationRequest(id)
  }
  if (!contact.banned && contact.conversationId && account.store.conversations.value[contact.conversationId] && !account.store.conversations.value[contact.conversationId]!.removed) {
    account.removeConversation(contact.conversationId)
  }
  account.emit('contactRemoved', uri, contact.banned)
  account.network?.syncOwnDevices()
}
