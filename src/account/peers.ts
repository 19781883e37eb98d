/**
 * Which devices an account keeps Tox friendships with, and how it finds their keys: its own
 * devices, its contacts' devices, and in each conversation the ring neighbours (./gossip.ts)
 * among the member devices whose certificates are in the repository — a device certificate
 * is an Ed25519 key, and its X25519 conversion is that device's Tox key.
 * @module
 */
import { toxPublicKey } from '../identity/tox.js'
import type { Conversation } from '../swarm/conversation.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { ringNeighbours } from './gossip.js'
import type { VerifiedPeer } from './hello.js'

/** Another device we sync with. */
export interface Peer {
  accountUri: string
  deviceId: string
  /** Its Tox key: its device key, converted (toxPublicKey). */
  toxPublicKey: Uint8Array
}

export interface MemberDevice {
  deviceId: string
  uri: string
  /** Tox public key, hex. */
  toxPk: string
}

const cache = new WeakMap<Conversation, { tree: string; devices: MemberDevice[] }>()

/** Account URIs of a conversation's admins and members. */
export function activeMembers(conv: Conversation): string[] {
  return conv
    .members()
    .filter((m) => m.role === 'admin' || m.role === 'member')
    .map((m) => m.uri)
}

/** Devices of current members (admins, members) with their Tox keys; banned devices left out. */
export function memberDevices(conv: Conversation): MemberDevice[] {
  // By tree, not by commit: messages and merges of messages leave the tree as it was, and a
  // group writing at once moves its head many times a second.
  const tree = conv.headTree()
  const hit = cache.get(conv)
  if (hit?.tree === tree.id) return hit.devices
  const active = new Set(activeMembers(conv))
  const devices: MemberDevice[] = []
  for (const name of tree.list('devices')) {
    if (!name.endsWith('.crt')) continue
    const parsed = conv.certs.certificates(tree, `devices/${name}`)
    if (!parsed?.ok) continue
    const cert = parsed.value[0]!
    if (!active.has(cert.issuerUid)) continue
    try {
      devices.push({ deviceId: name.slice(0, -4), uri: cert.issuerUid, toxPk: Buffer.from(toxPublicKey(cert.publicKey)).toString('hex') })
    } catch {
      // an RSA device (a Jami import) has no Tox key: it is reached through other devices
    }
  }
  cache.set(conv, { tree: tree.id, devices })
  return devices
}

/** The member devices of `conv` this device links with (its ring neighbours). */
export function conversationNeighbours(conv: Conversation, selfDeviceId: string): MemberDevice[] {
  const devices = memberDevices(conv)
  const chosen = new Set(ringNeighbours(selfDeviceId, devices.map((d) => d.deviceId)))
  return devices.filter((d) => chosen.has(d.deviceId))
}

/** The Peer (what pull and clone take) of a verified device. */
export function peerOf(v: VerifiedPeer): Peer {
  return { accountUri: v.accountUri, deviceId: v.deviceId, toxPublicKey: Buffer.from(v.toxPk, 'hex') }
}

/** Jami's isPeerAuthorized with invited included: member, admin or invited, and the device not banned. */
export function mayFetch(conv: Conversation, peer: Peer): boolean {
  const role = conv.members().find((m) => m.uri === peer.accountUri)?.role
  if (!role || role === 'banned' || role === 'left') return false
  return !conv.devices().some((d) => d.banned && d.deviceId === peer.deviceId)
}

/** A device's Tox public key from its identity (what peers put in `Peer.toxPublicKey`). */
export function devicePeer(identity: DeviceIdentity): Peer {
  return { accountUri: identity.uri, deviceId: identity.deviceId, toxPublicKey: toxPublicKey(identity.deviceKey.publicKey) }
}
