/**
 * Profile updates (reference §4.9): admins only, profile.vcf added or modified, never deleted.
 * @module
 */
import { isAdmin } from '../author.js'
import type { CommitContext } from '../context.js'
import { PROFILE_PATH } from '../paths.js'
import { check, violate } from '../verdict.js'
import { isOwnFileChange } from './own-files.js'

export function checkProfileUpdate(ctx: CommitContext): void {
  const uri = ctx.author!.uri
  check(isAdmin(ctx.parent?.tree, uri), 'profile.not-admin', `account ${uri} is not an admin and cannot update the profile`)
  for (const change of ctx.changes) {
    if (change.path === PROFILE_PATH) {
      check(change.status !== 'deleted', 'profile.files', `${PROFILE_PATH} is deleted`, PROFILE_PATH)
      const data = ctx.commit.tree.read(PROFILE_PATH)!
      check(data.length <= ctx.env.limits.maxProfileBytes, 'profile.content', `${PROFILE_PATH} is ${data.length} bytes`, PROFILE_PATH)
      const text = Buffer.from(data).toString('utf8').replace(/^\uFEFF/, '').trim()
      check(/^BEGIN:VCARD\r?\n/i.test(text + '\n') && /\r?\nEND:VCARD$/i.test(text), 'profile.content', `${PROFILE_PATH} is not a vCard`, PROFILE_PATH)
    } else if (!isOwnFileChange(ctx, change, { device: true })) {
      violate('profile.files', `a profile update may not change ${change.path}`, change.path)
    }
  }
}
