/**
 * Contacts (Jami's addContact and trust requests): a contact is added by Tox ID (a friend
 * request carrying our account), confirmed once its device verifies, removed or banned.
 * The Account's methods of the same names call these.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js'
import { parseToxId, toxPublicKey } from '../../identity/tox.js'
import type { AccountContext } from '../context.js'
import { nowSeconds } from '../store.js'
import { declineConversationRequest, removeConversation } from './membership.js'

/**
 * Adds a contact by Tox ID: a friend request carrying our account goes out through the
 * onion (resent until answered). Once the contact's device accepts and verifies, it is a
 * confirmed contact (contactAdded) and the one-to-one conversation is created and offered.
 */
export function addContact(account: AccountContext, toxIdOfContact: string): void {
  const { publicKey, nospam } = parseToxId(toxIdOfContact)
  const pk = Buffer.from(publicKey).toString('hex')
  if (pk === Buffer.from(toxPublicKey(account.identity.deviceKey.publicKey)).toString('hex')) throw new InvalidArgumentError('that is this device’s own Tox ID')
  account.store.contacts.value[`pending:${pk}`] = { uri: '', devices: [pk], pending: { toxPk: pk, nospam: Buffer.from(nospam).toString('hex') }, confirmed: false, added: nowSeconds() }
  account.store.contacts.save()
  account.network?.requestContact(pk, Buffer.from(nospam).toString('hex'))
}

/**
 * Removes a contact: its pending requests are declined and its one-to-one conversation is
 * removed. With `ban`, its devices are refused from then on and the conversation is kept
 * (as Jami's testBanContact), silent.
 */
export function removeContact(account: AccountContext, uri: string, options: { ban?: boolean } = {}): void {
  const contact = account.store.contacts.value[uri]
  if (!contact || uri === account.uri) return
  contact.removed = nowSeconds()
  contact.banned = options.ban ?? false
  account.store.contacts.save()
  for (const pk of contact.devices) account.network?.unfriend(pk)
  for (const [id, r] of Object.entries(account.store.requests.value)) {
    if (r.from === uri && !r.declined) declineConversationRequest(account, id)
  }
  if (!contact.banned && contact.conversationId && account.store.conversations.value[contact.conversationId] && !account.store.conversations.value[contact.conversationId]!.removed) {
    removeConversation(account, contact.conversationId)
  }
  account.emit('contactRemoved', uri, contact.banned)
  account.network?.syncOwnDevices()
}
