/**
 * The repository layout's paths (reference/jami-swarm.md §1.1), built and recognised in one
 * place so every rule names files the same way.
 * @module
 */
import { isAccountUri, isDeviceId } from '../identity/ids.js'

export const ROLE_DIRS = ['admins', 'members', 'invited', 'devices'] as const
export type RoleDir = (typeof ROLE_DIRS)[number]

export const adminPath = (uri: string): string => `admins/${uri}.crt`
export const memberPath = (uri: string): string => `members/${uri}.crt`
export const invitedPath = (uri: string): string => `invited/${uri}`
export const devicePath = (id: string): string => `devices/${id}.crt`
export const crlPath = (uri: string): string => `CRLs/${uri}`
export const PROFILE_PATH = 'profile.vcf'

/** Where an entry of role `type` for `id` lives (`invited` files have no `.crt`). */
export function rolePath(type: RoleDir, id: string): string {
  return type === 'invited' ? invitedPath(id) : `${type}/${id}.crt`
}

export function bannedPath(type: RoleDir, id: string): string {
  return `banned/${rolePath(type, id)}`
}

export function votePath(action: 'ban' | 'unban', type: RoleDir, target: string, voter: string): string {
  return `votes/${action}/${type}/${target}/${voter}`
}

export interface ParsedVotePath {
  action: string
  type: string
  target: string
  voter: string
}

/** Splits `votes/<action>/<type>/<target>/<voter>`; undefined for any other shape. */
export function parseVotePath(path: string): ParsedVotePath | undefined {
  const parts = path.split('/')
  if (parts.length !== 5 || parts[0] !== 'votes') return undefined
  return { action: parts[1]!, type: parts[2]!, target: parts[3]!, voter: parts[4]! }
}

/** The device id of `devices/<id>.crt`, or undefined. */
export function deviceOfPath(path: string): string | undefined {
  const m = /^devices\/([0-9a-f]{64})\.crt$/.exec(path)
  return m ? m[1] : undefined
}

/** The target id is valid for a role: device ids for `devices`, account URIs otherwise. */
export function isTargetId(type: string, id: string): boolean {
  return type === 'devices' ? isDeviceId(id) : isAccountUri(id)
}

export function isRoleDir(value: string): value is RoleDir {
  return (ROLE_DIRS as readonly string[]).includes(value)
}
