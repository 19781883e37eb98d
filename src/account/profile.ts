/**
 * The account profile (Jami's vCard: a display name and a small avatar): set with
 * updateProfile, kept in `profile.json`, sent to every confirmed contact when it changes and
 * whenever one of its devices connects (each device keeps the newest by its time), shared
 * with own devices over `sync://`. Each contact's profile is kept in `profiles/<uri>.json`.
 * Jami pushes the vCard over a data-transfer channel; a profile here fits one frame, because
 * the avatar is bounded (MAX_AVATAR_BYTES): pictures are thumbnails, not photos.
 * @module
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidArgumentError, LimitExceededError } from '../errors.js'
import { isAccountUri } from '../identity/ids.js'
import type { AccountContext, NetworkPort } from './context.js'
import { take, type Frame } from './frames.js'
import type { VerifiedPeer } from './hello.js'
import { JsonFile, writeFileAtomic } from './store.js'

/** Largest avatar, in bytes (its base64 and the rest fit one 64 KiB frame). */
export const MAX_AVATAR_BYTES = 32 * 1024
/** Longest display name, in characters. */
export const MAX_PROFILE_NAME = 256

/** A profile as kept and sent: `avatar` is base64 (PNG, JPEG, GIF or WebP). */
export interface AccountProfile {
  displayName?: string
  avatar?: string
  /** When it was set (ms): the newest wins. */
  updated: number
}

export const PROFILE = 'application/x-gitswarm-profile'

const IMAGE_MAGIC: Array<[string, number[]]> = [
  ['png', [0x89, 0x50, 0x4e, 0x47]],
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['gif', [0x47, 0x49, 0x46, 0x38]],
  ['webp', [0x52, 0x49, 0x46, 0x46]],
]

/** Checks a profile update; throws InvalidArgumentError or LimitExceededError (never writes half). */
export function checkProfile(changes: { displayName?: string; avatar?: Uint8Array | string | null }): { displayName?: string; avatar?: string | null } {
  const out: { displayName?: string; avatar?: string | null } = {}
  if (changes.displayName !== undefined) {
    if (typeof changes.displayName !== 'string' || /[\0-\x1f<>]/.test(changes.displayName)) throw new InvalidArgumentError('a display name is text without control characters or < >', { field: 'displayName' })
    if (changes.displayName.length > MAX_PROFILE_NAME) throw new LimitExceededError('display name length', MAX_PROFILE_NAME, changes.displayName.length)
    out.displayName = changes.displayName
  }
  if (changes.avatar === null) out.avatar = null
  else if (changes.avatar !== undefined) {
    const bytes = typeof changes.avatar === 'string' ? Buffer.from(changes.avatar, 'base64') : Buffer.from(changes.avatar)
    if (typeof changes.avatar === 'string' && bytes.toString('base64').replace(/=+$/, '') !== changes.avatar.replace(/=+$/, '')) throw new InvalidArgumentError('the avatar is not base64', { field: 'avatar' })
    if (bytes.length > MAX_AVATAR_BYTES) throw new LimitExceededError('avatar size', MAX_AVATAR_BYTES, bytes.length)
    if (!IMAGE_MAGIC.some(([, magic]) => magic.every((b, i) => bytes[i] === b))) throw new InvalidArgumentError('the avatar is not a PNG, JPEG, GIF or WebP image', { field: 'avatar' })
    out.avatar = bytes.toString('base64')
  }
  return out
}

/** A received profile frame's fields, bounded; undefined when malformed. */
function parseProfile(f: Frame): AccountProfile | undefined {
  const updated = take.number(f['updated'])
  if (updated === undefined) return undefined
  const displayName = take.string(f['displayName'], MAX_PROFILE_NAME)?.replace(/[\0-\x1f<>]/g, '')
  const avatar = take.string(f['avatar'], Math.ceil(MAX_AVATAR_BYTES / 3) * 4)
  return { updated, ...(displayName !== undefined ? { displayName } : {}), ...(avatar !== undefined ? { avatar } : {}) }
}

export class Profiles {
  private readonly own: JsonFile<AccountProfile>
  private net: NetworkPort | undefined
  private readonly offs: Array<() => void> = []

  constructor(private readonly account: AccountContext) {
    this.own = new JsonFile(join(account.dir, 'profile.json'), () => ({ updated: 0 }))
  }

  attach(net: NetworkPort): void {
    this.net = net
    net.handle(PROFILE, (p, f) => this.onProfile(p, f))
    net.handle(PROFILE, (p, f) => this.onProfile(p, f), { sync: true })
    // Each device that connects gets it (a contact's new device, an own device just linked).
    const onPeer = (p: VerifiedPeer) => {
      if (this.own.value.updated === 0) return
      if (p.accountUri === this.account.uri) net.node.sendSync(p.toxPk, this.frame())
      else if (this.isContact(p.accountUri)) net.node.send(p.toxPk, this.frame())
    }
    net.node.on('peerOnline', onPeer)
    this.offs.push(() => net.node.off('peerOnline', onPeer))
  }

  detach(): void {
    for (const off of this.offs.splice(0)) off()
    this.net = undefined
  }

  private isContact(uri: string): boolean {
    const c = this.account.store.contacts.value[uri]
    return !!c?.confirmed && !c.removed && !c.banned
  }

  private frame(): Frame {
    return { t: PROFILE, ...this.own.value }
  }

  /** This account's profile, or a contact's as received (undefined when none is known). */
  get(uri = this.account.uri): AccountProfile | undefined {
    if (uri === this.account.uri) return this.own.value.updated ? { ...this.own.value } : undefined
    if (!isAccountUri(uri)) throw new InvalidArgumentError('an account URI is 40 hex digits', { uri })
    const path = this.contactPath(uri)
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as AccountProfile) : undefined
  }

  private contactPath(uri: string): string {
    return join(this.account.dir, 'profiles', `${uri}.json`)
  }

  /** Sets the name and/or avatar (null removes it): kept, then sent to contacts and own devices. */
  update(changes: { displayName?: string; avatar?: Uint8Array | string | null }): AccountProfile {
    const checked = checkProfile(changes)
    const next: AccountProfile = { ...this.own.value, updated: Math.max(Date.now(), this.own.value.updated + 1) }
    if (checked.displayName !== undefined) next.displayName = checked.displayName
    if (checked.avatar === null) delete next.avatar
    else if (checked.avatar !== undefined) next.avatar = checked.avatar
    this.own.value = next
    this.own.save()
    this.publish()
    return { ...next }
  }

  /** Our profile to every confirmed contact (through the outbox: the newest replaces an older one) and to own devices. */
  publish(toContact?: string): void {
    if (!this.net || this.own.value.updated === 0) return
    const frame = this.frame()
    const contacts = toContact ? [toContact] : Object.values(this.account.store.contacts.value).filter((c) => this.isContact(c.uri)).map((c) => c.uri)
    for (const uri of contacts) this.net.sendToAccount(uri, 'profile', frame)
    if (!toContact) for (const d of Object.values(this.account.store.devices.value)) this.net.node.sendSync(d.toxPk, frame)
  }

  private onProfile(p: VerifiedPeer, f: Frame): void {
    const profile = parseProfile(f)
    if (!profile) return
    if (p.accountUri === this.account.uri) {
      if (profile.updated <= this.own.value.updated) return
      this.own.value = profile
      this.own.save()
      this.account.emit('profileReceived', p.accountUri)
      return
    }
    if (!this.isContact(p.accountUri) || profile.updated <= (this.get(p.accountUri)?.updated ?? 0)) return
    mkdirSync(join(this.account.dir, 'profiles'), { recursive: true })
    writeFileAtomic(this.contactPath(p.accountUri), JSON.stringify(profile))
    this.account.emit('profileReceived', p.accountUri)
  }
}
