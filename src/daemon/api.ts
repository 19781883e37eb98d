/**
 * The daemon API in one list: every method a client may call (an Account method of the same
 * name, unless it says otherwise) and every notification it may subscribe to (the Account's
 * events), each with JSON Schemas for its parameters and result. The dispatcher checks
 * parameters against these schemas before calling, and docs/daemon-api.md is printed from
 * them — what is documented is what runs.
 * @module
 */
import type { Schema } from './schema.js'
import * as s from './schemas.js'

/** One positional parameter. */
export interface ParamSpec {
  name: string
  schema: Schema
  optional?: boolean
}

/** One method of the daemon API. */
export interface MethodSpec {
  name: string
  /** What it does, one or two sentences. */
  summary: string
  params: ParamSpec[]
  result: Schema
  /** Needs a running node (not callable on an account directory alone). */
  needsNode?: boolean
}

/** One notification (an Account event) with its arguments. */
export interface NotificationSpec {
  name: string
  summary: string
  params: ParamSpec[]
}

/** Keeps a method's name as a literal type, for MethodName. */
const method = <N extends string>(spec: MethodSpec & { name: N }): MethodSpec & { name: N } => spec

const p = (name: string, schema: Schema, optional = false): ParamSpec => ({ name, schema, ...(optional ? { optional } : {}) })
const conv = p('conversationId', s.conversationId)
const nothing: Schema = { type: 'null' }
const str: Schema = { type: 'string' }
const bool: Schema = { type: 'boolean' }
const list = (items: Schema): Schema => ({ type: 'array', items })

/** Every method of the daemon API, in the order docs/daemon-api.md lists them. */
export const METHODS = [
  // ── this account and the network
  method({ name: 'getAccountDetails', summary: 'This account and device: URI, device id, display name, Tox ID, and whether the node is on the network.', params: [], result: { type: 'object', properties: { uri: s.accountUri, deviceId: s.deviceId, displayName: str, toxId: s.toxId, started: bool } } }),
  method({ name: 'toxId', summary: 'The Tox ID others add this account by.', params: [], result: s.toxId }),
  method({ name: 'getNetworkStatus', summary: 'The DHT, the TCP relays and the onion’s way out.', params: [], result: s.networkStatus }),
  method({ name: 'getPeers', summary: 'Connected devices and how each is reached.', params: [], result: list(s.peer) }),
  // ── contacts
  method({ name: 'addContact', summary: 'Sends a contact request to a Tox ID (a Tox friend request carrying this account).', params: [p('toxId', s.toxId)], result: nothing }),
  method({ name: 'getContacts', summary: 'Contacts, confirmed or pending.', params: [], result: list(s.contact) }),
  method({ name: 'getContactDetails', summary: 'One contact, or null.', params: [p('uri', s.accountUri)], result: { ...s.contact, type: ['object', 'null'] } }),
  method({ name: 'getTrustRequests', summary: 'Contact requests received and not answered.', params: [], result: list(s.trustRequest) }),
  method({ name: 'acceptTrustRequest', summary: 'Accepts a contact request; the one-to-one conversation follows.', params: [p('from', s.accountUri)], result: nothing }),
  method({ name: 'discardTrustRequest', summary: 'Drops a contact request without answering.', params: [p('from', s.accountUri)], result: nothing }),
  method({ name: 'removeContact', summary: 'Removes a contact (and bans it with `{ban: true}`).', params: [p('uri', s.accountUri), p('options', { type: 'object', properties: { ban: bool }, additionalProperties: false }, true)], result: nothing }),
  // ── conversations
  method({ name: 'getConversations', summary: 'Ids of the conversations this account is in.', params: [], result: list(s.conversationId) }),
  method({ name: 'startConversation', summary: 'Creates a group conversation with this account as admin; returns its id.', params: [p('options', { type: 'object', properties: { mode: { type: 'integer', enum: [1, 2, 3] }, title: { type: 'string', maxLength: 512 }, description: { type: 'string', maxLength: 4096 } }, additionalProperties: false }, true)], result: s.conversationId }),
  method({ name: 'conversationInfos', summary: 'Title, description, avatar, mode… of a conversation.', params: [conv], result: s.strings }),
  method({ name: 'updateConversationInfos', summary: 'Admins: sets title, description or avatar (an update-profile commit); returns its id.', params: [conv, p('infos', s.profile)], result: s.messageId }),
  method({ name: 'getConversationMembers', summary: 'Members and their roles.', params: [conv], result: list(s.member) }),
  method({ name: 'addConversationMember', summary: 'Admins (or anyone, in public mode): invites an account.', params: [conv, p('uri', s.accountUri)], result: nothing }),
  method({ name: 'removeConversationMember', summary: 'Admins: bans a member (or takes back an invitation).', params: [conv, p('uri', s.accountUri)], result: nothing }),
  method({ name: 'removeConversation', summary: 'Leaves a conversation and removes it here and on the account’s other devices.', params: [conv], result: bool }),
  method({ name: 'getConversationPreferences', summary: 'This account’s preferences for a conversation (color, notifications…).', params: [conv], result: s.strings }),
  method({ name: 'setConversationPreferences', summary: 'Sets preferences for a conversation; own devices share them.', params: [conv, p('preferences', s.strings)], result: nothing }),
  method({ name: 'getConversationRequests', summary: 'Invitations received and not answered.', params: [], result: list(s.conversationRequest) }),
  method({ name: 'acceptConversationRequest', summary: 'Accepts an invitation: the conversation is cloned from a member.', params: [conv], result: nothing }),
  method({ name: 'declineConversationRequest', summary: 'Declines an invitation (on every device of the account).', params: [conv], result: nothing }),
  // ── messages
  method({ name: 'sendMessage', summary: 'Writes a text message (optionally a reply); returns its id.', params: [conv, p('body', s.text), p('options', { type: 'object', properties: { replyTo: s.messageId }, additionalProperties: false }, true)], result: s.messageId }),
  method({ name: 'editMessage', summary: 'Replaces the text of an own message; returns the edit’s id.', params: [conv, p('messageId', s.messageId), p('body', s.text)], result: s.messageId }),
  method({ name: 'deleteMessage', summary: 'Deletes an own message (an edit with an empty body).', params: [conv, p('messageId', s.messageId)], result: s.messageId }),
  method({ name: 'addReaction', summary: 'Reacts to a message; returns the reaction’s id.', params: [conv, p('messageId', s.messageId), p('emoji', { type: 'string', minLength: 1, maxLength: 64 })], result: s.messageId }),
  method({ name: 'removeReaction', summary: 'Takes back an own reaction.', params: [conv, p('reactionId', s.messageId)], result: s.messageId }),
  method({ name: 'loadConversation', summary: 'Messages newest first: `n` (default 50) from `from`, or until `until`; page back by passing the oldest’s linearizedParent as `from`.', params: [conv, p('options', { type: 'object', properties: { from: s.messageId, n: { type: 'integer', minimum: 0, maximum: 10_000 }, until: s.messageId }, additionalProperties: false }, true)], result: list(s.message) }),
  method({ name: 'getMessage', summary: 'One message, with its edits and reactions.', params: [conv, p('messageId', s.messageId)], result: s.message }),
  method({ name: 'searchConversation', summary: 'Messages matching a regular expression, author, type or time range.', params: [conv, p('options', { type: 'object', properties: { regex: { type: 'string', maxLength: 1000 }, caseSensitive: bool, author: s.accountUri, type: str, after: { type: 'integer' }, before: { type: 'integer' }, max: { type: 'integer', minimum: 0 } }, additionalProperties: false }, true)], result: list(s.message) }),
  method({ name: 'countInteractions', summary: 'How many messages after `since` (all without it), optionally by one author, or only those after `untilAuthor` last wrote (Jami’s authorUri) — unread counts.', params: [conv, p('options', { type: 'object', properties: { since: s.messageId, author: s.accountUri, untilAuthor: s.accountUri }, additionalProperties: false }, true)], result: { type: 'integer' } }),
  // ── status, typing, presence, profiles, devices, settings
  method({ name: 'setMessageDisplayed', summary: 'Marks a message (and every older one) displayed: own devices learn it, members get a read receipt (not with sendReadReceipt off, nor above 20 members). False when it was already.', params: [conv, p('messageId', s.messageId)], result: bool }),
  method({ name: 'getMessageStatus', summary: 'Each member’s status for one message: 2 sent, 3 displayed.', params: [conv, p('messageId', s.messageId)], result: { type: 'object', additionalProperties: { type: 'integer' } } }),
  method({ name: 'setIsComposing', summary: 'Tells members this account is typing (true lasts 12 s unless renewed) or stopped.', params: [conv, p('composing', bool)], result: nothing }),
  method({ name: 'getComposing', summary: 'Members typing in a conversation now.', params: [conv], result: list(s.accountUri) }),
  method({ name: 'getPresence', summary: 'An account’s presence over its devices: 0 disconnected, 1 available, 2 connected.', params: [p('uri', s.accountUri)], result: { type: 'integer', enum: [0, 1, 2] } }),
  method({ name: 'updateProfile', summary: 'Sets this account’s display name and/or avatar (base64; null removes it); sent to contacts and own devices. ERR_LIMIT_EXCEEDED past 32 KiB.', params: [p('profile', { type: 'object', properties: { displayName: { type: 'string', maxLength: 256 }, avatar: { type: ['string', 'null'], maxLength: 65_536 } }, additionalProperties: false })], result: s.accountProfile }),
  method({ name: 'getProfile', summary: 'This account’s profile (no uri) or a contact’s, or null.', params: [p('uri', s.accountUri, true)], result: { ...s.accountProfile, type: ['object', 'null'] } }),
  method({ name: 'revokeDevice', summary: 'Revokes another device of this account (this device must hold the account key): a signed CRL goes into every conversation and to own devices.', params: [p('deviceId', s.deviceId)], result: nothing }),
  method({ name: 'getKnownDevices', summary: 'The account’s devices that are not revoked: device id → name.', params: [], result: s.strings }),
  method({ name: 'getSettings', summary: 'sendReadReceipt and sendComposing.', params: [], result: s.settings }),
  method({ name: 'updateSettings', summary: 'Changes some settings; returns them all.', params: [p('settings', s.settings)], result: s.settings }),
  // ── files
  method({ name: 'sendFile', summary: 'Shares a file on the node’s machine: hosted here, announced in the conversation; returns the message id.', params: [conv, p('path', s.path), p('options', { type: 'object', properties: { displayName: { type: 'string', maxLength: 255 }, replyTo: s.messageId }, additionalProperties: false }, true)], result: s.messageId }),
  method({ name: 'downloadFile', summary: 'Fetches a shared file from any device holding it, into `path` (default: the account’s downloads/ folder); progress as dataTransferEvent. Returns the destination.', params: [conv, p('interactionId', s.messageId), p('fileId', s.fileId), p('path', s.path, true)], result: s.path }),
  method({ name: 'cancelDataTransfer', summary: 'Stops a download (a partial file is kept for resuming).', params: [conv, p('fileId', s.fileId)], result: bool }),
  method({ name: 'fileTransferInfo', summary: 'Where a download stands, or null.', params: [conv, p('fileId', s.fileId)], result: { ...s.transferInfo, type: ['object', 'null'] } }),
  // ── notifications
  method({ name: 'subscribe', summary: 'Starts notifications for these events (all without a list); returns the events now subscribed.', params: [p('events', { type: 'array', items: { type: 'string' } }, true)], result: list(str), needsNode: true }),
  method({ name: 'unsubscribe', summary: 'Stops notifications for these events (all without a list); returns the events still subscribed.', params: [p('events', { type: 'array', items: { type: 'string' } }, true)], result: list(str), needsNode: true }),
] as const

/** Every notification (an Account event) a client may subscribe to. */
export const NOTIFICATIONS: readonly NotificationSpec[] = [
  { name: 'conversationReady', summary: 'A conversation was created here or cloned, and can be used.', params: [conv] },
  { name: 'conversationRequestReceived', summary: 'An invitation arrived.', params: [conv, p('metadatas', s.strings)] },
  { name: 'conversationRequestDeclined', summary: 'An invitation was declined here or on another device of the account.', params: [conv] },
  { name: 'conversationRemoved', summary: 'A conversation was removed here or on another device.', params: [conv] },
  { name: 'swarmMessageReceived', summary: 'A new message to show: received, or written here.', params: [conv, p('message', s.message)] },
  { name: 'swarmMessageUpdated', summary: 'A message was edited or deleted: its new state.', params: [conv, p('message', s.message)] },
  { name: 'reactionAdded', summary: 'A reaction to a message.', params: [conv, p('messageId', s.messageId), p('reaction', { type: 'object', properties: { id: s.messageId, author: s.accountUri, emoji: str } })] },
  { name: 'reactionRemoved', summary: 'A reaction was taken back.', params: [conv, p('messageId', s.messageId), p('reactionId', s.messageId)] },
  { name: 'conversationMemberEvent', summary: 'A membership commit: add, join, remove, ban, unban.', params: [conv, p('memberUri', s.accountUri), p('action', { type: 'string', enum: ['add', 'join', 'remove', 'ban', 'unban'] })] },
  { name: 'conversationProfileUpdated', summary: 'Title, description or avatar changed.', params: [conv, p('profile', s.profile)] },
  { name: 'conversationPreferencesUpdated', summary: 'Preferences changed (here or on another own device).', params: [conv, p('preferences', s.strings)] },
  { name: 'conversationSyncFinished', summary: 'No fetch is in flight any more.', params: [] },
  { name: 'onConversationError', summary: 'A fetch or clone was refused, or an operation failed.', params: [conv, p('error', s.conversationError)] },
  { name: 'contactAdded', summary: 'A contact was added (confirmed: both sides agreed).', params: [p('uri', s.accountUri), p('confirmed', bool)] },
  { name: 'contactRemoved', summary: 'A contact was removed (or banned).', params: [p('uri', s.accountUri), p('banned', bool)] },
  { name: 'trustRequestReceived', summary: 'Someone asked to become a contact.', params: [p('from', s.accountUri), p('details', { type: 'object', properties: { toxPk: str, name: str, received: { type: 'integer' } } })] },
  { name: 'deviceAdded', summary: 'A device of this account was linked and verified.', params: [p('deviceId', s.deviceId), p('name', str)] },
  { name: 'dataTransferEvent', summary: 'A file sent or downloaded moved on.', params: [conv, p('interactionId', s.messageId), p('fileId', s.fileId), p('event', s.dataTransferEvent)] },
  { name: 'fileHolderRejected', summary: 'A holder served bytes that do not match: dropped from that download.', params: [conv, p('fileId', s.fileId), p('deviceId', s.deviceId), p('reason', str)] },
  { name: 'peerError', summary: 'A peer sent something refused: garbage, an oversized frame, a bad hello, a flood.', params: [p('error', s.typedError)] },
  { name: 'peerPathChanged', summary: 'A connected device is now reached another way.', params: [p('peer', s.peer)] },
  { name: 'accountMessageStatusChanged', summary: 'A member’s status for a message moved up (2 sent, 3 displayed); older messages inherit it.', params: [conv, p('peerUri', s.accountUri), p('messageId', s.messageId), p('status', { type: 'integer' })] },
  { name: 'composingStatusChanged', summary: 'A member started or stopped typing.', params: [conv, p('peerUri', s.accountUri), p('composing', bool)] },
  { name: 'presenceChanged', summary: 'An account’s presence changed: 0 disconnected, 1 available, 2 connected.', params: [p('uri', s.accountUri), p('status', { type: 'integer', enum: [0, 1, 2] })] },
  { name: 'profileReceived', summary: 'A contact’s profile (or this account’s, from an own device) arrived: read it with getProfile.', params: [p('uri', s.accountUri)] },
  { name: 'knownDevicesChanged', summary: 'The account’s devices changed (one linked or revoked): device id → name.', params: [p('devices', s.strings)] },
  { name: 'deviceRevocationEnded', summary: 'A revocation made here was published (status 0).', params: [p('deviceId', s.deviceId), p('status', { type: 'integer' })] },
  { name: 'deviceRevoked', summary: 'This device was revoked by its account: the node stops.', params: [p('deviceId', s.deviceId)] },
]

/** The name of a daemon API method. */
export type MethodName = (typeof METHODS)[number]['name']

export const METHOD_NAMES: ReadonlySet<string> = new Set(METHODS.map((m) => m.name))
export const NOTIFICATION_NAMES: readonly string[] = NOTIFICATIONS.map((n) => n.name)

/** The method spec called `name`, or undefined. */
export function methodSpec(name: string): MethodSpec | undefined {
  return (METHODS as readonly MethodSpec[]).find((m) => m.name === name)
}
