/**
 * Membership commits (reference §4.4, §4.5, §4.7): add (invite), join, remove (leave).
 * @module
 */
import { isAccountUri } from '../../identity/ids.js'
import { isAdmin, isMemberOrAdmin } from '../author.js'
import { field } from '../commit-message.js'
import type { CommitContext } from '../context.js'
import { adminPath, bannedPath, crlPath, deviceOfPath, devicePath, invitedPath, memberPath, ROLE_DIRS } from '../paths.js'
import { check, violate } from '../verdict.js'
import { isOwnFileChange } from './own-files.js'

/** Account URIs of the two initial members of a 1:1 conversation. */
function initialMembers(ctx: CommitContext): string[] {
  const root = ctx.root
  const cert = ctx.env.certs.certificates(root.tree, devicePath(root.fields.author.email))
  return [cert?.ok ? cert.value[0]!.issuerUid : '', field(ctx.rootMessage, 'invited')]
}

export function checkAdd(ctx: CommitContext): void {
  const uri = field(ctx.message, 'uri')
  const author = ctx.author!.uri
  const parent = ctx.parent!.tree
  if (ctx.mode === 0) {
    check(initialMembers(ctx).includes(uri), 'add.one-to-one', `${uri} is not one of the two members of this 1:1 conversation`)
  }
  check(uri !== author, 'add.self', `account ${author} cannot add itself`)
  if (ctx.mode === 1) check(isAdmin(parent, author), 'add.not-admin', `only admins invite in this conversation; ${author} is not one`)
  check(ctx.changes.length >= 1 && ctx.changes.length <= 3, 'add.files', `an add changes 1-3 files, this one ${ctx.changes.length}`)
  let invitation = false
  for (const change of ctx.changes) {
    if (change.path === invitedPath(uri)) {
      const data = ctx.commit.tree.read(change.path)
      check(change.status === 'added' && data !== undefined && data.length === 0, 'add.files', `${change.path} must be added empty`, change.path)
      invitation = true
    } else if (!isOwnFileChange(ctx, change, { device: true, crl: true })) {
      violate('add.files', `an add may not change ${change.path}`, change.path)
    }
  }
  check(invitation, 'add.files', `an add must create ${invitedPath(uri)}`, invitedPath(uri))
  for (const type of ROLE_DIRS) {
    if (type === 'devices') continue
    check(parent.blobId(bannedPath(type, uri)) === undefined, 'add.target', `${uri} is banned; unban first`, bannedPath(type, uri))
  }
  check(!isMemberOrAdmin(parent, uri), 'add.target', `${uri} is already a member`)
}

export function checkJoin(ctx: CommitContext): void {
  const uri = field(ctx.message, 'uri')
  const parent = ctx.parent!.tree
  const tree = ctx.commit.tree
  const allowed = new Set([invitedPath(uri), memberPath(uri), devicePath(ctx.deviceId)])
  for (const change of ctx.changes) {
    if (!allowed.has(change.path)) violate('join.files', `a join may not change ${change.path}`, change.path)
  }
  check(parent.blobId(invitedPath(uri)) !== undefined, 'join.not-invited', `${uri} was not invited`, invitedPath(uri))
  check(tree.blobId(invitedPath(uri)) === undefined, 'join.not-invited', `a join must remove ${invitedPath(uri)}`, invitedPath(uri))
  // The joiner's certificate at members/<uri>.crt was checked when the author was resolved.
  check(ctx.author!.uri === uri, 'join.device', `device ${ctx.deviceId} belongs to ${ctx.author!.uri}, not to the joiner ${uri}`)
}

export function checkRemove(ctx: CommitContext): void {
  const uri = field(ctx.message, 'uri')
  const parent = ctx.parent!.tree
  check(ctx.author!.uri === uri, 'remove.not-self', `account ${ctx.author!.uri} cannot make ${uri} leave`)
  const own = new Set([adminPath(uri), memberPath(uri), invitedPath(uri), crlPath(uri)])
  let certRemoved = false
  for (const change of ctx.changes) {
    const device = deviceOfPath(change.path)
    let allowed = own.has(change.path)
    if (!allowed && device) {
      const cert = ctx.env.certs.certificates(parent, change.path)
      allowed = cert?.ok === true && cert.value[0]!.issuerUid === uri
    }
    check(allowed, 'remove.files', `a leave may not change ${change.path}`, change.path)
    check(change.status === 'deleted', 'remove.not-deleted', `a leave may only delete files, ${change.path} is ${change.status}`, change.path)
    if (change.path === adminPath(uri) || change.path === memberPath(uri)) certRemoved = true
  }
  check(certRemoved, 'remove.files', `a leave must delete ${memberPath(uri)} or ${adminPath(uri)}`)
}

export function isValidMemberUri(action: string, uri: string): boolean {
  if (action === 'ban' || action === 'unban') return isAccountUri(uri) || /^[0-9a-f]{64}$/.test(uri)
  return isAccountUri(uri)
}
