/**
 * Forging commits for tests and for the conformance suite: any tree, any parents, any
 * message, signed by any device — or deliberately broken (tampered bytes, missing or doubled
 * signature headers, extra headers, mismatched committer). Nothing here checks a rule.
 * @module
 */
import { serializeCommit, type CommitFields, type ExtraHeader, type PersonLine } from '../git/object-codec.js'
import type { Repository } from '../git/repository.js'
import { editTree, type TreeEdit } from '../git/tree.js'
import type { DeviceIdentity } from '../identity/identity.js'
import { signData } from '../identity/keys.js'
import { serializeCommitMessage, type CommitMessage } from '../validation/commit-message.js'
import { devicePath } from '../validation/paths.js'
import { authorLine } from '../swarm/commit-writer.js'
import { parseCommit } from '../git/object-codec.js'
import { lookupPath } from '../git/tree.js'

export interface ForgeSpec {
  /** The device the commit claims as author (its id is the author e-mail). */
  author: DeviceIdentity
  /** Parents (default: none, a root commit). */
  parents?: string[]
  message: CommitMessage | string
  /** Applied to the first parent's tree (or to the empty tree). */
  edits?: TreeEdit[]
  /** Use this tree id as is (ignores `edits`). */
  tree?: string
  /** Add the author's device certificate when the base tree lacks it (default true). */
  addDevice?: boolean
  /** Commit time, seconds (default 1_795_400_000, 2026-11-23). */
  time?: number
  /** Sign with this device's key instead of the author's. */
  signer?: DeviceIdentity
  /** Signed extra headers placed before the signature. */
  extraHeaders?: ExtraHeader[]
  /** Override the signature header(s): receives the base64 signature. */
  signatureHeaders?: (signature: string) => ExtraHeader[]
  /** Override author or committer lines. */
  authorLine?: Partial<PersonLine>
  committerLine?: Partial<PersonLine>
  /** Rewrite the final bytes (after signing). */
  tamper?: (raw: Buffer) => Buffer
}

export const FORGE_TIME = 1_795_400_000

function treeOf(repo: Repository, commit: string): string {
  return parseCommit(repo.objects.read(commit, 'commit').content).tree
}

/** Builds, signs and stores the commit; returns its id. Refs are not touched. */
export function forgeCommit(repo: Repository, spec: ForgeSpec): string {
  const store = repo.objects
  const parents = spec.parents ?? []
  let tree = spec.tree
  if (!tree) {
    const base = parents[0] ? treeOf(repo, parents[0]) : undefined
    const edits = [...(spec.edits ?? [])]
    const dev = devicePath(spec.author.deviceId)
    if ((spec.addDevice ?? true) && !(base && lookupPath(store, base, dev)) && !edits.some((e) => e.path === dev)) {
      edits.push({ path: dev, oid: store.write('blob', Buffer.from(spec.author.deviceCertPem)) })
    }
    tree = editTree(store, base, edits)
  }
  const time = spec.time ?? FORGE_TIME
  const person = authorLine(spec.author, time)
  const fields: CommitFields = {
    tree,
    parents,
    author: { ...person, ...spec.authorLine },
    committer: { ...person, ...spec.committerLine },
    extraHeaders: spec.extraHeaders ?? [],
    message: typeof spec.message === 'string' ? spec.message : serializeCommitMessage(spec.message),
  }
  const signature = signData((spec.signer ?? spec.author).deviceKey.privateKey, serializeCommit(fields)).toString('base64')
  const headers = spec.signatureHeaders ? spec.signatureHeaders(signature) : [{ key: 'signature', value: signature }]
  let raw = serializeCommit({ ...fields, extraHeaders: [...fields.extraHeaders, ...headers] })
  if (spec.tamper) raw = spec.tamper(raw)
  return store.write('commit', raw)
}

/** Stores `data` as a blob and returns a tree edit putting it at `path`. */
export function put(repo: Repository, path: string, data: string | Uint8Array): TreeEdit {
  return { path, oid: repo.objects.write('blob', typeof data === 'string' ? Buffer.from(data) : data) }
}

export function remove(path: string): TreeEdit {
  return { path, oid: null }
}
