/**
 * Contacts (Jami's addContact and trust requests): a contact is added by Tox ID (a friend
 * request carrying our account), confirmed once its device verifies, removed or banned.
 * The Account's methods of the same names call these.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js'
import { parseToxId, toxId, toxPublicKey } from '../../identity/tox.js'
import type { AccountContext } from '../context.js'
import { nowSeconds } from '../store.js'
import { declineConversationRequest } from './membership.js'

/**
 * Adds a contact by Tox ID: a friend request carrying our account goes out through the
 * onion (resent until answered). Once the contact's device accepts and verifies, it is a
 * confirmed contact (contactAdded) and the one-to-one conversation is created and offered.
 */
export function addContact(account: AccountContext, toxIdOfContact: string): void {
  const { publicKey, nospam } = parseToxId(toxIdOfContact)
  const pk = Buffer.from(publicKey).toString('hex')
  if (pk === Buffer.from(toxPublicKey(account.identity.deviceKey.publicKey)).toString('hex')) throw new InvalidArgumentError('that is this device’s own Tox ID')
  account.store.contacts.value[`pending:${pk}`] = { uri: '', devices: [pk], pending: { toxPk: pk, nospam: Buffer.from(nospam).toString('hex') }, confirmed: false, added: nowSeconds(), toxId: toxId(publicKey, nospam) }
  account.store.contacts.save()
  account.network?.requestContact(pk, Buffer.from(nospam).toString('hex'))
}

/**
 * Removes a contact (Jami's removeContact): its trust request and pending conversation
 * requests are declined, here and on the account's other devices. The one-to-one
 * conversation is put away without a leave commit and kept: adding the contact again brings
 * the same one back (as Jami, never a second one). With `ban`, its devices are refused from
 * then on and the conversation stays (testBanContact); an account that only asked to be a
 * contact can be banned too.
 */
export function removeContact(account: AccountContext, uri: string, options: { ban?: boolean } = {}): void {
  const { store } = account
  const request = store.trustRequests.value[uri]
  if (uri === account.uri || (!store.contacts.value[uri] && !request)) return
  const now = nowSeconds()
  const contact = (store.contacts.value[uri] ??= { uri, devices: request ? [request.toxPk] : [], confirmed: false, added: now })
  contact.removed = now
  contact.banned = options.ban ?? false
  store.contacts.save()
  if (request) {
    delete store.trustRequests.value[uri]
    store.trustRequests.save()
    account.network?.node.tox.refuseFriendRequest(Buffer.from(request.toxPk, 'hex'))
  }
  for (const pk of contact.devices) account.network?.unfriend(pk)
  for (const [id, r] of Object.entries(store.requests.value)) {
    if (r.from === uri && !r.declined) declineConversationRequest(account, id)
  }
  const info = contact.conversationId ? store.conversations.value[contact.conversationId] : undefined
  if (!contact.banned && info && !info.removed) {
    info.removed = now
    info.kept = true
    store.conversations.save()
    account.removeLocally(info.id)
  }
  account.emit('contactRemoved', uri, contact.banned)
  account.network?.syncOwnDevices()
}
