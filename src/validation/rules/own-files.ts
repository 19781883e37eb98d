/**
 * Files any commit may carry for its own author: their device certificate (added or
 * renewed), their account certificate (renewed with the same key) and their CRL.
 * Every rule that lists allowed paths starts from these.
 * @module
 */
import type { CommitContext } from '../context.js'
import { adminPath, crlPath, devicePath, memberPath } from '../paths.js'
import { check, violate } from '../verdict.js'
import type { TreeChange } from '../view.js'
import type { RuleId } from '../rules.js'

export interface OwnFileAllowance {
  device?: boolean
  accountRenewal?: boolean
  crl?: boolean
}

/** Handles `change` if it is one of the author's own files allowed here; false otherwise. */
export function isOwnFileChange(ctx: CommitContext, change: TreeChange, allow: OwnFileAllowance): boolean {
  const author = ctx.author!
  const { path } = change
  if (allow.device && path === devicePath(ctx.deviceId)) {
    // The new certificate itself was checked when the author was resolved at this commit.
    check(change.status !== 'deleted', 'files.deleted', `${path} (the author's own device) is deleted`, path)
    return true
  }
  if (allow.accountRenewal && (path === adminPath(author.uri) || path === memberPath(author.uri))) {
    check(change.status === 'modified', change.status === 'deleted' ? 'files.deleted' : 'files.unexpected', `${path} may only be renewed, not ${change.status}`, path)
    const renewed = ctx.env.certs.certificates(ctx.commit.tree, path)
    check(renewed?.ok && renewed.value[0]!.keyId === author.uri, 'author.account-cert', `${path} no longer holds account ${author.uri}'s key`, path)
    return true
  }
  if (allow.crl && path === crlPath(author.uri)) {
    check(change.status !== 'deleted', 'files.deleted', `${path} is deleted`, path)
    const crl = ctx.env.certs.crl(ctx.commit.tree, path)
    check(crl?.ok && ctx.env.certs.crlSignedBy(crl.value, author.accountCert), 'crl.invalid', `${path} is not a CRL signed by account ${author.uri}`, path)
    return true
  }
  return false
}

/** Rejects with `rule` unless every change is an allowed own file. */
export function onlyOwnFiles(ctx: CommitContext, rule: RuleId, allow: OwnFileAllowance): void {
  for (const change of ctx.changes) {
    if (!isOwnFileChange(ctx, change, allow)) violate(rule, `unexpected ${change.status} file ${change.path}`, change.path)
  }
}

export const MESSAGE_FILES: OwnFileAllowance = { device: true, accountRenewal: true, crl: true }
