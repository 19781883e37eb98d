/**
 * The root commit (reference §4.2): mode, the creator's files, the 1:1 invitation.
 * @module
 */
import { isAccountUri } from '../../identity/ids.js'
import type { CommitContext } from '../context.js'
import { adminPath, crlPath, devicePath, invitedPath } from '../paths.js'
import { check, violate } from '../verdict.js'

export function checkInitial(ctx: CommitContext): void {
  const { message } = ctx
  const mode = message['mode']
  check(
    ctx.type === 'initial' && typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 3,
    'initial.mode',
    `root commit must be {"type":"initial"} with mode 0-3, got type "${ctx.type}" mode ${JSON.stringify(mode)}`,
  )
  const uri = ctx.author!.uri
  const invited = message['invited']
  if (mode === 0) {
    check(typeof invited === 'string' && isAccountUri(invited), 'initial.invited', 'a 1:1 root must name the invited account')
    check(invited !== uri, 'initial.invited', 'a 1:1 root cannot invite its own author')
    const data = ctx.commit.tree.read(invitedPath(invited))
    check(data !== undefined && data.length === 0, 'initial.invited', `a 1:1 root must hold an empty ${invitedPath(invited)}`, invitedPath(invited))
  } else {
    check(invited === undefined || invited === '', 'initial.invited', `mode ${mode} conversations invite no one in the root`)
  }
  const allowed = new Set([adminPath(uri), devicePath(ctx.deviceId), crlPath(uri)])
  if (mode === 0) allowed.add(invitedPath(invited as string))
  for (const change of ctx.changes) {
    if (!allowed.has(change.path)) violate('initial.files', `root commit adds unexpected file ${change.path}`, change.path)
  }
  // admins/<U>.crt is present: the author resolved as a member and members/ is not allowed here.
}
