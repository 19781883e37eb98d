/**
 * Membership: invite (add), join, leave, and ban/unban through admin votes. Resolution uses
 * the validator's own quorum (strict majority of admins), so this device never writes a ban
 * its peers would reject (gap G6).
 * @module
 */
import { InvalidArgumentError, InvalidStateError, UnauthorizedError } from '../../errors.js'
import type { TreeEdit } from '../../git/tree.js'
import { isAccountUri, isDeviceId } from '../../identity/ids.js'
import { adminPath, bannedPath, crlPath, devicePath, invitedPath, memberPath, rolePath, votePath, type RoleDir } from '../../validation/paths.js'
import { hasQuorum } from '../../validation/rules/votes.js'
import type { TreeView } from '../../validation/view.js'
import type { Conversation } from '../conversation.js'
import { memberMessage, voteMessage } from '../messages.js'

function requireAdmin(conv: Conversation, action: string): string {
  const me = conv.requireIdentity().uri
  if (conv.roleOf(me) !== 'admin') throw new UnauthorizedError(action, `${me} is not an admin of ${conv.id}`)
  return me
}

/** Invites `uri`. A banned account is unbanned instead, when you are an admin (as Jami). */
export function addMember(conv: Conversation, uri: string): string {
  if (!isAccountUri(uri)) throw new InvalidArgumentError(`"${uri}" is not an account URI`, { uri })
  const me = conv.requireIdentity().uri
  if (uri === me) throw new InvalidStateError('add a member', 'you are already in the conversation')
  if (conv.mode === 0 && !conv.initialMembers().includes(uri)) {
    throw new UnauthorizedError('add a member', 'a one-to-one conversation only has its two initial members')
  }
  const role = conv.roleOf(uri)
  if (role === 'admin' || role === 'member') throw new InvalidStateError('add a member', `${uri} is already a member`)
  if (role === 'invited') throw new InvalidStateError('add a member', `${uri} is already invited`)
  if (role === 'banned') {
    if (conv.roleOf(me) !== 'admin') throw new UnauthorizedError('add a banned member', 'only admins can unban')
    const ids = unbanMember(conv, uri)
    return ids[ids.length - 1]!
  }
  if (conv.mode === 1) requireAdmin(conv, 'invite in an admin-invites-only conversation')
  return conv.commit(memberMessage('add', uri), [{ path: invitedPath(uri), oid: conv.writeBlob('') }])
}

/** Accepts an invitation: `invited/<me>` becomes `members/<me>.crt`. */
export function join(conv: Conversation): string {
  const identity = conv.requireIdentity()
  const role = conv.roleOf(identity.uri)
  if (role === 'admin' || role === 'member') throw new InvalidStateError('join', 'you are already a member')
  if (role !== 'invited') throw new UnauthorizedError('join', `${identity.uri} was not invited`)
  return conv.commit(memberMessage('join', identity.uri), [
    { path: invitedPath(identity.uri), oid: null },
    { path: memberPath(identity.uri), oid: conv.writeBlob(identity.accountChainPem) },
  ])
}

function devicesOfAccount(tree: TreeView, conv: Conversation, uri: string): string[] {
  return conv.devices().filter((d) => !d.banned && d.uri === uri && tree.blobId(devicePath(d.deviceId)) !== undefined).map((d) => d.deviceId)
}

/** Leaves: deletes your certificate, CRL and every device of yours, in one `remove` commit. */
export function leave(conv: Conversation): string {
  const me = conv.requireIdentity().uri
  const tree = conv.headTree()
  const edits: TreeEdit[] = []
  for (const path of [adminPath(me), memberPath(me), crlPath(me), invitedPath(me)]) {
    if (tree.blobId(path) !== undefined) edits.push({ path, oid: null })
  }
  if (!edits.some((e) => e.path === adminPath(me) || e.path === memberPath(me))) {
    throw new InvalidStateError('leave', `${me} is not a member`)
  }
  for (const device of devicesOfAccount(tree, conv, me)) edits.push({ path: devicePath(device), oid: null })
  return conv.commit(memberMessage('remove', me), edits, { addDevice: false })
}

/** The role directory a ban of `target` applies to. */
function banType(conv: Conversation, target: string): RoleDir {
  if (isDeviceId(target)) return 'devices'
  const role = conv.roleOf(target)
  if (role === 'admin') return 'admins'
  if (role === 'member') return 'members'
  if (role === 'invited') return 'invited'
  throw new InvalidStateError('ban', `${target} is not in the conversation`)
}

/** Casts your admin vote to ban or unban `target` (an account URI, or a device id). */
export function vote(conv: Conversation, action: 'ban' | 'unban', type: RoleDir, target: string): string {
  const me = requireAdmin(conv, `vote to ${action}`)
  const path = votePath(action, type, target, me)
  if (conv.headTree().blobId(path) !== undefined) throw new InvalidStateError(`vote to ${action}`, 'you already voted')
  return conv.commit(voteMessage(target), [{ path, oid: conv.writeBlob('') }])
}

/** Admins who voted `action` on `target` in the current tree. */
function voters(tree: TreeView, action: 'ban' | 'unban', type: RoleDir, target: string): string[] {
  return tree.list(`votes/${action}/${type}/${target}`).filter((voter) => tree.blobId(adminPath(voter)) !== undefined)
}

/**
 * Applies a ban/unban once more than half the admins voted: moves the target between
 * `<type>/` and `banned/<type>/`, consumes the votes, and on a member ban removes their
 * devices (Jami means to but cannot, G7). Returns undefined while the quorum is not reached.
 */
export function resolveVote(conv: Conversation, action: 'ban' | 'unban', type: RoleDir, target: string): string | undefined {
  requireAdmin(conv, `resolve a ${action}`)
  const tree = conv.headTree()
  const who = voters(tree, action, type, target)
  const admins = tree.list('admins').filter((n) => n.endsWith('.crt')).length
  if (!hasQuorum(who.length, admins)) return undefined
  const [from, to] = action === 'ban' ? [rolePath(type, target), bannedPath(type, target)] : [bannedPath(type, target), rolePath(type, target)]
  const blob = tree.blobId(from)
  if (!blob) throw new InvalidStateError(`resolve a ${action}`, `${from} does not exist`)
  const edits: TreeEdit[] = [
    { path: from, oid: null },
    { path: to, oid: blob },
    ...tree.list(`votes/${action}/${type}/${target}`).map((voter) => ({ path: votePath(action, type, target, voter), oid: null })),
  ]
  if (action === 'ban' && type !== 'devices' && type !== 'invited') {
    for (const device of devicesOfAccount(tree, conv, target)) edits.push({ path: devicePath(device), oid: null })
  }
  return conv.commit(memberMessage(action, target), edits)
}

/** Removes a member or device: your vote, then the resolution if the quorum is reached. */
export function banMember(conv: Conversation, target: string): string[] {
  const me = requireAdmin(conv, 'ban')
  if (target === me || target === conv.requireIdentity().deviceId) throw new InvalidStateError('ban', 'admins cannot ban themselves')
  const type = banType(conv, target)
  const ids = [vote(conv, 'ban', type, target)]
  const resolved = resolveVote(conv, 'ban', type, target)
  if (resolved) ids.push(resolved)
  return ids
}

export function unbanMember(conv: Conversation, target: string): string[] {
  requireAdmin(conv, 'unban')
  const tree = conv.headTree()
  const type = (['members', 'admins', 'invited', 'devices'] as RoleDir[]).find((t) => tree.blobId(bannedPath(t, target)) !== undefined)
  if (!type) throw new InvalidStateError('unban', `${target} is not banned`)
  const ids = [vote(conv, 'unban', type, target)]
  const resolved = resolveVote(conv, 'unban', type, target)
  if (resolved) ids.push(resolved)
  return ids
}
