/**
 * One conversation = one repository. Conversation opens or creates it, answers questions
 * about its current state (mode, members, profile, devices, history) and writes signed
 * commits — each checked against the same rules a receiving device applies, before `main`
 * moves (compare-and-swap, so a concurrent writer is detected, never overwritten).
 * The operations themselves (messages, membership, profile) live in ./commands/.
 * @module
 */
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { basename, dirname } from 'node:path'
import { InvalidArgumentError, InvalidCommitError, InvalidModeError, LockedError, NotFoundError, RefConflictError, UnauthorizedError } from '../errors.js'
import type { Durability } from '../git/durability.js'
import { openRepository, type Repository } from '../git/repository.js'
import { estimateLoose, repack, type RepackOptions, type RepackReport } from '../git/repack.js'
import { editTree, type TreeEdit } from '../git/tree.js'
import { isAccountUri } from '../identity/ids.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { CertificateCache } from '../validation/certs.js'
import { field, parseCommitMessage, type CommitMessage } from '../validation/commit-message.js'
import { DEFAULT_LIMITS, type ConversationMode, type ValidationEnv, type ValidationLimits } from '../validation/context.js'
import { adminPath, crlPath, devicePath, invitedPath } from '../validation/paths.js'
import { treeRevocations } from '../validation/author.js'
import { validateCommit } from '../validation/validate.js'
import type { TreeView } from '../validation/view.js'
import { signCommit, writeSignedCommit } from './commit-writer.js'
import { hashObject } from '../git/object-codec.js'
import { brokenOnPurpose, faultPoint, type FaultPoint } from '../util/fault-points.js'
import { entryFor, HistoryIndex } from './history-index.js'
import { entriesNotIn, UnionHistory, updateHeld, type History } from './held-heads.js'
import { devicesOf, membersOf, type DeviceEntry, type Member, type Role } from './members.js'
import { initialMessage } from './messages.js'
import { parseProfile, type ConversationProfile } from './profile.js'
import { StoreRepositoryView } from './repo-view.js'
import * as messaging from './commands/messaging.js'
import * as membership from './commands/membership.js'
import { updateProfile } from './commands/profile.js'
import { countMessages, getMessage, loadMessages, searchMessages, type LoadOptions, type SearchOptions, type SwarmMessage } from './history-view.js'
import type { CallHistory, FileAnnouncement } from './messages.js'
import type { RoleDir } from '../validation/paths.js'
import type { ConversationEvents } from './events.js'
import { serveConversation, syncFrom, type SyncOptions, type SyncResult } from './sync.js'
import { cloneConversation, type CloneOptions } from './clone.js'
import { mergeHeld } from './take-in.js'
import { rootCommit, stageRepository } from './staging.js'

/** How long a plain message keeps retrying while other writers hold or move `main` (git waits 100 ms for a ref lock). */
export const WRITE_PATIENCE_MS = 2000
const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks this thread for `ms`: writes are synchronous, and the lock holder is another process. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms)
}

/** The branch a conversation's history lives on (Jami's `main`). */
export const MAIN_REF = 'refs/heads/main'

/** How a conversation repository is opened. */
export interface OpenOptions {
  /** The local device, required to write. */
  identity?: DeviceIdentity
  /** Clock in Unix seconds (default: the system clock). */
  clock?: () => number
  /** Never write to the repository, not even the derived index. */
  readOnly?: boolean
  limits?: Partial<ValidationLimits>
  /**
   * `'full'` (default): a commit that returned survives a power cut (objects, then directories,
   * then the ref are flushed). `'fast'`: no flushes, about 3x the write rate; a process crash
   * still loses nothing, a power cut may lose the newest writes. See docs/reliability.md.
   */
  durability?: Durability
  /**
   * Repack once about this many loose objects pile up (git's gc.auto estimate, checked every
   * 256 writes, run on the event loop after the write that crossed it); false never does.
   * Default 2,000: a 0.2 s repack each time, the packs folded into one every eighth.
   */
  autoRepack?: number | false
}

/** How a new conversation is created (its root commit). */
export interface CreateOptions extends Omit<OpenOptions, 'identity' | 'readOnly'> {
  /** 0 one-to-one, 1 admin invites only, 2 invites only (default), 3 public. */
  mode?: ConversationMode
  /** The other member of a one-to-one conversation (mode 0). */
  invited?: string
  /** Exact repository path; otherwise `<dir>/<conversation id>`. */
  path?: string
  /** Parent directory for `<conversation id>` (default: the current directory). */
  dir?: string
}

const systemClock = (): number => Math.floor(Date.now() / 1000)

/**
 * One conversation: a git repository of signed commits, checked against the swarm rules. It
 * writes the commits Jami writes, answers history queries from a derived index, serves and
 * fetches its history over any duplex stream, and emits events for what it takes in.
 */
export class Conversation extends EventEmitter<ConversationEvents> {
  readonly repo: Repository
  readonly view: StoreRepositoryView
  readonly certs = new CertificateCache()
  readonly limits: ValidationLimits
  readonly readOnly: boolean
  identity: DeviceIdentity | undefined
  /** Unix seconds for new commits. */
  clock: () => number
  private cachedRoot: string | undefined
  private index: HistoryIndex | undefined
  /** Held heads as last read, for the `main` they were read against. */
  private held: { main: string; tips: string[] } | undefined
  private union: { key: string; history: UnionHistory } | undefined
  private stateOfTree: { tree: string; members?: Member[]; devices?: DeviceEntry[] } | undefined
  private readonly autoRepack: number | false
  private writesUnchecked = 0
  private repackScheduled: NodeJS.Timeout | undefined

  private constructor(repo: Repository, options: OpenOptions) {
    super()
    this.repo = repo
    this.view = new StoreRepositoryView(repo.objects)
    this.identity = options.identity
    this.clock = options.clock ?? systemClock
    this.readOnly = options.readOnly ?? false
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.autoRepack = options.autoRepack ?? 2000
  }

  /** Opens an existing conversation repository (bare, or Jami's with a working tree). */
  static open(path: string, options: OpenOptions = {}): Conversation {
    const conv = new Conversation(openRepository(path, { durability: options.durability }), options)
    if (!conv.repo.refs.resolve('HEAD')) throw new NotFoundError(`commits in ${path} (HEAD is unborn)`, { path })
    return conv
  }

  /**
   * Creates a conversation: a bare repository whose root commit holds the creator's account
   * and device certificates (and `invited/<uri>` in 1:1 mode). Built beside its final place
   * and renamed in, so a failure leaves nothing behind.
   */
  static create(identity: DeviceIdentity, options: CreateOptions = {}): Conversation {
    const mode = options.mode ?? 2
    if (![0, 1, 2, 3].includes(mode)) throw new InvalidModeError(mode)
    if (mode === 0 && (!isAccountUri(options.invited) || options.invited === identity.uri)) {
      throw new InvalidArgumentError('a one-to-one conversation needs the URI of the other member', { invited: options.invited })
    }
    if (mode !== 0 && options.invited !== undefined) throw new InvalidArgumentError('only one-to-one conversations invite in the root commit')
    const stage = stageRepository(options, 'new')
    const repo = stage.repo
    try {
      const store = repo.objects
      const edits: TreeEdit[] = [
        { path: adminPath(identity.uri), oid: store.write('blob', Buffer.from(identity.accountChainPem)) },
        { path: devicePath(identity.deviceId), oid: store.write('blob', Buffer.from(identity.deviceCertPem)) },
      ]
      if (identity.crl) edits.push({ path: crlPath(identity.uri), oid: store.write('blob', identity.crl) })
      if (mode === 0) edits.push({ path: invitedPath(options.invited!), oid: store.write('blob', Buffer.alloc(0)) })
      const tree = editTree(store, undefined, edits)
      const clock = options.clock ?? systemClock
      const root = rootCommit(stage, options.path === undefined, (time) => writeSignedCommit(store, identity, { tree, parents: [], message: initialMessage(mode, options.invited), time }), clock())
      const draft = new Conversation(repo, { ...options, identity })
      draft.cachedRoot = root
      draft.checkOrThrow(root, true)
      repo.refs.update(MAIN_REF, root, null)
      const conv = Conversation.open(stage.publish(root), { ...options, identity })
      conv.mainHistory()
      return conv
    } catch (err) {
      stage.discard()
      throw err
    }
  }

  /** Closes the derived index; the repository stays as it is. */
  close(): void {
    clearTimeout(this.repackScheduled)
    this.repackScheduled = undefined
    this.repo.objects.close()
  }

  /**
   * Packs the loose objects (../git/repack.ts): incremental, safe beside other readers and
   * writers of the repository, stock git reads the result.
   */
  repack(options: RepackOptions = {}): RepackReport {
    if (this.readOnly) throw new UnauthorizedError('write', 'the conversation was opened read-only')
    return repack(this.repo, options)
  }

  /** Called after writes: schedules a repack when loose objects passed the autoRepack threshold. */
  noteWrites(count: number): void {
    if (this.autoRepack === false || this.readOnly) return
    this.writesUnchecked += count
    if (this.writesUnchecked < 256 || this.repackScheduled) return
    this.writesUnchecked = 0
    if (estimateLoose(this.repo.objects.objectsDir) < this.autoRepack) return
    this.repackScheduled = setTimeout(() => {
      this.repackScheduled = undefined
      try {
        this.emit('repacked', this.repack())
      } catch (err) {
        // Another repack holds the lock, or the disk is full: the loose objects stay readable.
        this.emit('conversationError', { code: 'repack-failed', peer: '', reason: err instanceof Error ? err.message : String(err) })
      }
    }, 0)
    this.repackScheduled.unref()
  }

  get path(): string {
    return this.repo.bare ? this.repo.gitdir : dirname(this.repo.gitdir)
  }

  /** The conversation id: the root commit. */
  get id(): string {
    this.cachedRoot ??= HistoryIndex.readRoot(this.repo.gitdir)
    if (!this.cachedRoot) {
      let id = this.head
      for (;;) {
        const first = this.view.commit(id).fields.parents[0]
        if (!first) break
        id = first
      }
      this.cachedRoot = id
    }
    return this.cachedRoot
  }

  /** Directory name hint used by Jami (`<conversations>/<id>`). */
  get directoryName(): string {
    return basename(this.path)
  }

  get head(): string {
    const head = this.repo.refs.resolve(MAIN_REF) ?? this.repo.refs.resolve('HEAD')
    if (!head) throw new NotFoundError(`commits in ${this.path}`)
    return head
  }

  /** Validated heads fetched from peers and not merged into `main` yet, sorted (see ./held-heads.ts). */
  heldHeads(): string[] {
    const main = this.head
    if (this.held?.main !== main) this.held = { main, tips: updateHeld(this.repo, this.view, main, [], !this.readOnly) }
    return this.held.tips
  }

  /** Keeps validated `tips` as held heads (shown, served, merged later); returns every held head. */
  hold(tips: readonly string[]): string[] {
    if (this.readOnly) throw new UnauthorizedError('write', 'the conversation was opened read-only')
    const main = this.head
    this.held = { main, tips: updateHeld(this.repo, this.view, main, tips) }
    return this.held.tips
  }

  /**
   * Moves `main` from `expected` to `tip`, a validated descendant (a fast-forward, or our own
   * merge), and indexes what it brings — also commits that were held until now.
   */
  advanceMain(tip: string, expected: string, fault?: FaultPoint): void {
    const index = this.mainHistory() // before main moves, or it would read as stale
    this.repo.refs.update(MAIN_REF, tip, expected)
    if (fault) faultPoint(fault, this.repo.gitdir)
    index.add(entriesNotIn(this.view, this.certs, [tip], index), tip)
    this.index = index
  }

  /** The tree of the head commit (members, devices, votes, profile). */
  headTree(): TreeView {
    return this.view.commit(this.head).tree
  }

  private rootMessage(): Record<string, unknown> {
    const parsed = parseCommitMessage(this.view.commit(this.id).fields.message)
    return parsed.ok ? parsed.value : {}
  }

  /** The mode the root commit names, whatever it is (mode throws for unsupported ones). */
  rootMode(): unknown {
    return this.rootMessage()['mode']
  }

  get mode(): ConversationMode {
    const mode = this.rootMessage()['mode']
    if (typeof mode !== 'number' || ![0, 1, 2, 3].includes(mode)) throw new InvalidModeError(mode)
    return mode as ConversationMode
  }

  /** The two members a one-to-one conversation was created for (empty otherwise). */
  initialMembers(): string[] {
    // By the root's word, even an unsupported mode: who is in it can still be told (and served).
    if (this.rootMode() !== 0) return []
    const root = this.view.commit(this.id)
    const cert = this.certs.certificates(root.tree, devicePath(root.fields.author.email))
    return [cert?.ok ? cert.value[0]!.issuerUid : '', field(this.rootMessage(), 'invited')].filter(Boolean)
  }

  /** Every account with a role in the conversation now (admin, member, invited, banned, left). */
  members(): Member[] {
    const state = this.treeState()
    state.members ??= membersOf(this.view.tree(state.tree), this.initialMembers())
    return [...state.members]
  }

  /** Answers derived from the head's tree, kept while the tree stays (messages leave it as it is). */
  private treeState(): { tree: string; members?: Member[]; devices?: DeviceEntry[] } {
    const tree = this.headTree().id
    if (this.stateOfTree?.tree !== tree) this.stateOfTree = { tree }
    return this.stateOfTree
  }

  /** The role of an account (our own by default), undefined if it has none. */
  roleOf(uri = this.requireIdentity().uri): Role | undefined {
    return this.members().find((m) => m.uri === uri)?.role
  }

  /** The devices whose certificates the conversation holds, banned ones marked. */
  devices(): DeviceEntry[] {
    const state = this.treeState()
    state.devices ??= devicesOf(this.view.tree(state.tree), this.certs)
    return [...state.devices]
  }

  /** The conversation's profile (title, description, avatar…) from profile.vcf. */
  profile(): ConversationProfile {
    const data = this.headTree().read('profile.vcf')
    return data ? parseProfile(Buffer.from(data).toString('utf8')) : {}
  }

  /** The local device identity; throws UnauthorizedError when the conversation was opened without one. */
  requireIdentity(): DeviceIdentity {
    if (!this.identity) throw new UnauthorizedError('write', 'no device identity was given to this conversation')
    return this.identity
  }

  /** What the rules need to judge a commit of this repository (its view, certificates, limits). */
  validationEnv(): ValidationEnv {
    return { repo: this.view, certs: this.certs, rootId: this.id, limits: this.limits, revokedAt: (uri, serial) => this.revokedAt(uri, serial) }
  }

  /** A device's revocation date by the CRL its account published in our head (signed by the account as our head has it). */
  revokedAt(uri: string, serial: bigint): Date | undefined {
    // A repository being made (its root checked before `main` exists) has no head to ask.
    const head = this.repo.refs.resolve(MAIN_REF)
    if (!head || !this.view.hasCommit(head)) return undefined
    return treeRevocations(this.certs, this.view.commit(head).tree)(uri, serial)
  }


  private checkOrThrow(id: string, verifySignature: boolean): void {
    const env = { ...this.validationEnv(), deferSignatures: !verifySignature }
    const { verdict } = validateCommit(env, id)
    if (!verdict.ok) throw new InvalidCommitError(id, verdict.rule, verdict.reason)
  }

  /**
   * Writes a signed commit on top of `main` with `message` and the tree `edits`, adding the
   * device's certificate on its first commit (Jami's addUserDevice). The commit must pass
   * the rules — it is checked exactly as a peer would, except for the signature we just made.
   *
   * Another writer (a second process on the same repository) may hold the ref lock or move
   * `main` meanwhile: a message without tree edits is then rebuilt on the new head and tried
   * again, for up to WRITE_PATIENCE_MS. An operation with edits was decided on the old tree
   * (votes, membership, profile), so it fails with the RefConflictError instead.
   */
  commit(message: CommitMessage | string, edits: TreeEdit[] = [], options: { addDevice?: boolean } = {}): string {
    if (this.readOnly) throw new UnauthorizedError('write', 'the conversation was opened read-only')
    const identity = this.requireIdentity()
    const deadline = Date.now() + WRITE_PATIENCE_MS
    let built: { parent: string; id: string } | undefined
    if (brokenOnPurpose.refBeforeObject && edits.length === 0) return this.commitRefFirst(identity, message)
    for (;;) {
      const parent = this.head
      if (built?.parent !== parent) built = { parent, id: this.buildCommit(identity, parent, message, edits, options.addDevice ?? true) }
      try {
        this.repo.refs.update(MAIN_REF, built.id, parent)
      } catch (err) {
        const retry = err instanceof LockedError || (err instanceof RefConflictError && edits.length === 0)
        if (!retry || Date.now() > deadline) throw err
        if (err instanceof LockedError) sleep(1)
        continue
      }
      this.indexAppend(parent, built.id)
      this.noteWrites(1)
      return built.id
    }
  }

  /** The deliberate bug behind brokenOnPurpose.refBeforeObject: `main` moves, then the object is written. */
  private commitRefFirst(identity: DeviceIdentity, message: CommitMessage | string): string {
    const parent = this.head
    const bytes = signCommit(identity, { tree: this.view.commit(parent).tree.id, parents: [parent], message, time: this.clock() })
    const id = hashObject('commit', bytes)
    this.repo.refs.update(MAIN_REF, id, parent)
    this.repo.objects.write('commit', bytes)
    this.indexAppend(parent, id)
    return id
  }

  private buildCommit(identity: DeviceIdentity, parent: string, message: CommitMessage | string, edits: TreeEdit[], addDevice: boolean): string {
    const parentTree = this.view.commit(parent).tree
    const all = [...edits]
    if (addDevice && parentTree.blobId(devicePath(identity.deviceId)) === undefined) {
      all.push({ path: devicePath(identity.deviceId), oid: this.repo.objects.write('blob', Buffer.from(identity.deviceCertPem)) })
    }
    const tree = all.length > 0 ? editTree(this.repo.objects, parentTree.id, all) : parentTree.id
    const id = writeSignedCommit(this.repo.objects, identity, { tree, parents: [parent], message, time: this.clock() })
    this.checkOrThrow(id, false)
    return id
  }

  /**
   * Writes the signed merge commit of `theirs` into `main` with the given merged tree
   * (Jami: `Merge commit '<id>'`, parents [ours, theirs]), checked against the rules first.
   */
  commitMerge(theirs: string, tree: string): string {
    if (this.readOnly) throw new UnauthorizedError('write', 'the conversation was opened read-only')
    const identity = this.requireIdentity()
    const ours = this.head
    const id = writeSignedCommit(this.repo.objects, identity, { tree, parents: [ours, theirs], message: `Merge commit '${theirs}'`, time: this.clock() })
    this.checkOrThrow(id, false)
    this.advanceMain(id, ours, 'merge:committed')
    return id
  }

  /** Stores a blob and returns its id (for tree edits). */
  writeBlob(data: Uint8Array | string): string {
    return this.repo.objects.write('blob', typeof data === 'string' ? Buffer.from(data) : data)
  }

  private indexAppend(parent: string, id: string): void {
    if (this.readOnly) return
    // Another writer (object or process) may have moved the index: re-check the file's tail.
    if (this.index?.head !== parent) this.index = HistoryIndex.open(this.repo.gitdir, parent)
    if (this.index) this.index.add([entryFor(this.view, this.certs, this.view.commit(id))], id)
    else this.mainHistory()
  }

  /**
   * The history as shown: `main`'s index, with the held branches when there are any (in
   * --date-order from every head). Brought up to date on each call.
   */
  history(): History {
    const main = this.mainHistory()
    const held = this.heldHeads()
    if (held.length === 0) return main
    const key = `${main.head} ${held.join(' ')}`
    if (this.union?.key !== key) this.union = { key, history: new UnionHistory(main, held, entriesNotIn(this.view, this.certs, held, main)) }
    return this.union.history
  }

  /**
   * The history index of `main`, brought up to date: reused when current, extended when
   * `main` moved forward, rebuilt otherwise (or kept in memory only when read-only).
   */
  mainHistory(): HistoryIndex {
    const head = this.head
    if (this.index?.head === head) return this.index
    const gitdir = this.readOnly ? undefined : this.repo.gitdir
    const current = gitdir ? HistoryIndex.open(gitdir, head) : undefined
    if (current) return (this.index = current)
    const stale = this.index ?? (gitdir ? HistoryIndex.openStale(gitdir) : undefined)
    if (stale?.head && this.view.hasCommit(stale.head) && this.view.isAncestor(stale.head, head)) {
      stale.add(entriesNotIn(this.view, this.certs, [head], stale), head)
      return (this.index = stale)
    }
    return (this.index = HistoryIndex.create(gitdir, entriesNotIn(this.view, this.certs, [head]), head))
  }

  // ── messages (./commands/messaging.ts) ──────────────────────────────────────────────

  /** Sends a text message, optionally replying to another; returns the commit id. */
  sendMessage(body: string, options: { replyTo?: string } = {}): string {
    return messaging.sendMessage(this, body, options)
  }

  /** Replaces the text of one of your messages. */
  editMessage(id: string, body: string): string {
    return messaging.editMessage(this, id, body)
  }

  /** Deletes one of your messages or files (an empty edit). */
  deleteMessage(id: string): string {
    return messaging.deleteMessage(this, id)
  }

  /** Reacts to a message with an emoji; returns the reaction's commit id. */
  addReaction(id: string, emoji: string): string {
    return messaging.addReaction(this, id, emoji)
  }

  /** Takes back one of our reactions (an empty edit of it). */
  removeReaction(reactionId: string): string {
    return messaging.removeReaction(this, reactionId)
  }

  /** Announces a file held by this device (name, size, SHA3-512); the bytes stay out of git. */
  announceFile(file: Omit<FileAnnouncement, 'tid'> & { tid?: string }): string {
    return messaging.announceFile(this, file)
  }

  /** Deletes one of our file announcements (Jami's `{edit, tid: ""}`); returns the commit id. */
  deleteFile(id: string): string {
    return messaging.deleteFile(this, id)
  }

  /** Records a call in the history (Jami's application/call-history+json). */
  recordCall(call: CallHistory): string {
    return messaging.recordCall(this, call)
  }

  // ── membership (./commands/membership.ts) ───────────────────────────────────────────

  /** Invites an account (or, for admins, unbans a banned one). */
  addMember(uri: string): string {
    return membership.addMember(this, uri)
  }

  /** Accepts this device's account invitation. */
  join(): string {
    return membership.join(this)
  }

  /** Leaves the conversation (a member/remove commit of our own). */
  leave(): string {
    return membership.leave(this)
  }

  /** An admin's vote to ban or unban a member, device or invitation. */
  vote(action: 'ban' | 'unban', type: RoleDir, target: string): string {
    return membership.vote(this, action, type, target)
  }

  /** Applies a vote that has a majority of admins; undefined while it has not. */
  resolveVote(action: 'ban' | 'unban', type: RoleDir, target: string): string | undefined {
    return membership.resolveVote(this, action, type, target)
  }

  /** Votes to ban a member or device and resolves the vote when the quorum is reached. */
  banMember(target: string): string[] {
    return membership.banMember(this, target)
  }

  /** Votes to unban an account or device and resolves it when the votes suffice; returns the commits written. */
  unbanMember(target: string): string[] {
    return membership.unbanMember(this, target)
  }

  // ── profile ─────────────────────────────────────────────────────────────────────────

  /** Changes the profile (admins only, as Jami): the fields given replace the old ones. */
  updateProfile(changes: ConversationProfile): string {
    return updateProfile(this, changes)
  }

  // ── history (./history-view.ts) ─────────────────────────────────────────────────────

  /** Messages newest first, with edits and reactions folded in (Jami's loadConversation). */
  loadMessages(options: LoadOptions = {}): SwarmMessage[] {
    return loadMessages(this, options)
  }

  /** One message by id, with its edits and reactions folded in. */
  getMessage(id: string): SwarmMessage {
    return getMessage(this, id)
  }

  /** Messages matching a regular expression, author, type or dates (Jami's searchConversation). */
  searchMessages(options: SearchOptions = {}): SwarmMessage[] {
    return searchMessages(this, options)
  }

  /** How many messages are newer than `since` (optionally by one author). */
  countMessages(options: { since?: string; author?: string; untilAuthor?: string } = {}): number {
    return countMessages(this, options)
  }

  // ── sync (./sync.ts, ./clone.ts) ────────────────────────────────────────────────────

  /** Fetches `peer`'s history over `stream`, validates it, and merges what is valid. */
  syncFrom(stream: Duplex, peer: string, options: SyncOptions = {}): Promise<SyncResult> {
    return syncFrom(this, stream, peer, options)
  }

  /**
   * Merges every held head into `main` (fetches with `{ hold: true }` keep diverged histories
   * apart until this is called; the Account calls it for one device of the group, see
   * docs/design.md). Returns the merge commits written.
   */
  mergeHeld(): string[] {
    return mergeHeld(this)
  }

  /** Serves this conversation to a fetching peer over `stream` (git upload-pack). */
  serve(stream: Duplex, options: { onFetched?: (wants: string[]) => void; timeoutMs?: number } = {}) {
    return serveConversation(this, stream, options)
  }

  /**
   * Clones a conversation from a peer over `stream`: the whole history is validated before
   * the repository appears; an invalid one is discarded, and an existing one never replaced.
   */
  static clone(stream: Duplex, options: CloneOptions): Promise<Conversation> {
    return cloneConversation(stream, options, (path, open) => Conversation.open(path, open))
  }
}
