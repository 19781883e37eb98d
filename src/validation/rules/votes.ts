/**
 * Ban and unban: admins vote (reference §4.6), then one of them resolves the vote (§4.8)
 * once more than half of the parent tree's admins voted — the same threshold the creating
 * side uses, closing gap G6.
 * @module
 */
import { isAdmin } from '../author.js'
import { field } from '../commit-message.js'
import type { CommitContext } from '../context.js'
import { bannedPath, deviceOfPath, devicePath, isRoleDir, isTargetId, parseVotePath, rolePath, type RoleDir } from '../paths.js'
import { check, violate } from '../verdict.js'
import type { TreeView } from '../view.js'
import { isOwnFileChange } from './own-files.js'

export function checkVote(ctx: CommitContext): void {
  if (ctx.changes.length === 0) return // an empty vote changes nothing (accepted, as Jami)
  check(ctx.changes.length <= 2, 'vote.files', `a vote changes at most 2 files, this one ${ctx.changes.length}`)
  const author = ctx.author!.uri
  const parent = ctx.parent!.tree
  check(isAdmin(parent, author), 'vote.not-admin', `account ${author} is not an admin and cannot vote`)
  let votes = 0
  for (const change of ctx.changes) {
    if (isOwnFileChange(ctx, change, { device: true })) continue
    check(change.path.startsWith('votes/'), 'vote.files', `a vote may not change ${change.path}`, change.path)
    votes++
    const vote = parseVotePath(change.path)
    check(vote && (vote.action === 'ban' || vote.action === 'unban') && isRoleDir(vote.type), 'vote.path', `${change.path} is not votes/<ban|unban>/<type>/<target>/<voter>`, change.path)
    check(vote.voter === author, 'vote.voter', `${change.path} is a vote of ${vote.voter}, written by ${author}`, change.path)
    const data = ctx.commit.tree.read(change.path)
    check(change.status === 'added' && data !== undefined && data.length === 0, 'vote.file', `${change.path} must be a new empty file`, change.path)
    checkVoteTarget(ctx, parent, vote.action, vote.type as RoleDir, vote.target, change.path)
  }
  check(votes === 1, 'vote.files', `a vote adds exactly one vote file, this one ${votes}`)
}

function checkVoteTarget(ctx: CommitContext, parent: TreeView, action: string, type: RoleDir, target: string, path: string): void {
  check(isTargetId(type, target), 'vote.target', `${target} is not a valid ${type} id`, path)
  check(field(ctx.message, 'uri') === target, 'vote.target', `the message names ${field(ctx.message, 'uri')}, the vote ${target}`, path)
  check(target !== (type === 'devices' ? ctx.deviceId : ctx.author!.uri), 'vote.target', `an admin cannot vote on themself`, path)
  if (action === 'ban') {
    const present =
      type === 'devices'
        ? parent.blobId(devicePath(target)) !== undefined
        : ['admins', 'members', 'invited'].some((t) => parent.blobId(rolePath(t as RoleDir, target)) !== undefined)
    check(present, 'vote.target', `${target} is not in ${type === 'devices' ? 'devices' : 'the conversation'}`, path)
  } else {
    check(parent.blobId(bannedPath(type, target)) !== undefined, 'vote.target', `${target} is not banned as ${type}`, path)
  }
}

/** Admin URIs (certificate file names) in a tree. */
function admins(tree: TreeView): string[] {
  return tree.list('admins').filter((n) => n.endsWith('.crt')).map((n) => n.slice(0, -4))
}

/** Strict majority of the admins, shared by the validator and the creating side (G6). */
export function hasQuorum(votes: number, adminCount: number): boolean {
  return adminCount > 0 && votes * 2 > adminCount
}

export function checkResolution(ctx: CommitContext, action: 'ban' | 'unban'): void {
  const uri = field(ctx.message, 'uri')
  const author = ctx.author!.uri
  const parent = ctx.parent!.tree
  const tree = ctx.commit.tree
  check(isAdmin(parent, author), 'resolution.not-admin', `account ${author} is not an admin and cannot resolve a ${action}`)
  const voters = new Set<string>()
  let moved: RoleDir | undefined
  for (const change of ctx.changes) {
    const { path } = change
    if (isOwnFileChange(ctx, change, { device: true })) continue
    const vote = parseVotePath(path)
    if (vote) {
      check(vote.action === action && vote.target === uri && isRoleDir(vote.type), 'resolution.files', `${path} is not a ${action} vote on ${uri}`, path)
      check(change.status === 'deleted', 'resolution.files', `${path} must be consumed (deleted), it is ${change.status}`, path)
      if (isAdmin(parent, vote.voter)) voters.add(vote.voter)
      continue
    }
    const kind = classifyMove(path, uri)
    if (kind) {
      check(moved === undefined || moved === kind.type, 'resolution.move', `${uri} is moved in two roles`, path)
      moved = kind.type
      continue
    }
    const device = deviceOfPath(path)
    if (device && action === 'ban' && change.status === 'deleted') {
      const cert = ctx.env.certs.certificates(parent, path)
      check(cert?.ok && cert.value[0]!.issuerUid === uri, 'resolution.files', `${path} is not a device of ${uri}`, path)
      continue
    }
    violate('resolution.files', `a ${action} may not change ${path}`, path)
  }
  check(moved !== undefined, 'resolution.move', `a ${action} must move ${uri} ${action === 'ban' ? 'into' : 'out of'} banned/`)
  const [from, to] = action === 'ban' ? [rolePath(moved, uri), bannedPath(moved, uri)] : [bannedPath(moved, uri), rolePath(moved, uri)]
  const source = parent.blobId(from)
  check(source !== undefined && tree.blobId(from) === undefined, 'resolution.move', `${from} must exist before and be gone after`, from)
  check(tree.blobId(to) === source && parent.blobId(to) === undefined, 'resolution.move', `${to} must receive ${from} unchanged`, to)
  const adminCount = admins(parent).length
  check(hasQuorum(voters.size, adminCount), 'resolution.quorum', `${voters.size} of ${adminCount} admins voted to ${action} ${uri}`)
}

/** `<type>/<uri>[.crt]` or `banned/<type>/<uri>[.crt]` for this uri. */
function classifyMove(path: string, uri: string): { type: RoleDir } | undefined {
  const rest = path.startsWith('banned/') ? path.slice(7) : path
  const slash = rest.indexOf('/')
  const type = rest.slice(0, slash)
  if (!isRoleDir(type)) return undefined
  return rest === rolePath(type, uri) ? { type } : undefined
}
