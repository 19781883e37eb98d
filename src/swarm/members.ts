/**
 * Who is in a conversation, derived from a tree (reference §1.4): admins, members, invited,
 * banned, and for 1:1 conversations the initial member who left. Unlike Jami, banned admins
 * are listed as banned rather than vanishing.
 * @module
 */
import type { CertificateCache } from '../validation/certs.js'
import type { TreeView } from '../validation/view.js'

/** A member's role, from where its certificate or file sits in the tree. */
export type Role = 'admin' | 'member' | 'invited' | 'banned' | 'left'

/** An account and its role in the conversation. */
export interface Member {
  uri: string
  role: Role
}

/** A device whose certificate the conversation holds. */
export interface DeviceEntry {
  deviceId: string
  /** The account that issued the device certificate ('' when unreadable). */
  uri: string
  banned: boolean
}

const SCAN: Array<[dir: string, role: Role, suffix: string]> = [
  ['admins', 'admin', '.crt'],
  ['members', 'member', '.crt'],
  ['invited', 'invited', ''],
  ['banned/admins', 'banned', '.crt'],
  ['banned/members', 'banned', '.crt'],
  ['banned/invited', 'banned', ''],
]

/** Members with their roles; `initialMembers` (1:1 only) are reported as `left` when gone. */
export function membersOf(tree: TreeView, initialMembers: readonly string[] = []): Member[] {
  const seen = new Map<string, Role>()
  for (const [dir, role, suffix] of SCAN) {
    for (const name of tree.list(dir)) {
      if (suffix && !name.endsWith(suffix)) continue
      const uri = suffix ? name.slice(0, -suffix.length) : name
      if (!seen.has(uri)) seen.set(uri, role)
    }
  }
  for (const uri of initialMembers) if (uri && !seen.has(uri)) seen.set(uri, 'left')
  return [...seen].map(([uri, role]) => ({ uri, role }))
}

export function roleOf(tree: TreeView, uri: string, initialMembers: readonly string[] = []): Role | undefined {
  return membersOf(tree, initialMembers).find((m) => m.uri === uri)?.role
}

/** Device certificates in the tree (and banned ones), with the account each belongs to. */
export function devicesOf(tree: TreeView, certs: CertificateCache): DeviceEntry[] {
  const out: DeviceEntry[] = []
  for (const [dir, banned] of [['devices', false], ['banned/devices', true]] as const) {
    for (const name of tree.list(dir)) {
      if (!name.endsWith('.crt')) continue
      const parsed = certs.certificates(tree, `${dir}/${name}`)
      out.push({ deviceId: name.slice(0, -4), uri: parsed?.ok ? parsed.value[0]!.issuerUid : '', banned })
    }
  }
  return out
}
