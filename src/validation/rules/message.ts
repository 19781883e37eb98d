/**
 * Ordinary messages (text, replies, reactions, files, calls, unknown types — reference §4.3)
 * and edits (§4.10, with gap G1 closed: edits obey the same file rule).
 * @module
 */
import { isOid } from '../../git/object-codec.js'
import { field, parseCommitMessage } from '../commit-message.js'
import type { CommitContext } from '../context.js'
import { devicePath } from '../paths.js'
import { check } from '../verdict.js'
import { MESSAGE_FILES, onlyOwnFiles } from './own-files.js'

export function checkMessage(ctx: CommitContext): void {
  onlyOwnFiles(ctx, 'files.unexpected', MESSAGE_FILES)
}

/** Commits with a non-empty `edit`, or of the legacy type application/edited-message. */
export function isEdit(ctx: CommitContext): boolean {
  return ctx.type === 'application/edited-message' || field(ctx.message, 'edit') !== ''
}

export function checkEdit(ctx: CommitContext): void {
  const target = field(ctx.message, 'edit')
  const { repo } = ctx.env
  check(isOid(target) && repo.hasCommit(target), 'edit.target', `edited commit ${target || '(none)'} does not exist`)
  check(repo.isAncestor(target, ctx.commit.id), 'edit.target', `edited commit ${target} is not in the history of ${ctx.commit.id}`)
  const edited = repo.commit(target)
  const editedDevice = edited.fields.author.email
  const editedCert = ctx.env.certs.certificates(edited.tree, devicePath(editedDevice))
  const editedUri = editedCert?.ok ? editedCert.value[0]!.issuerUid : ''
  check(editedUri === ctx.author!.uri, 'edit.not-author', `commit ${target} was written by ${editedUri || 'an unknown account'}, not ${ctx.author!.uri}`)
  const parsed = parseCommitMessage(edited.fields.message)
  const type = parsed.ok ? field(parsed.value, 'type') : ''
  const editable =
    type === 'text/plain' ||
    type === 'application/edited-message' ||
    (type === 'application/data-transfer+json' && parsed.ok && field(parsed.value, 'tid') !== '')
  check(editable, 'edit.target-type', `commit ${target} of type "${type || 'none'}" cannot be edited`)
  onlyOwnFiles(ctx, 'edit.files', MESSAGE_FILES)
}
