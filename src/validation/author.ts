/**
 * Who wrote a commit, and may they: Jami's `isValidUserAtCommit` (reference §2.2) plus the
 * checks it lacks (G2: the device id is the hash of the certificate key, and the account
 * certificate really signed the device certificate; revocations).
 * @module
 */
import { notExpiredAt } from '../identity/certificate.js'
import { isAccountUri } from '../identity/ids.js'
import type { AuthorInfo, CommitContext } from './context.js'
import { adminPath, crlPath, devicePath, memberPath } from './paths.js'
import { check, violate } from './verdict.js'
import type { CertificateCache } from './certs.js'
import type { TreeView } from './view.js'

/** The author of the commit, checked against `tree` (the commit's own, or its parent's for a leave). */
export function resolveAuthor(ctx: CommitContext, tree: TreeView): AuthorInfo {
  const { certs } = ctx.env
  const id = ctx.deviceId
  const path = devicePath(id)
  const parsed = certs.certificates(tree, path)
  check(parsed, 'device.cert-missing', `no ${path} in the tree the author is checked at`, path)
  if (!parsed.ok) violate(parsed.unsupportedKey ? 'device.key-type' : 'device.cert-invalid', `${path}: ${parsed.reason}`, path)
  const deviceCert = parsed.value[0]!
  check(!deviceCert.isCA, 'device.cert-invalid', `${path} is a CA certificate, not a device certificate`, path)
  check(deviceCert.longKeyId === id, 'device.id', `${path} holds the key of device ${deviceCert.longKeyId}`, path)
  const uri = deviceCert.issuerUid
  check(isAccountUri(uri), 'device.chain', `${path} names no account in its issuer`, path)

  const accountPath = tree.blobId(memberPath(uri)) !== undefined ? memberPath(uri) : adminPath(uri)
  const account = certs.certificates(tree, accountPath)
  check(account, 'author.not-member', `account ${uri} of device ${id} is neither admin nor member`, accountPath)
  check(account.ok, 'author.account-cert', `${accountPath}: ${account.ok ? '' : account.reason}`, accountPath)
  const accountCert = account.value[0]!
  check(accountCert.keyId === uri, 'author.account-cert', `${accountPath} holds the key of account ${accountCert.keyId}`, accountPath)
  check(certs.signedBy(deviceCert, accountCert), 'device.chain', `${path} is not signed by account ${uri}`, path)
  check(notExpiredAt(deviceCert, ctx.time), 'device.expired', `${path} expired before the commit time`, path)
  check(notExpiredAt(accountCert, ctx.time), 'device.expired', `${accountPath} expired before the commit time`, accountPath)

  // Revoked by the CRL in this tree, or by one the receiver already trusts (its head, a fetch's base).
  const revokedBy = (at: Date | undefined, by: string) =>
    check(at === undefined || at.getTime() > ctx.time * 1000, 'device.revoked', `device ${id} was revoked by ${by} on ${at?.toISOString()}`, crlPath(uri))
  revokedBy(treeRevocations(certs, tree)(uri, deviceCert.serial), crlPath(uri))
  revokedBy(ctx.env.revokedAt?.(uri, deviceCert.serial), `the CRL of ${uri} this device holds`)
  return { uri, deviceId: id, deviceCert, accountCert }
}

/**
 * The revocations `tree` holds: for an account, the date its CRL at `CRLs/<uri>` revokes a
 * device certificate — only when the CRL is signed by the account as that tree has it. What a
 * receiver trusts (its head, a fetch's base) passed as ValidationEnv.revokedAt.
 */
export function treeRevocations(certs: CertificateCache, tree: TreeView): (uri: string, serial: bigint) => Date | undefined {
  return (uri, serial) => {
    const crl = certs.crl(tree, crlPath(uri))
    if (!crl?.ok) return undefined
    const account = certs.certificates(tree, memberPath(uri)) ?? certs.certificates(tree, adminPath(uri))
    if (!account?.ok || !certs.crlSignedBy(crl.value, account.value[0]!)) return undefined
    return crl.value.revoked.get(serial)
  }
}

export function isAdmin(tree: TreeView | undefined, uri: string): boolean {
  return tree?.blobId(adminPath(uri)) !== undefined
}

export function isMemberOrAdmin(tree: TreeView | undefined, uri: string): boolean {
  return tree !== undefined && (tree.blobId(adminPath(uri)) !== undefined || tree.blobId(memberPath(uri)) !== undefined)
}
