/**
 * Profile updates (reference §1.3): admins only; the new values are merged over the current
 * profile and written as Jami's vCard.
 * @module
 */
import { InvalidArgumentError, UnauthorizedError } from '../../errors.js'
import type { Conversation } from '../conversation.js'
import { updateProfileMessage } from '../messages.js'
import { PROFILE_FIELDS, serializeProfile, type ConversationProfile } from '../profile.js'

export function updateProfile(conv: Conversation, changes: ConversationProfile): string {
  const me = conv.requireIdentity().uri
  if (conv.roleOf(me) !== 'admin') throw new UnauthorizedError('update the profile', `${me} is not an admin`)
  for (const key of Object.keys(changes)) {
    if (!(PROFILE_FIELDS as readonly string[]).includes(key)) throw new InvalidArgumentError(`unknown profile field "${key}"`)
    const value = changes[key as keyof ConversationProfile]
    if (value !== undefined && typeof value !== 'string') throw new InvalidArgumentError(`profile field "${key}" must be a string`)
  }
  const merged = { ...conv.profile(), ...changes }
  return conv.commit(updateProfileMessage(), [{ path: 'profile.vcf', oid: conv.writeBlob(serializeProfile(merged)) }])
}
