/**
 * Certificates as the rules see them: parsed once per blob id (a conversation has few
 * distinct certificates and thousands of commits), with parse failures remembered too.
 * @module
 */
import { InvalidCertificateError } from '../errors.js'
import { isSignedBy, parseCertificates, type CertificateInfo } from '../identity/certificate.js'
import { parseCrl, isCrlSignedBy, type RevocationList } from '../identity/crl.js'
import type { TreeView } from './view.js'

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; unsupportedKey?: boolean }

/** Memo of certificate, CRL and chain checks, keyed by blob ids. Pure: no I/O, only memory. */
export class CertificateCache {
  private readonly certs = new Map<string, Parsed<CertificateInfo[]>>()
  private readonly crls = new Map<string, Parsed<RevocationList>>()
  private readonly chains = new WeakMap<object, WeakMap<object, boolean>>()

  /** The certificates in the blob at `path` of `tree`; undefined when there is no such file. */
  certificates(tree: TreeView, path: string): Parsed<CertificateInfo[]> | undefined {
    const id = tree.blobId(path)
    if (id === undefined) return undefined
    let hit = this.certs.get(id)
    if (!hit) {
      const data = tree.read(path)!
      try {
        hit = { ok: true, value: parseCertificates(data) }
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err)
        const unsupportedKey = err instanceof InvalidCertificateError && /unsupported key type/.test(reason)
        hit = { ok: false, reason, unsupportedKey }
      }
      this.certs.set(id, hit)
    }
    return hit
  }

  crl(tree: TreeView, path: string): Parsed<RevocationList> | undefined {
    const id = tree.blobId(path)
    if (id === undefined) return undefined
    let hit = this.crls.get(id)
    if (!hit) {
      try {
        hit = { ok: true, value: parseCrl(tree.read(path)!) }
      } catch (err) {
        hit = { ok: false, reason: err instanceof Error ? err.message : String(err) }
      }
      this.crls.set(id, hit)
    }
    return hit
  }

  /** Memoised on object identity: a blob id always yields the same parsed object. */
  private memo(child: object, issuer: object, compute: () => boolean): boolean {
    let inner = this.chains.get(child)
    if (!inner) this.chains.set(child, (inner = new WeakMap()))
    let hit = inner.get(issuer)
    if (hit === undefined) inner.set(issuer, (hit = compute()))
    return hit
  }

  /** Whether `child` verifies under `issuer`'s key. */
  signedBy(child: CertificateInfo, issuer: CertificateInfo): boolean {
    return this.memo(child, issuer, () => isSignedBy(child, issuer))
  }

  crlSignedBy(crl: RevocationList, issuer: CertificateInfo): boolean {
    return this.memo(crl, issuer, () => isCrlSignedBy(crl, issuer))
  }
}
