/**
 * Revoking a lost device (Jami's revokeDevice): a device holding the account key signs a CRL
 * listing the device's certificate, keeps it with the identity (`identity/account.crl`),
 * publishes it into every conversation at `CRLs/<account>` (the path Jami whitelists), and
 * tells its own devices over `sync://`.
 *
 * - Members then refuse the revoked device's commits dated after the revocation (the
 *   `device.revoked` rule checks the CRL in the commit's tree and in the receiver's head).
 * - Own devices mark it revoked, let go of its Tox key and refuse its `sync://`.
 * - Any device that knows the CRL refuses the revoked device's connection, first sending it
 *   the CRL: the revoked device checks the signature, keeps it, emits deviceRevoked and
 *   stops — it does not wait for a human to notice.
 * @module
 */
import { InvalidArgumentError, InvalidStateError, NotFoundError } from '../errors.js'
import { parseCertificate, type CertificateInfo } from '../identity/certificate.js'
import { isCrlSignedBy, parseCrl, type RevocationList } from '../identity/crl.js'
import { revokeDevice as signRevocation } from '../identity/identity.js'
import { crlPath, devicePath } from '../validation/paths.js'
import type { AccountContext, NetworkPort } from './context.js'
import { take, type Frame } from './frames.js'
import type { VerifiedPeer } from './hello.js'
import { writeFileAtomic } from './store.js'

/** The account's CRL, to own devices (sync://) and, as a farewell, to a revoked device. */
export const REVOCATION = 'application/x-gitswarm-revocation'

/** The type of the commit that publishes a CRL into a conversation. */
export const REVOCATION_COMMIT = 'application/x-gitswarm-revocation'

export class Revocations {
  private net: NetworkPort | undefined

  constructor(
    private readonly account: AccountContext,
    /** Called when this device learns it was revoked: the account stops. */
    private readonly onRevoked: () => void,
  ) {}

  attach(net: NetworkPort): void {
    this.net = net
    net.handle(REVOCATION, (p, f) => this.onCrl(p, f), { sync: true })
    net.handle(REVOCATION, (p, f) => this.onCrl(p, f))
  }

  detach(): void {
    this.net = undefined
  }

  /** Whether this device's own certificate is in the account's CRL. */
  get selfRevoked(): boolean {
    return !!this.ownCrl()?.revoked.has(this.account.identity.deviceCert.serial)
  }

  /**
   * Revokes another device of the account (this device must hold the account key): the CRL
   * is signed, kept, published into every conversation this account writes to, and sent to
   * the own devices; the revoked device is let go. deviceRevocationEnded(deviceId, 0) after.
   */
  async revoke(deviceId: string): Promise<void> {
    const { account } = this
    if (!/^[0-9a-f]{64}$/.test(deviceId)) throw new InvalidArgumentError('a device id is 64 hex digits', { deviceId })
    if (deviceId === account.deviceId) throw new InvalidArgumentError('a device cannot revoke itself; revoke it from another device', { deviceId })
    if (!account.identity.accountKey) throw new InvalidStateError('revoke a device', 'this device does not hold the account key')
    const cert = this.certificateOf(deviceId)
    if (!cert) throw new NotFoundError(`device ${deviceId} of this account`)
    const signed = await signRevocation(account.identity, cert)
    this.keep(signed.crl!)
    for (const conv of account.openConversations()) {
      const role = conv.roleOf()
      if (role !== 'admin' && role !== 'member') continue
      account.write(conv.id, (c) => c.commit({ type: REVOCATION_COMMIT, device: deviceId }, [{ path: crlPath(account.uri), oid: c.writeBlob(signed.crl!) }]))
    }
    this.forget([cert.serial])
    const frame = this.frame()
    for (const d of Object.values(account.store.devices.value)) this.net?.node.sendSync(d.toxPk, frame)
    account.emit('deviceRevocationEnded', deviceId, 0)
  }

  /** A device's certificate: as its hello gave it, or from a conversation it wrote to. */
  private certificateOf(deviceId: string): CertificateInfo | undefined {
    const pem = this.account.store.devices.value[deviceId]?.cert
    if (pem) return parseCertificate(pem)
    for (const conv of this.account.openConversations()) {
      const data = conv.headTree().read(devicePath(deviceId))
      if (!data) continue
      const cert = parseCertificate(Buffer.from(data).toString('utf8'))
      if (cert.issuerUid === this.account.uri) return cert
    }
    return undefined
  }

  private frame(): Frame {
    return { t: REVOCATION, crl: Buffer.from(this.account.identity.crl!).toString('base64') }
  }

  /** Keeps a newer CRL of the account with the identity. */
  private keep(crl: Buffer): void {
    writeFileAtomic(`${this.account.store.identityDir}/account.crl`, crl)
    this.account.identity.crl = crl
  }

  /** The own devices whose certificates have these serials: marked revoked, let go. */
  private forget(serials: bigint[]): void {
    const { store } = this.account
    let changed = false
    for (const d of Object.values(store.devices.value)) {
      if (d.revoked || !d.cert || !serials.includes(parseCertificate(d.cert).serial)) continue
      d.revoked = Date.now()
      changed = true
      const pk = d.toxPk
      // It is told first (the farewell goes if it is connected), then let go.
      if (this.net?.node.onlinePeers().some((p) => p.toxPk === pk)) this.net.node.send(pk, this.frame())
      setTimeout(() => this.net?.unfriend(pk), 1000).unref()
    }
    if (!changed) return
    store.devices.save()
    this.account.emit('knownDevicesChanged', knownDevices(this.account))
  }

  /** A CRL of our account, from an own device or (as a farewell) from anyone: its signature is what counts. */
  private onCrl(_p: VerifiedPeer, f: Frame): void {
    const data = take.string(f['crl'], 48_000)
    if (!data) return
    const bytes = Buffer.from(data, 'base64')
    let crl: RevocationList
    try {
      crl = parseCrl(bytes)
    } catch {
      return
    }
    const { identity } = this.account
    if (!isCrlSignedBy(crl, identity.accountCert)) return
    const current = this.ownCrl()
    if (current && (crl.revoked.size < current.revoked.size || crl.thisUpdate <= current.thisUpdate)) return
    this.keep(bytes)
    if (crl.revoked.has(identity.deviceCert.serial)) {
      this.account.emit('deviceRevoked', identity.deviceId)
      this.onRevoked()
      return
    }
    this.forget([...crl.revoked.keys()])
  }

  /**
   * Whether a verified peer's device is revoked, by our account's CRL (own devices) or by the
   * CRL its account published in a conversation we share. The answer to a revoked one is the
   * CRL, then the connection closes (SwarmNode's refusePeer).
   */
  refusal(peer: VerifiedPeer): Frame | undefined {
    let cert: CertificateInfo
    try {
      cert = parseCertificate(peer.deviceCertPem)
    } catch {
      return undefined
    }
    if (peer.accountUri === this.account.uri) return this.ownCrl()?.revoked.has(cert.serial) ? this.frame() : undefined
    // Another account's device: by the CRL its account published in a conversation we share (signature checked there).
    const conv = this.account.openConversations().find((c) => c.revokedAt(peer.accountUri, cert.serial) !== undefined)
    return conv && { t: REVOCATION, crl: Buffer.from(conv.headTree().read(crlPath(peer.accountUri))!).toString('base64') }
  }

  /** The account's CRL as this device holds it. */
  private ownCrl(): RevocationList | undefined {
    return this.account.identity.crl ? parseCrl(this.account.identity.crl) : undefined
  }
}

/** The account's devices (this one included, revoked ones not): id → name. */
export function knownDevices(account: AccountContext): Record<string, string> {
  const out: Record<string, string> = { [account.deviceId]: account.displayName }
  for (const d of Object.values(account.store.devices.value)) if (!d.revoked) out[d.deviceId] = d.name
  return out
}
