/**
 * Repositories written by the real Jami daemon (../shared/fixtures/jami) verify, and every one
 * of their commits, altered in its message, signature, author or tree, is rejected with the
 * rule that names the alteration. Uses the real git binary to unbundle them.
 */
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { parseCommit, serializeCommit, type CommitFields } from '../../src/git/object-codec.js'
import { openRepository, type Repository } from '../../src/git/repository.js'
import { lookupPath } from '../../src/git/tree.js'
import { StoreRepositoryView } from '../../src/swarm/repo-view.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { CertificateCache } from '../../src/validation/certs.js'
import { DEFAULT_LIMITS } from '../../src/validation/context.js'
import { validateCommit } from '../../src/validation/validate.js'
import { expectAccepted, expectRejected, git, tempDir, JAMI_FIXTURES } from '../helpers.js'

const FIXTURES = JAMI_FIXTURES
const BUNDLES = {
  'solo-alice': { id: 'f2b87e71d5a05fe09e659bcd39ad1a8a82faf3fe', commits: 8 },
  'group-alice': { id: '081c18f8205e31dd839e02a81bb919999f8fe393', commits: 26 },
} as const

const dir = tempDir()
const repos = new Map<string, Repository>()

beforeAll(() => {
  for (const name of Object.keys(BUNDLES)) {
    const path = join(dir, `${name}.git`)
    git(dir, 'clone', '-q', '--mirror', join(FIXTURES, `${name}.bundle`), path)
    repos.set(name, openRepository(path))
  }
})

describe('repositories written by jami-daemon', () => {
  for (const [name, expected] of Object.entries(BUNDLES)) {
    test(`${name} verifies as valid from its root`, async () => {
      const report = await verifyRepository(repos.get(name)!)
      expect(report.rejections).toEqual([])
      expect(report).toMatchObject({ ok: true, conversationId: expected.id, commits: expected.commits, validated: expected.commits })
    })

    test(`${name}: each commit altered in message, signature, author or tree is rejected`, () => {
      const repo = repos.get(name)!
      const view = new StoreRepositoryView(repo.objects)
      const env = () => ({ repo: view, certs: new CertificateCache(), rootId: expected.id, limits: DEFAULT_LIMITS })
      const ids = git(repo.gitdir, 'rev-list', '--all').split('\n')
      expect(ids).toHaveLength(expected.commits)
      const alter = (id: string, change: (f: CommitFields) => CommitFields): string =>
        repo.objects.write('commit', serializeCommit(change(parseCommit(repo.objects.read(id).content))))
      const verdict = (id: string, root: string = expected.id) => validateCommit({ ...env(), rootId: root }, id).verdict
      for (const id of ids) {
        expectAccepted(verdict(id))
        const original = parseCommit(repo.objects.read(id).content)
        const rootOf = (altered: string) => (original.parents.length === 0 ? altered : expected.id)
        const check = (change: (f: CommitFields) => CommitFields, rule: string) => {
          const altered = alter(id, change)
          expectRejected(verdict(altered, rootOf(altered)), rule)
        }
        check((f) => ({ ...f, message: f.message.replace(/.$/s, (c) => (c === '}' ? ' }' : c + ' ')) }), 'signature.invalid')
        check((f) => ({ ...f, extraHeaders: f.extraHeaders.map((h) => ({ ...h, value: flipBase64(h.value) })) }), 'signature.invalid')
        check((f) => ({ ...f, extraHeaders: [] }), 'commit.signature-header')
        check((f) => ({ ...f, author: { ...f.author, name: 'mallory' }, committer: { ...f.committer, name: 'mallory' } }), 'signature.invalid')
        check((f) => ({ ...f, author: { ...f.author, timestamp: f.author.timestamp + 1 } }), 'commit.author')
        check((f) => ({ ...f, author: { ...f.author, email: 'ab'.repeat(32) }, committer: { ...f.committer, email: 'ab'.repeat(32) } }), 'device.cert-missing')
        // Another tree: the author's device certificate may not be in it (its first commit), else the signature breaks.
        const otherTree = emptyishTree(repo, original)
        const hasDevice = lookupPath(repo.objects, otherTree, `devices/${original.author.email}.crt`) !== undefined
        check((f) => ({ ...f, tree: otherTree }), hasDevice ? 'signature.invalid' : 'device.cert-missing')
      }
    })
  }
})

/** Changes one base64 character of the signature, keeping it canonical base64. */
function flipBase64(value: string): string {
  const i = 10
  return value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1)
}

/** A different tree: the first parent's, or for the root, one holding only profile.vcf-less admins. */
function emptyishTree(repo: Repository, f: CommitFields): string {
  if (f.parents[0]) {
    const parentTree = parseCommit(repo.objects.read(f.parents[0]).content).tree
    if (parentTree !== f.tree) return parentTree
  }
  return repo.objects.write('tree', Buffer.alloc(0))
}
