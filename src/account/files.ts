/**
 * Files on demand for an account (reference jami-swarm.md §6, DESIGN decision 7): sharing
 * writes the `application/data-transfer+json` announcement and hosts a copy under
 * `conversation_data/<conversation>/<file id>`; downloading asks every connected member
 * device, fetches pieces from all that hold the file (../filetransfer/download.ts) and, once
 * the SHA3-512 matches, hosts it too. A holder serves only current members' devices, only
 * files announced (and not deleted) in that conversation, and only bytes that still match.
 * Downloads are persisted (downloads.json) and resume on start and whenever a member comes
 * online.
 * @module
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join, resolve } from 'node:path'
import { DiskFullError, GitswarmError, InvalidArgumentError, InvalidStateError, LimitExceededError, NotFoundError } from '../errors.js'
import { Download, type Holder } from '../filetransfer/download.js'
import { parseFileId, safeFileName } from '../filetransfer/names.js'
import { RangeSet } from '../filetransfer/ranges.js'
import { serveRange, VerifiedFiles, type HostedFile } from '../filetransfer/serve.js'
import { sha3File } from '../filetransfer/sha3.js'
import type { Conversation } from '../swarm/conversation.js'
import type { SwarmMessage } from '../swarm/history-view.js'
import { MIME } from '../swarm/messages.js'
import type { ChannelDecision, Channel } from '../transport/channels.js'
import type { AccountContext } from './context.js'
import type { DataTransferEvent } from './events.js'
import type { VerifiedPeer } from './hello.js'
import type { DownloadRecord } from './store.js'
import { fsyncDir } from '../util/json-file.js'
import { peerOf, type FileRequest, type SwarmNode } from './swarm-node.js'

/** Default largest file sent or downloaded (Account.maxFileSize). */
export const DEFAULT_MAX_FILE_SIZE = 4 * 1024 ** 3
const PROGRESS_EVERY_MS = 200

/** Where a download stands (fileTransferInfo). */
export interface TransferInfo {
  status: 'ongoing' | 'waiting' | 'finished' | 'error'
  bytes: number
  total: number
  path: string
  error?: { code: string; message: string }
}

interface Active {
  download: Download
  record: DownloadRecord
}

const keyOf = (conversationId: string, fileId: string) => `${conversationId}/${fileId}`

export class AccountFiles {
  private readonly active = new Map<string, Active>()
  private readonly verified: VerifiedFiles
  private node: SwarmNode | undefined

  /** Largest file sent or downloaded, in bytes (Account.maxFileSize). */
  maxFileSize = DEFAULT_MAX_FILE_SIZE

  constructor(private readonly account: AccountContext) {
    this.verified = new VerifiedFiles(account.store.hosted)
  }

  // ── sharing ───────────────────────────────────────────────────────────────────────────

  async sendFile(conversationId: string, path: string, options: { displayName?: string; replyTo?: string } = {}): Promise<string> {
    const displayName = safeFileName(options.displayName ?? basename(path), 'displayName')
    const st = statOrThrow(path)
    if (!st.isFile()) throw new InvalidArgumentError(`${path} is not a regular file`, { path })
    this.checkSize(st.size)
    const conv = this.account.conversation(conversationId)
    const dir = this.account.store.dataDir(conversationId)
    mkdirSync(dir, { recursive: true })
    // The copy is what is hashed and hosted: the original may change, what we announced may not.
    const staged = join(dir, `.sending-${randomBytes(6).toString('hex')}`)
    try {
      copyFileSync(path, staged)
      const sha3sum = await sha3File(staged)
      const totalSize = statSync(staged).size
      const [id] = this.account.write(conversationId, (c) => c.announceFile({ displayName, sha3sum, totalSize, replyTo: options.replyTo }))
      const fileId = conv.getMessage(id!).fileId!
      placeDurably(staged, join(dir, fileId))
      this.verified.remember({ path: join(dir, fileId), totalSize, sha3sum })
      this.emitTransfer(conversationId, id!, fileId, { code: 'created', bytes: totalSize, total: totalSize, path: join(dir, fileId) })
      return id!
    } finally {
      rmSync(staged, { force: true })
    }
  }

  /** A file commit was deleted (here or by its author elsewhere): its copies stop being hosted. */
  onMessageUpdated(conversationId: string, message: SwarmMessage): void {
    if (message.type !== MIME.dataTransfer || message.body['tid']) return
    this.removeHosted(conversationId, message.id)
  }

  /** Removes the hosted copies of one file announcement (`<commit>_*`), or all of a conversation's. */
  removeHosted(conversationId: string, commit?: string): void {
    const dir = this.account.store.dataDir(conversationId)
    if (!existsSync(dir)) return
    for (const name of readdirSync(dir)) {
      if (commit && !name.startsWith(`${commit}_`)) continue
      this.verified.forget(join(dir, name))
      rmSync(join(dir, name), { force: true })
    }
    if (!commit) rmSync(dir, { recursive: true, force: true })
  }

  // ── serving ───────────────────────────────────────────────────────────────────────────

  /** Whether `peer` may open this data-transfer channel (decided before a byte is sent). */
  authorize(peer: VerifiedPeer, request: FileRequest): ChannelDecision {
    const conv = this.account.openConversation(request.conversation)
    if (!conv || this.account.store.contacts.value[peer.accountUri]?.banned) return { refuse: 'unknown', message: 'no such conversation here' }
    const role = conv.members().find((m) => m.uri === peer.accountUri)?.role
    if (peer.accountUri !== this.account.uri && role !== 'member' && role !== 'admin') return { refuse: 'unauthorised', message: 'not a member of this conversation' }
    if (conv.devices().some((d) => d.banned && d.deviceId === peer.deviceId)) return { refuse: 'unauthorised', message: 'a banned device' }
    const hosted = this.hostedFile(conv, request.file)
    if (!hosted) return { refuse: 'unknown', message: 'that file is not held here' }
    const { start = 0, end = hosted.totalSize } = request
    if (start > end || end > hosted.totalSize) return { refuse: 'bad-name', message: `range ${start}-${end} outside 0-${hosted.totalSize}` }
    return true
  }

  /** Serves an authorised request: the range, if the hosted copy still matches its SHA3-512. */
  serve(request: FileRequest, channel: Channel): void {
    const conv = this.account.openConversation(request.conversation)
    const hosted = conv && this.hostedFile(conv, request.file)
    if (!hosted) return void channel.destroy()
    void this.verified.check(hosted).then(async (ok) => {
      if (!ok) return channel.destroy()
      await serveRange(channel, hosted.path, request.start ?? 0, request.end ?? hosted.totalSize)
    }).catch(() => channel.destroy())
  }

  /** The announced file `fileId` of `conv`, if we hold a copy. */
  private hostedFile(conv: Conversation, fileId: string): HostedFile | undefined {
    const announced = this.announcement(conv, fileId)
    if (!announced) return undefined
    const path = join(this.account.store.dataDir(conv.id), fileId)
    return existsSync(path) ? { path, totalSize: announced.totalSize, sha3sum: announced.sha3sum } : undefined
  }

  /** The live (not deleted) announcement whose file id is `fileId`. */
  private announcement(conv: Conversation, fileId: string): { message: SwarmMessage; totalSize: number; sha3sum: string } | undefined {
    let commit: string
    try {
      commit = parseFileId(fileId).commit
    } catch {
      return undefined
    }
    let message: SwarmMessage
    try {
      message = conv.getMessage(commit)
    } catch {
      return undefined
    }
    if (message.type !== MIME.dataTransfer || message.fileId !== fileId || !message.body['tid']) return undefined
    const totalSize = Number(message.body['totalSize'])
    const sha3sum = message.body['sha3sum'] ?? ''
    if (!Number.isSafeInteger(totalSize) || totalSize < 0 || !/^[0-9a-f]{128}$/.test(sha3sum)) return undefined
    return { message, totalSize, sha3sum }
  }

  // ── downloading ───────────────────────────────────────────────────────────────────────

  /**
   * Starts (or resumes) a download to `destPath`; progress and the outcome come as
   * dataTransferEvent. Bad input throws at once (typed); nothing is written then.
   */
  downloadFile(conversationId: string, interactionId: string, fileId: string, destPath: string): void {
    parseFileId(fileId)
    const conv = this.account.conversation(conversationId)
    const announced = this.announcement(conv, fileId)
    if (!announced || announced.message.id !== interactionId) throw new NotFoundError(`file ${fileId} announced by ${interactionId} in ${conversationId}`)
    this.checkSize(announced.totalSize)
    if (typeof destPath !== 'string' || destPath === '' || destPath.includes('\0')) throw new InvalidArgumentError('destPath must be a path', { destPath })
    const path = resolve(destPath)
    safeFileName(basename(path), 'destPath')
    const key = keyOf(conversationId, fileId)
    if (this.active.has(key)) return
    const { store } = this.account
    const previous = store.downloads.value[key]
    const record: DownloadRecord = {
      conversationId,
      interactionId,
      fileId,
      path,
      totalSize: announced.totalSize,
      sha3sum: announced.sha3sum,
      status: 'waiting',
      done: previous?.path === path && previous.status !== 'finished' ? previous.done : [],
    }
    store.downloads.value[key] = record
    store.downloads.save()
    this.begin(record)
  }

  /** Stops a download and removes its partial file and its record (Jami's closed_by_peer). */
  async cancelDataTransfer(conversationId: string, fileId: string): Promise<boolean> {
    const key = keyOf(conversationId, fileId)
    const { store } = this.account
    const record = store.downloads.value[key]
    if (!record || record.status === 'finished') return false
    const active = this.active.get(key)
    this.active.delete(key)
    await active?.download.stop()
    rmSync(`${record.path}.tmp`, { force: true })
    delete store.downloads.value[key]
    store.downloads.save()
    this.emitTransfer(conversationId, record.interactionId, fileId, { code: 'cancelled', bytes: 0, total: record.totalSize, path: record.path })
    return true
  }

  /** Where a download stands, or undefined when none was asked for. */
  fileTransferInfo(conversationId: string, fileId: string): TransferInfo | undefined {
    parseFileId(fileId)
    const key = keyOf(conversationId, fileId)
    const record = this.account.store.downloads.value[key]
    if (!record) return undefined
    const active = this.active.get(key)
    const bytes = record.status === 'finished' ? record.totalSize : (active?.download.bytes ?? new RangeSet(record.done).size)
    const status = record.status === 'waiting' && active && active.download.holderCount > 0 ? 'ongoing' : record.status
    return { status, bytes, total: record.totalSize, path: record.path, ...(record.error ? { error: record.error } : {}) }
  }

  /** The network is up: waiting downloads start and ask the connected members. */
  attach(node: SwarmNode): void {
    this.node = node
    for (const record of Object.values(this.account.store.downloads.value)) if (record.status === 'waiting') this.begin(record)
  }

  /** The network is going down: downloads stop with their progress kept. */
  async detach(): Promise<void> {
    this.node = undefined
    const active = [...this.active.values()]
    this.active.clear()
    await Promise.all(active.map((a) => a.download.stop()))
  }

  /** A device came online: it may hold files we wait for. */
  onPeer(peer: VerifiedPeer): void {
    for (const { download, record } of this.active.values()) this.offerHolder(download, record, peer)
  }

  private begin(record: DownloadRecord): void {
    const key = keyOf(record.conversationId, record.fileId)
    if (!this.node || this.active.has(key)) return
    const { store } = this.account
    mkdirSync(dirname(record.path), { recursive: true })
    const download = new Download({
      fileId: record.fileId,
      destPath: record.path,
      totalSize: record.totalSize,
      sha3sum: record.sha3sum,
      done: record.done,
      saveProgress: (done) => {
        if (store.downloads.value[key] !== record) return
        record.done = done
        store.downloads.save()
      },
    })
    this.active.set(key, { download, record })
    const event = (code: DataTransferEvent['code'], extra: Partial<DataTransferEvent> = {}) =>
      this.emitTransfer(record.conversationId, record.interactionId, record.fileId, { code, bytes: download.bytes, total: record.totalSize, path: record.path, ...extra })
    let lastProgress = 0
    download.on('progress', () => {
      if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return
      lastProgress = Date.now()
      event('ongoing', { sources: download.sources })
    })
    download.on('holderRejected', (deviceId, reason) => surface(() => this.account.emit('fileHolderRejected', record.conversationId, record.fileId, deviceId, reason)))
    download.on('stalled', () => event('waiting'))
    void this.run(download, record).then(
      (silent) => silent || event('finished', { bytes: record.totalSize, sources: download.sources }),
      (err: Error) => {
        if (stopped(err)) return
        event('error', { error: err instanceof GitswarmError ? err.toJSON() : { name: 'Error', code: 'ERR_UNKNOWN', message: err.message, data: {} } })
      },
    )
    for (const peer of this.node.onlinePeers()) this.offerHolder(download, record, peer)
  }

  /** Resolves true when the file was already in place (no transfer, no event). */
  private async run(download: Download, record: DownloadRecord): Promise<boolean> {
    const key = keyOf(record.conversationId, record.fileId)
    let silent = false
    const { store } = this.account
    try {
      if (existsSync(record.path) && statSync(record.path).size === record.totalSize && (await sha3File(record.path)) === record.sha3sum) {
        // Already there, whole and right: nothing to do, nothing to say (Jami's testDontDownloadExistingFile).
        silent = true
      } else {
        this.emitTransfer(record.conversationId, record.interactionId, record.fileId, { code: 'created', bytes: download.bytes, total: record.totalSize, path: record.path })
        await checkFreeSpace(dirname(record.path), record.totalSize - download.bytes)
        await download.run()
      }
      record.status = 'finished'
      record.done = []
      delete record.error
      store.downloads.save()
      this.host(record)
      return silent
    } catch (err) {
      if (this.active.get(key)?.download === download) {
        if (!stopped(err)) {
          // The partial file and its ranges stay (a full disk, say): downloadFile again resumes.
          record.status = 'error'
          record.error = { code: err instanceof GitswarmError ? err.code : 'ERR_UNKNOWN', message: (err as Error).message }
          store.downloads.save()
        }
      }
      throw err
    } finally {
      if (this.active.get(key)?.download === download) this.active.delete(key)
    }
  }

  /** A verified download is hosted from then on (a hard link, or a copy across devices). */
  private host(record: DownloadRecord): void {
    const dir = this.account.store.dataDir(record.conversationId)
    const target = join(dir, record.fileId)
    if (existsSync(target)) return
    mkdirSync(dir, { recursive: true })
    const staged = join(dir, `.hosting-${randomBytes(6).toString('hex')}`)
    try {
      try {
        linkSync(record.path, staged)
      } catch {
        copyFileSync(record.path, staged)
      }
      placeDurably(staged, target)
      this.verified.remember({ path: target, totalSize: record.totalSize, sha3sum: record.sha3sum })
    } finally {
      rmSync(staged, { force: true })
    }
  }

  private offerHolder(download: Download, record: DownloadRecord, peer: VerifiedPeer): void {
    const node = this.node
    if (!node || peer.deviceId === this.account.deviceId) return
    const conv = this.account.openConversation(record.conversationId)
    const role = conv?.members().find((m) => m.uri === peer.accountUri)?.role
    if (peer.accountUri !== this.account.uri && role !== 'member' && role !== 'admin') return
    const holder: Holder = { id: peer.deviceId, open: (start, end) => node.openFile(peerOf(peer), record.conversationId, record.fileId, start, end) }
    download.addHolder(holder)
  }

  private checkSize(size: number): void {
    if (size > this.maxFileSize) throw new LimitExceededError('file size', this.maxFileSize, size)
  }

  private emitTransfer(conversationId: string, interactionId: string, fileId: string, event: DataTransferEvent): void {
    surface(() => this.account.emit('dataTransferEvent', conversationId, interactionId, fileId, event))
  }
}

/** The download was stopped (cancel, or the account going offline): not an error to report. */
const stopped = (err: unknown) => err instanceof InvalidStateError && err.data['reason'] === 'stopped'

/** Emits; a listener that throws is the app's bug, not a holder's: it surfaces on its own, the transfer goes on. */
function surface(emit: () => void): void {
  try {
    emit()
  } catch (err) {
    queueMicrotask(() => {
      throw err
    })
  }
}

function statOrThrow(path: string) {
  try {
    return statSync(path)
  } catch {
    throw new NotFoundError(`file ${path}`)
  }
}

/** Puts `from` at `to` durably, never over an existing file (the caller removes `from`). */
function placeDurably(from: string, to: string): void {
  const fd = openSync(from, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  linkSync(from, to)
  fsyncDir(dirname(to))
}

/** A download that cannot fit fails at once (typed), before it writes anything. */
async function checkFreeSpace(dir: string, needed: number): Promise<void> {
  if (needed <= 0) return
  let free: number
  try {
    const s = await statfs(dir)
    free = s.bavail * s.bsize
  } catch {
    return
  }
  if (free < needed) throw new DiskFullError(dir, 0)
}
