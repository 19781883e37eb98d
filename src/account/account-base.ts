/**
 * The state and life of one device of an account, under the Account's API (./account.ts): its
 * directory (./store.ts), identity, the feature modules given a narrow context (./context.ts),
 * and its time on the Tox network (./network.ts) between start and stop.
 * @module
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { InvalidArgumentError, InvalidStateError } from '../errors.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { toxId, toxPublicKey } from '../identity/tox.js'
import type { NetworkStatus } from '../transport/tox-node.js'
import { exportAccountArchive } from './archive.js'
import type { AccountContext } from './context.js'
import { accountContext, ConversationRegistry } from './conversations.js'
import type { AccountEvents } from './events.js'
import { AccountFiles } from './files.js'
import { AccountNetwork, type NetworkOptions } from './network.js'
import { PresenceTracker } from './presence.js'
import { Profiles } from './profile.js'
import { Revocations } from './revocation.js'
import { takeRunLock } from './run-lock.js'
import { MessageStatuses } from './status.js'
import { AccountStore, ACCOUNT_FORMAT, DEFAULT_SETTINGS, type AccountSettings } from './store.js'
import type { PeerInfo } from './swarm-node.js'
import { Typers } from './typing.js'

/** One device of an account: its state, its feature modules, and its life on the network. */
export class AccountBase extends EventEmitter<AccountEvents> {
  readonly store: AccountStore
  /** What the feature modules see of the account (./context.ts). */
  protected readonly ctx: AccountContext
  protected readonly registry: ConversationRegistry
  protected readonly statuses: MessageStatuses
  protected readonly typers: Typers
  protected readonly presence: PresenceTracker
  protected readonly profiles: Profiles
  protected readonly revocations: Revocations
  protected net: AccountNetwork | undefined
  private releaseRunLock: (() => void) | undefined
  /** @internal files sent, hosted and downloaded (./files.ts). */
  readonly files: AccountFiles
  /** Largest file sendFile announces and downloadFile fetches, in bytes (default 4 GiB). */
  get maxFileSize(): number {
    return this.files.maxFileSize
  }
  set maxFileSize(bytes: number) {
    this.files.maxFileSize = bytes
  }

  protected constructor(
    readonly dir: string,
    readonly identity: DeviceIdentity,
  ) {
    super()
    this.store = new AccountStore(dir)
    this.ctx = accountContext(this, () => this.registry, () => this.net)
    this.files = new AccountFiles(this.ctx)
    this.registry = new ConversationRegistry(this.ctx, () => this.net, (id) => this.files.removeHosted(id))
    this.statuses = new MessageStatuses(this.ctx)
    this.typers = new Typers(this.ctx)
    this.presence = new PresenceTracker(this.ctx)
    this.profiles = new Profiles(this.ctx)
    this.revocations = new Revocations(this.ctx, () => void this.stop())
    this.on('conversationMemberEvent', (id, uri, action) => this.typers.memberChanged(id, uri, action))
    this.on('contactAdded', (uri, confirmed) => confirmed && this.profiles.publish(uri))
    if (!this.store.meta.value.nospam) {
      this.store.meta.value = { format: ACCOUNT_FORMAT, nospam: randomBytes(4).toString('hex') }
      this.store.meta.save()
    }
    this.registry.eraseRemoved()
    this.on('swarmMessageUpdated', (id, message) => this.files.onMessageUpdated(id, message))
  }

  /** The archive of this account, sealed with `passphrase` (this device must hold the account key). */
  exportArchive(passphrase: string): Buffer {
    const self = { deviceId: this.deviceId, toxPk: Buffer.from(this.toxPublicKey).toString('hex'), toxId: this.toxId(), name: this.displayName, added: Date.now(), introduced: false, cert: this.identity.deviceCertPem }
    return exportAccountArchive(this.identity, this.store, self, passphrase)
  }


  /** Account URI: hex SHA-1 of the account key. */
  get uri(): string {
    return this.identity.uri
  }

  /** This device's id: hex SHA-256 of its device key. */
  get deviceId(): string {
    return this.identity.deviceId
  }

  /** The name written into this device's commits. */
  get displayName(): string {
    return this.identity.displayName
  }

  /** This device's Tox key (its Ed25519 device key, converted). */
  get toxPublicKey(): Uint8Array {
    return toxPublicKey(this.identity.deviceKey.publicKey)
  }

  /** This device's Tox ID (76 hex digits, with the account's nospam): what others add. */
  toxId(): string {
    return this.net?.node.tox.toxId() ?? toxId(this.toxPublicKey, Buffer.from(this.store.meta.value.nospam, 'hex'))
  }

  /** The node of a started account: its address and DHT key make it a bootstrap node for others. */
  get node() {
    if (!this.net) throw new InvalidStateError('reach the network', 'the account is not started')
    return this.net.node
  }

  /** @internal the network side, once started. */
  get network(): AccountNetwork | undefined {
    return this.net
  }

  /**
   * The devices connected now (own and others', each verified by its hello) and how each is
   * reached: path `udp-lan`, `udp-direct` or `tcp-relay`, remote address, round-trip time.
   * Empty when the account is not started.
   */
  getPeers(): PeerInfo[] {
    return this.net?.node.peerInfos() ?? []
  }

  /** How this device stands on the Tox network (DHT, TCP relays, the onion's way out); undefined when not started. */
  getNetworkStatus(): NetworkStatus | undefined {
    return this.net?.node.tox.status()
  }

  /** Whether the account is on the network (between start and stop). */
  get started(): boolean {
    return this.net !== undefined
  }

  /** Joins the Tox network (bootstrap nodes in `options`) and starts delivering. */
  async start(options: NetworkOptions = {}): Promise<void> {
    if (this.net) throw new InvalidStateError('start', 'already started')
    if (this.revocations.selfRevoked) throw new InvalidStateError('start', 'this device was revoked by its account')
    const lock = takeRunLock(this.dir)
    try {
      this.registry.recoverAll()
      this.net = await AccountNetwork.start(this.ctx, this.files, options, { refusePeer: (p) => this.revocations.refusal(p), requestName: () => this.profiles.get()?.displayName || this.displayName })
    } catch (err) {
      lock.release()
      throw err
    }
    this.releaseRunLock = lock.release
    for (const conv of this.registry.opened()) this.net.node.host(conv)
    this.files.attach(this.net.node)
    for (const feature of this.features()) feature.attach(this.net)
  }

  private features() {
    return [this.statuses, this.typers, this.presence, this.profiles, this.revocations]
  }

  /** Leaves the network (peers see the connections close at once) and closes the repositories. */
  async stop(): Promise<void> {
    const net = this.net
    this.net = undefined
    for (const feature of this.features()) feature.detach()
    await this.files.detach()
    await net?.close()
    this.registry.closeAll()
    this.releaseRunLock?.()
    this.releaseRunLock = undefined
  }


  /** The account's settings (sendReadReceipt, sendComposing). */
  getSettings(): AccountSettings {
    return { ...DEFAULT_SETTINGS, ...this.store.settings.value }
  }

  /** Changes some settings; returns them all. */
  updateSettings(changes: Partial<AccountSettings>): AccountSettings {
    for (const [key, value] of Object.entries(changes)) {
      if (!(key in DEFAULT_SETTINGS)) throw new InvalidArgumentError(`no setting "${key}"`, { key })
      if (typeof value !== 'boolean') throw new InvalidArgumentError(`setting "${key}" is true or false`, { key })
    }
    this.store.settings.value = { ...this.getSettings(), ...changes }
    this.store.settings.save()
    return this.getSettings()
  }
}
