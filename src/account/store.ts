/**
 * An account's directory and the state kept in it:
 *
 *   <dir>/identity/                the device identity (../identity/storage.ts)
 *   <dir>/account.json             nospam and format
 *   <dir>/contacts.json            contacts by account URI (and pending ones by Tox key)
 *   <dir>/trust-requests.json      friend requests received, not yet answered
 *   <dir>/requests.json            conversation requests (invitations) received
 *   <dir>/conversations.json       every conversation known: created, removed, syncing
 *   <dir>/preferences.json         per-conversation preferences (not in git, synced to own devices)
 *   <dir>/devices.json             the account's other devices
 *   <dir>/outbox.json              frames for peers that were offline
 *   <dir>/downloads.json           file downloads: waiting, partial (with the ranges held), done
 *   <dir>/hosted.json              hosted files already checked against their SHA3-512 (stamps)
 *   <dir>/settings.json            account settings (read receipts, typing notifications)
 *   <dir>/profile.json             the account profile (name, avatar), shared with contacts
 *   <dir>/profiles/<uri>.json      each contact's profile, as received
 *   <dir>/conversations/<id>/      the repositories (bare)
 *   <dir>/conversation_data/<id>/  files hosted for a conversation, as Jami: <commit>_<tid>[.<ext>],
 *                                  and `status`: each member's last fetched and last read message
 *
 * Every file is written whole beside its place, flushed to disk and renamed in, and the
 * directory flushed after: a crash leaves the old file or the new one, never half of either.
 * @module
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidStateError } from '../errors.js'
import { JsonFile } from '../util/json-file.js'

export { JsonFile, writeFileAtomic } from '../util/json-file.js'

/** The account's clock: Unix seconds, as commit times and Jami's request times. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** A contact of the account. */
export interface Contact {
  /** Account URI ('' while only the Tox ID we asked is known). */
  uri: string
  /** Tox public keys (hex) of the contact's devices we know. */
  devices: string[]
  /** Friend request sent, not yet answered by the contact (we know only a Tox ID). */
  pending?: { toxPk: string; nospam: string; mutual?: boolean }
  /** Both sides agreed (our request accepted, or theirs accepted by us). */
  confirmed: boolean
  /** The one-to-one conversation with this contact. */
  conversationId?: string
  added: number
  removed?: number
  banned?: boolean
  name?: string
  /** The Tox ID we added it by (with its nospam): a device restored from an archive asks it again. */
  toxId?: string
}

/** A download asked for (Jami's waiting list, with the ranges held for resume). */
export interface DownloadRecord {
  conversationId: string
  interactionId: string
  fileId: string
  /** Where the verified file goes; the partial one is `<path>.tmp`. */
  path: string
  totalSize: number
  sha3sum: string
  status: 'waiting' | 'finished' | 'error'
  /** Byte ranges in the partial file, flushed to disk before they were recorded. */
  done: Array<[number, number]>
  error?: { code: string; message: string }
}

/** A friend request received, not yet answered. */
export interface TrustRequest {
  /** The sender's account URI as it claims it (checked when its device connects). */
  uri: string
  toxPk: string
  name: string
  received: number
}

/** An invitation to a conversation, received. */
export interface ConversationRequest {
  conversationId: string
  /** Account URI of the inviter (verified: it came over its device's connection). */
  from: string
  metadatas: Record<string, string>
  received: number
  declined?: number
}

/** A conversation the account knows: created, cloning, or removed. */
export interface ConversationInfo {
  id: string
  created: number
  removed?: number
  /** Accepted, being cloned: the account to clone from. */
  syncing?: { from: string; since: number }
  mode?: number
  /**
   * Removed with its contact (a one-to-one): the repository is kept, not erased, so that
   * adding the contact again brings the same conversation back (Jami's testAvoidTwoOneToOne).
   */
  kept?: boolean
}

/** Another device of this account. */
export interface OwnDevice {
  deviceId: string
  /** Tox public key (hex). */
  toxPk: string
  /** Its Tox ID (with nospam), when known: a new device sends it a friend request. */
  toxId?: string
  name: string
  added: number
  /** We have been connected to it and its hello verified. */
  introduced?: boolean
  /** Its device certificate (PEM), as its hello gave it: what a revocation lists. */
  cert?: string
  /** Revoked (ms): not befriended, its sync refused. */
  revoked?: number
}

export interface OutboxEntry {
  /** A device's Tox key (hex), or `account:<uri>` for any device of that account. */
  to: string
  /** Entries with the same key and recipient replace each other (the newest announcement wins); the peer acknowledges by key. */
  key: string
  frame: Record<string, unknown> & { t: string }
  queued: number
}

export interface AccountFiles {
  format: string
  nospam: string
  /**
   * Made from an archive and not yet connected to a contact: it sends its contacts (those it
   * knows by Tox ID) a friend request, as no other device of the account may be left to
   * introduce it (Jami's testSyncCreateAccountExportDeleteReimport*).
   */
  introduce?: boolean
}

export const ACCOUNT_FORMAT = 'gitswarm-account/1'

/** Account settings (Jami's account details of the same meaning). */
export interface AccountSettings {
  /** Send read receipts, and show the ones members send (Jami's sendReadReceipt; default true). */
  sendReadReceipt: boolean
  /** Tell members when this account is typing (Jami's sendComposing; default true). */
  sendComposing: boolean
}

export const DEFAULT_SETTINGS: AccountSettings = { sendReadReceipt: true, sendComposing: true }

/** The state of an account directory, loaded and saved as a whole per file. */
export class AccountStore {
  readonly meta: JsonFile<AccountFiles>
  readonly contacts: JsonFile<Record<string, Contact>>
  readonly trustRequests: JsonFile<Record<string, TrustRequest>>
  readonly requests: JsonFile<Record<string, ConversationRequest>>
  readonly conversations: JsonFile<Record<string, ConversationInfo>>
  readonly preferences: JsonFile<Record<string, { values: Record<string, string>; updated: number }>>
  readonly devices: JsonFile<Record<string, OwnDevice>>
  readonly outbox: JsonFile<OutboxEntry[]>
  readonly downloads: JsonFile<Record<string, DownloadRecord>>
  readonly hosted: JsonFile<Record<string, string>>
  readonly settings: JsonFile<AccountSettings>

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'conversations'), { recursive: true })
    this.meta = new JsonFile(join(dir, 'account.json'), () => ({ format: ACCOUNT_FORMAT, nospam: '' }))
    if (this.meta.value.format !== ACCOUNT_FORMAT) throw new InvalidStateError(`open ${dir}`, `unknown account format "${this.meta.value.format}"`)
    this.contacts = new JsonFile(join(dir, 'contacts.json'), () => ({}))
    this.trustRequests = new JsonFile(join(dir, 'trust-requests.json'), () => ({}))
    this.requests = new JsonFile(join(dir, 'requests.json'), () => ({}))
    this.conversations = new JsonFile(join(dir, 'conversations.json'), () => ({}))
    this.preferences = new JsonFile(join(dir, 'preferences.json'), () => ({}))
    this.devices = new JsonFile(join(dir, 'devices.json'), () => ({}))
    this.outbox = new JsonFile(join(dir, 'outbox.json'), () => [])
    this.downloads = new JsonFile(join(dir, 'downloads.json'), () => ({}))
    this.hosted = new JsonFile(join(dir, 'hosted.json'), () => ({}))
    this.settings = new JsonFile(join(dir, 'settings.json'), () => ({ ...DEFAULT_SETTINGS }))
  }

  /** Where a conversation's files are hosted (Jami's conversation_data/<id>). */
  dataDir(conversationId: string): string {
    return join(this.dir, 'conversation_data', conversationId)
  }

  get identityDir(): string {
    return join(this.dir, 'identity')
  }

  repositoryPath(conversationId: string): string {
    return join(this.dir, 'conversations', conversationId)
  }

  /** Queues frames for recipients, each replacing a queued one with the same recipient and key; one write. */
  enqueue(entries: Omit<OutboxEntry, 'queued'> | Array<Omit<OutboxEntry, 'queued'>>, now: number): void {
    const list = Array.isArray(entries) ? entries : [entries]
    if (list.length === 0) return
    const replaced = new Set(list.map((e) => `${e.to}\n${e.key}`))
    this.outbox.value = [...this.outbox.value.filter((e) => !replaced.has(`${e.to}\n${e.key}`)), ...list.map((e) => ({ ...e, queued: now }))]
    this.outbox.save()
  }

  /** The entries waiting for `recipients` (a device key and its `account:` form). */
  outboxFor(recipients: string[]): OutboxEntry[] {
    return this.outbox.value.filter((e) => recipients.includes(e.to))
  }

  /** The peer confirmed `key`: its entries leave the outbox. */
  acknowledge(recipients: string[], key: string): void {
    const kept = this.outbox.value.filter((e) => !(e.key === key && recipients.includes(e.to)))
    if (kept.length === this.outbox.value.length) return
    this.outbox.value = kept
    this.outbox.save()
  }
}
