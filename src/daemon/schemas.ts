/**
 * The JSON Schemas of the values the daemon API passes: ids, messages, contacts, requests,
 * transfers. Shared by the method and notification list (./api.ts) and printed in its docs.
 * @module
 */
import type { Schema } from './schema.js'

const hex40 = '^[0-9a-f]{40}$'

export const conversationId: Schema = { type: 'string', pattern: hex40, description: 'Conversation id: the hex SHA-1 of its first commit.' }
export const messageId: Schema = { type: 'string', pattern: hex40, description: 'Message id: the hex SHA-1 of its commit.' }
export const accountUri: Schema = { type: 'string', pattern: hex40, description: 'Account URI: hex SHA-1 of the account key.' }
export const deviceId: Schema = { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Device id: hex SHA-256 of the device key.' }
export const toxId: Schema = { type: 'string', pattern: '^[0-9A-Fa-f]{76}$', description: 'Tox ID: 76 hex digits (key, nospam, checksum).' }
export const fileId: Schema = { type: 'string', pattern: '^[0-9a-f]{40}_[0-9]+(\\.[A-Za-z0-9]{1,16})?$', description: 'File id: `<commit>_<tid>[.<ext>]`.' }
export const text: Schema = { type: 'string', maxLength: 64_000 }
export const path: Schema = { type: 'string', minLength: 1, maxLength: 4096, description: 'A path on the node’s machine.' }
const strings: Schema = { type: 'object', additionalProperties: { type: 'string' } }
const seconds: Schema = { type: 'integer', description: 'Unix seconds.' }
const millis: Schema = { type: 'integer', description: 'Unix milliseconds.' }

export const message: Schema = {
  type: 'object',
  description: 'A message as apps show it (Jami’s SwarmMessage), edits and reactions folded in.',
  properties: {
    id: messageId,
    type: { type: 'string', description: 'text/plain, application/data-transfer+json, member, application/update-profile, …' },
    author: accountUri,
    deviceId,
    timestamp: seconds,
    parents: { type: 'array', items: messageId },
    linearizedParent: { type: 'string', description: 'The next older displayed message, "" for the oldest.' },
    body: { ...strings, description: 'The commit’s fields except type (body, reply-to, tid, displayName, totalSize, …).' },
    reactions: { type: 'array', items: { type: 'object', properties: { id: messageId, author: accountUri, emoji: { type: 'string' } } } },
    editions: { type: 'array', description: 'Earlier versions, newest first.', items: { type: 'object', properties: { id: messageId, body: strings } } },
    latestEditionId: messageId,
    fileId,
    status: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Per member account: 2 sent (one of its devices fetched it), 3 displayed (Jami’s MessageStates); absent members have neither.' },
  },
  required: ['id', 'type', 'author', 'timestamp', 'body'],
}

export const contact: Schema = {
  type: 'object',
  properties: {
    uri: { type: 'string', description: 'Account URI ("" while only the Tox ID asked is known).' },
    devices: { type: 'array', items: { type: 'string' }, description: 'Tox public keys of its devices.' },
    pending: { type: 'object', description: 'A request sent and not yet answered.' },
    confirmed: { type: 'boolean' },
    conversationId,
    added: millis,
    removed: millis,
    banned: { type: 'boolean' },
    name: { type: 'string' },
    toxId: { type: 'string', description: 'The Tox ID it was added by, when this account asked.' },
    presence: { type: 'integer', enum: [0, 1, 2], description: '0 disconnected, 1 available, 2 connected (getContactDetails only).' },
  },
  required: ['uri', 'devices', 'confirmed', 'added'],
}

export const accountProfile: Schema = {
  type: 'object',
  description: 'An account’s profile: a display name and a small avatar (base64 PNG, JPEG, GIF or WebP, at most 32 KiB).',
  properties: { displayName: { type: 'string', maxLength: 256 }, avatar: { type: 'string' }, updated: millis },
  required: ['updated'],
}

export const settings: Schema = {
  type: 'object',
  properties: { sendReadReceipt: { type: 'boolean' }, sendComposing: { type: 'boolean' } },
  additionalProperties: false,
}

export const trustRequest: Schema = {
  type: 'object',
  properties: { uri: accountUri, toxPk: { type: 'string' }, name: { type: 'string' }, received: millis },
  required: ['uri', 'toxPk', 'name', 'received'],
}

export const conversationRequest: Schema = {
  type: 'object',
  properties: { id: conversationId, conversationId, from: accountUri, metadatas: strings, received: millis, declined: millis },
  required: ['id', 'from', 'metadatas', 'received'],
}

export const member: Schema = {
  type: 'object',
  properties: { uri: accountUri, role: { type: 'string', enum: ['admin', 'member', 'invited', 'banned', 'left'] }, lastDisplayed: messageId },
  required: ['uri', 'role'],
}

export const profile: Schema = {
  type: 'object',
  properties: {
    title: { type: 'string', maxLength: 512 },
    description: { type: 'string', maxLength: 4096 },
    avatar: { type: 'string', description: 'Base64 image data.' },
    rdvAccount: { type: 'string' },
    rdvDevice: { type: 'string' },
  },
  additionalProperties: false,
}

export const peer: Schema = {
  type: 'object',
  properties: {
    accountUri,
    deviceId,
    toxPk: { type: 'string' },
    path: { type: 'string', enum: ['udp-lan', 'udp-direct', 'tcp-relay'] },
    address: { type: 'string' },
    rttMs: { type: 'number' },
  },
}

const typedError: Schema = {
  type: 'object',
  properties: { name: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' }, data: { type: 'object' } },
}

export const transferInfo: Schema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ongoing', 'waiting', 'finished', 'error'] },
    bytes: { type: 'integer' },
    total: { type: 'integer' },
    path,
    error: typedError,
  },
}

export const dataTransferEvent: Schema = {
  type: 'object',
  properties: {
    code: { type: 'string', enum: ['created', 'ongoing', 'waiting', 'finished', 'cancelled', 'error'] },
    bytes: { type: 'integer' },
    total: { type: 'integer' },
    path,
    sources: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Bytes each holder’s device served.' },
    error: typedError,
  },
  required: ['code', 'bytes', 'total', 'path'],
}

export const conversationError: Schema = {
  type: 'object',
  properties: {
    code: { type: 'string', enum: ['fetch', 'invalid-mode', 'invalid-fetch', 'unauthorized', 'commit', 'unrecoverable'] },
    what: { type: 'string' },
    peer: { type: 'string' },
    rule: { type: 'string' },
    commit: messageId,
  },
  required: ['code', 'what'],
}

export const networkStatus: Schema = {
  type: ['object', 'null'],
  description: 'The DHT, the TCP relays and the onion’s way out (null while the node is not started).',
}

export { strings, typedError }
