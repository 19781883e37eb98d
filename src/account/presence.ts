/**
 * Presence as Jami's levels, per account over all its devices: 2 connected (a device of it has
 * a verified channel with us), 1 available (a device's Tox connection is up, its hello not yet
 * verified), 0 disconnected. A stopping device closes its connections (peers see it at once); a
 * vanished one is dropped when its Tox connection times out. presenceChanged on every change.
 * @module
 */
import { keyHex } from '../dht/routing-table.js'
import type { AccountContext, NetworkPort } from './context.js'
import type { VerifiedPeer } from './hello.js'

export const Presence = { disconnected: 0, available: 1, connected: 2 } as const

export class PresenceTracker {
  private readonly levels = new Map<string, number>()
  /** Tox key (hex) → account URI, learnt from verified hellos. */
  private readonly owners = new Map<string, string>()
  private net: NetworkPort | undefined
  private readonly offs: Array<() => void> = []

  constructor(private readonly account: AccountContext) {}

  attach(net: NetworkPort): void {
    this.net = net
    const { node } = net
    const onPeer = (p: VerifiedPeer) => {
      this.owners.set(p.toxPk, p.accountUri)
      this.update(p.accountUri)
    }
    const onFriend = (pk: Uint8Array) => {
      const uri = this.ownerOf(keyHex(pk))
      if (uri) this.update(uri)
    }
    node.on('peerOnline', onPeer)
    node.on('peerOffline', onPeer)
    node.tox.on('friendOnline', onFriend)
    node.tox.on('friendOffline', onFriend)
    this.offs.push(
      () => node.off('peerOnline', onPeer),
      () => node.off('peerOffline', onPeer),
      () => node.tox.off('friendOnline', onFriend),
      () => node.tox.off('friendOffline', onFriend),
    )
  }

  /** Stopped: everyone is disconnected as far as this device knows (no events: the account is going away). */
  detach(): void {
    for (const off of this.offs.splice(0)) off()
    this.levels.clear()
    this.net = undefined
  }

  /** The presence level of an account (0 when unknown or not started). */
  of(uri: string): number {
    return this.levels.get(uri) ?? 0
  }

  private ownerOf(pk: string): string | undefined {
    const known = this.owners.get(pk)
    if (known) return known
    for (const c of Object.values(this.account.store.contacts.value)) if (c.uri && c.devices.includes(pk)) return c.uri
    return Object.values(this.account.store.devices.value).some((d) => d.toxPk === pk) ? this.account.uri : undefined
  }

  private level(uri: string): number {
    const node = this.net?.node
    if (!node) return 0
    if (node.onlinePeers().some((p) => p.accountUri === uri)) return 2
    const keys = new Set([...this.owners].filter(([, u]) => u === uri).map(([pk]) => pk))
    for (const pk of this.account.devicesOf(uri)) keys.add(pk)
    for (const pk of keys) if (node.tox.friend(Buffer.from(pk, 'hex'))?.online) return 1
    return 0
  }

  private update(uri: string): void {
    const level = this.level(uri)
    if (level === (this.levels.get(uri) ?? 0)) return
    if (level === 0) this.levels.delete(uri)
    else this.levels.set(uri, level)
    this.account.emit('presenceChanged', uri, level)
  }
}
