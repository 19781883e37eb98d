/**
 * The state one commit's rules run against, assembled by the dispatcher.
 * @module
 */
import type { KeyObject } from 'node:crypto'
import type { CertificateInfo } from '../identity/certificate.js'
import type { CertificateCache } from './certs.js'
import type { CommitView, RepositoryView, TreeChange, TreeView } from './view.js'

export interface ValidationLimits {
  /** Largest accepted commit message, in bytes (default 256 KiB). */
  maxMessageBytes: number
  /** Largest accepted profile.vcf, in bytes (default 8 MiB). */
  maxProfileBytes: number
}

export const DEFAULT_LIMITS: ValidationLimits = { maxMessageBytes: 256 * 1024, maxProfileBytes: 8 * 1024 * 1024 }

export interface ValidationEnv {
  repo: RepositoryView
  certs: CertificateCache
  /** The conversation id (root commit); when unset the first root seen is taken as it. */
  rootId?: string
  limits: ValidationLimits
  /**
   * Leave signature checks to the caller (returned as SignatureJob) so a batch can verify
   * them in parallel; by default they run inline.
   */
  deferSignatures?: boolean
  /**
   * Revocations the receiver already trusts (the CRLs in its own head), consulted besides the
   * CRL in the commit's tree: a revoked device cannot escape its revocation by writing on a
   * parent older than it. Returns the revocation date of a device certificate, if revoked.
   */
  revokedAt?: (accountUri: string, serial: bigint) => Date | undefined
}

/** A signature check the dispatcher hands back when `deferSignatures` is set. */
export interface SignatureJob {
  commit: string
  publicKey: KeyObject
  payload: Uint8Array
  signature: Uint8Array
}

/** The author as resolved from the tree they are checked at. */
export interface AuthorInfo {
  uri: string
  deviceId: string
  deviceCert: CertificateInfo
  accountCert: CertificateInfo
}

export type ConversationMode = 0 | 1 | 2 | 3

export interface CommitContext {
  env: ValidationEnv
  commit: CommitView
  /** First parent, when any. */
  parent?: CommitView
  /** The author device id (author e-mail). */
  deviceId: string
  /** Commit time (seconds), the time certificates are checked at. */
  time: number
  /** Parsed JSON message (empty for merges). */
  message: Record<string, unknown>
  type: string
  mode: ConversationMode
  root: CommitView
  rootMessage: Record<string, unknown>
  /** Changed paths from the first parent's tree (or the empty tree) to this commit's tree. */
  changes: TreeChange[]
  /** Set once the author has been checked. */
  author?: AuthorInfo
}

export function parentTree(ctx: CommitContext): TreeView | undefined {
  return ctx.parent?.tree
}
