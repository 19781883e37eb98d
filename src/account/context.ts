/**
 * What the account's feature modules see of the account (isomorphic-git's api → commands
 * shape): the narrow interfaces they are given instead of the Account class, so that none of
 * them imports ./account.ts and the facade stays thin. The Account implements them; tests may
 * hand a module anything that does.
 * @module
 */
import type { DeviceIdentity } from '../identity/identity.js'
import type { Conversation } from '../swarm/conversation.js'
import type { AccountEmitter, ConversationError } from './events.js'
import type { Frame } from './frames.js'
import type { VerifiedPeer } from './hello.js'
import type { SwarmNode } from './swarm-node.js'
import type { AccountStore } from './store.js'

/** Who the account is and where it keeps its state. */
export interface AccountCore {
  /** The account directory. */
  readonly dir: string
  readonly identity: DeviceIdentity
  /** Account URI (hex SHA-1 of the account key). */
  readonly uri: string
  /** This device's id (hex SHA-256 of its device key). */
  readonly deviceId: string
  /** The name written into this device's commits. */
  readonly displayName: string
  readonly store: AccountStore
  /** Emits one of the account's typed events. */
  emit: AccountEmitter['emit']
}

/** The account's open conversations (./conversations.ts). */
export interface ConversationsPort {
  /** The open repository of a conversation; NotFoundError when there is none. */
  conversation(id: string): Conversation
  /** The open repository, opened on demand; undefined for unknown, removed or cloning ones. */
  openConversation(id: string): Conversation | undefined
  /** Every usable conversation, opened. */
  openConversations(): Conversation[]
  /** Writes through `fn`, then emits the events and announces the new head. */
  write(id: string, fn: (conv: Conversation) => string | string[] | undefined): string[]
  /** Known Tox keys (hex) of the devices of `uri`: from contacts, own devices and shared conversations. */
  devicesOf(uri: string): string[]
  /** Jami's invite metadatas: the profile and the mode. */
  inviteMetadatas(conv: Conversation): Record<string, string>
  /** Forgets a conversation here (erased now, or served until the next start). */
  removeLocally(id: string, erase?: boolean): void
  /** A clone finished: join if invited, then ready. */
  adoptClone(conv: Conversation): void
  /** A clone cannot be made: the conversation is forgotten and the error emitted. */
  abandonClone(id: string, error: ConversationError): void
  /** Creates the one-to-one conversation with a newly confirmed contact and offers it. */
  startOneToOne(contactUri: string): void
  /** A contact confirmed again: its one-to-one comes back (kept, or cloned from it), or a new one is made. */
  restoreOneToOne(contactUri: string): void
}

/** What commands ask of the account's network side (./network.ts), once it is started. */
export interface NetworkPort {
  readonly node: SwarmNode
  /** Sends (or sends again) the friend request of a contact added by Tox ID. */
  requestContact(toxPk: string, nospam: string): void
  /** Accepts a device's friend request: the sender becomes a confirmed contact once it verifies. */
  acceptTrust(toxPk: string, uri: string): void
  befriend(toxPk: string): void
  unfriend(toxPk: string): void
  /** Our whole shared state to every connected own device (except `except`). */
  syncOwnDevices(except?: string): void
  /** Clones an accepted conversation from a connected device that may have it. */
  clone(id: string): void
  /** Offers `conv` to every device of `uri`, now or when one comes online. */
  sendInvite(conv: Conversation, uri: string): void
  /** A frame to every known device of `uri`, kept in the outbox until acknowledged (under `key`). */
  sendToAccount(uri: string, key: string, frame: Frame): void
  /** A frame to the connected devices of `uri` only (lost for the others): for what is only worth sending now. */
  sendToConnected(uri: string, frame: Frame): void
  /** Registers the handler of frames of type `t` on `msg:` (or, with `sync`, on own devices' `sync://`). */
  handle(t: string, handler: (peer: VerifiedPeer, frame: Frame) => void, options?: { sync?: boolean }): void
}

/** The whole context the account's commands take. */
export interface AccountContext extends AccountCore, ConversationsPort {
  /** The network side, while the account is started. */
  readonly network: NetworkPort | undefined
}
