/**
 * Writing a signed commit exactly as Jami does (reference §2.1): author = committer =
 * `<display name> <<device id>> <seconds> +0000`, the unsigned buffer signed by the device
 * key, the signature as one `signature <base64>` header after `committer`, and the message
 * with no trailing newline. No rule is checked here; Conversation does that before moving
 * `main`, and the conformance generator uses this directly to forge bad commits.
 * @module
 */
import { serializeCommit, type CommitFields, type PersonLine } from '../git/object-codec.js'
import type { ObjectStore } from '../git/object-store.js'
import { sanitizeDisplayName, type DeviceIdentity } from '../identity/identity.js'
import { signData } from '../identity/keys.js'
import { serializeCommitMessage, type CommitMessage } from '../validation/commit-message.js'

export interface SignedCommitInput {
  tree: string
  parents: string[]
  /** A commit message object (serialised like jsoncpp) or the exact text (merges). */
  message: CommitMessage | string
  /** Commit time in seconds. */
  time: number
}

/** Jami falls back to the device id when the display name is empty after sanitising. */
export function authorLine(identity: DeviceIdentity, time: number): PersonLine {
  const name = sanitizeDisplayName(identity.displayName).trim() || identity.deviceId
  return { name, email: identity.deviceId, timestamp: time, timezone: '+0000' }
}

/** The commit object bytes, signed by the identity's device key. */
export function signCommit(identity: DeviceIdentity, input: SignedCommitInput): Buffer {
  const person = authorLine(identity, input.time)
  const fields: CommitFields = {
    tree: input.tree,
    parents: input.parents,
    author: person,
    committer: person,
    extraHeaders: [],
    message: typeof input.message === 'string' ? input.message : serializeCommitMessage(input.message),
  }
  const signature = signData(identity.deviceKey.privateKey, serializeCommit(fields)).toString('base64')
  return serializeCommit({ ...fields, extraHeaders: [{ key: 'signature', value: signature }] })
}

/** Signs and stores a commit; returns its id. */
export function writeSignedCommit(store: ObjectStore, identity: DeviceIdentity, input: SignedCommitInput): string {
  return store.write('commit', signCommit(identity, input))
}
