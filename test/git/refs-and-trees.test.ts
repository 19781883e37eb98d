/**
 * Refs (compare-and-swap under git's lock file, in-place and renamed updates, packed-refs)
 * and trees (diff and edit) against the real git.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, linkSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { InvalidArgumentError, LockedError, RefConflictError } from '../../src/errors.js'
import { initBareRepository } from '../../src/git/repository.js'
import { diffTrees, editTree, walkTree } from '../../src/git/tree.js'
import { git, tempDir } from '../helpers.js'

const dir = tempDir()
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)

describe('refs', () => {
  test('create, update in place, compare-and-swap, and git reads them', () => {
    const repo = initBareRepository(join(dir, 'refs.git'))
    const blob = repo.objects.write('blob', Buffer.from('x'))
    const other = repo.objects.write('blob', Buffer.from('y'))
    repo.refs.update('refs/heads/main', blob, null)
    expect(git(repo.gitdir, 'rev-parse', 'refs/heads/main')).toBe(blob)
    expect(() => repo.refs.update('refs/heads/main', other, null)).toThrow(RefConflictError)
    expect(() => repo.refs.update('refs/heads/main', other, A)).toThrow(RefConflictError)
    repo.refs.update('refs/heads/main', other, blob)
    expect(git(repo.gitdir, 'rev-parse', 'refs/heads/main')).toBe(other)
    expect(repo.refs.resolve('HEAD')).toBe(other)
    repo.refs.update('refs/remotes/' + 'd'.repeat(64) + '/main', blob)
    expect([...repo.refs.list('refs/remotes/').values()]).toEqual([blob])
  })

  test('a held lock (a git process writing) is refused, not waited on or broken', () => {
    const repo = initBareRepository(join(dir, 'locked.git'))
    writeFileSync(join(repo.gitdir, 'refs/heads/main.lock'), '')
    expect(() => repo.refs.update('refs/heads/main', A)).toThrow(LockedError)
    // A plain ref too, where the lock is taken as a link to a spare inode.
    repo.refs.update('refs/heads/other', A)
    writeFileSync(join(repo.gitdir, 'refs/heads/other.lock'), '')
    expect(() => repo.refs.update('refs/heads/other', B, A)).toThrow(LockedError)
    expect(repo.refs.resolve('refs/heads/other')).toBe(A)
  })

  test('the linked lock excludes git while held, and nothing is left behind', () => {
    const repo = initBareRepository(join(dir, 'linked.git'))
    const one = repo.objects.write('blob', Buffer.from('1'))
    const two = repo.objects.write('blob', Buffer.from('2'))
    // A tag, as git lets tags (not branches) point at blobs.
    repo.refs.update('refs/tags/v', one, null)
    repo.refs.update('refs/tags/v', two, one) // in place, under a linked lock
    const spare = join(repo.gitdir, 'gitswarm', 'lock-inode')
    expect(statSync(spare).nlink).toBe(1)
    expect(existsSync(join(repo.gitdir, 'refs/tags/v.lock'))).toBe(false)
    // While held (the link exists), git cannot move the ref either.
    linkSync(spare, join(repo.gitdir, 'refs/tags/v.lock'))
    expect(() => git(repo.gitdir, 'update-ref', 'refs/tags/v', one)).toThrow(/v.lock/)
    unlinkSync(join(repo.gitdir, 'refs/tags/v.lock'))
    git(repo.gitdir, 'update-ref', 'refs/tags/v', one, two)
    expect(repo.refs.resolve('refs/tags/v')).toBe(one)
    expect(() => repo.refs.update('refs/tags/v', two, two)).toThrow(RefConflictError)
    expect(existsSync(join(repo.gitdir, 'refs/tags/v.lock'))).toBe(false)
  })

  test('packed refs are read, loose refs shadow them', () => {
    const repo = initBareRepository(join(dir, 'packed.git'))
    writeFileSync(join(repo.gitdir, 'packed-refs'), `# pack-refs with: peeled\n${A} refs/heads/main\n${B} refs/tags/t\n`)
    expect(repo.refs.resolve('refs/heads/main')).toBe(A)
    repo.refs.update('refs/heads/main', B, A)
    expect(repo.refs.resolve('refs/heads/main')).toBe(B)
    expect(repo.refs.list().get('refs/tags/t')).toBe(B)
  })

  test('bad ref names and ids are refused', () => {
    const repo = initBareRepository(join(dir, 'names.git'))
    for (const name of ['refs/../x', 'heads/main', 'refs/heads/a.lock', 'refs/heads/', 'refs//x']) {
      expect(() => repo.refs.update(name, A)).toThrow(InvalidArgumentError)
    }
    expect(() => repo.refs.update('refs/heads/main', 'nothex')).toThrow(InvalidArgumentError)
  })
})

describe('trees', () => {
  const paths = ['admins/a.crt', 'members/b.crt', 'members/c.crt', 'invited/d', 'devices/e.crt', 'profile.vcf', 'votes/ban/members/b/a']

  /** git's own tree for the same path → content map, built through an index file. */
  function gitTree(gitdir: string, files: Map<string, string>): string {
    const env = { ...process.env, GIT_INDEX_FILE: join(gitdir, 'test-index') }
    execFileSync('git', ['-C', gitdir, 'read-tree', '--empty'], { env })
    for (const [path, oid] of files) execFileSync('git', ['-C', gitdir, 'update-index', '--add', '--cacheinfo', `100644,${oid},${path}`], { env })
    return execFileSync('git', ['-C', gitdir, 'write-tree'], { env }).toString().trim()
  }

  test('editTree builds the same tree ids as git, and diffTrees finds exactly the changed paths', () => {
    const repo = initBareRepository(join(dir, 'trees.git'))
    const blobs = ['1', '2', '3'].map((c) => repo.objects.write('blob', Buffer.from(c)))
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...paths), fc.option(fc.constantFrom(...blobs), { nil: null })), { maxLength: 12 }),
        fc.array(fc.tuple(fc.constantFrom(...paths), fc.option(fc.constantFrom(...blobs), { nil: null })), { maxLength: 12 }),
        (first, second) => {
          const base = editTree(repo.objects, undefined, first.map(([path, oid]) => ({ path, oid })))
          const next = editTree(repo.objects, base, second.map(([path, oid]) => ({ path, oid })))
          const before = new Map([...walkTree(repo.objects, base)].map((e) => [e.path, e.oid]))
          const after = new Map([...walkTree(repo.objects, next)].map((e) => [e.path, e.oid]))
          expect(next).toBe(gitTree(repo.gitdir, after))
          const expected = [...new Set([...before.keys(), ...after.keys()])]
            .filter((p) => before.get(p) !== after.get(p))
            .map((p) => ({ path: p, status: !before.has(p) ? 'added' : !after.has(p) ? 'deleted' : 'modified' }))
            .sort((x, y) => x.path.localeCompare(y.path))
          const diff = diffTrees(repo.objects, base, next).map((c) => ({ path: c.path, status: c.status })).sort((x, y) => x.path.localeCompare(y.path))
          expect(diff).toEqual(expected)
        },
      ),
      { numRuns: 150, seed: 42 },
    )
  })

  test('a file cannot be replaced by a directory through an edit', () => {
    const repo = initBareRepository(join(dir, 'clash.git'))
    const blob = repo.objects.write('blob', Buffer.from('x'))
    const t = editTree(repo.objects, undefined, [{ path: 'a', oid: blob }])
    expect(() => editTree(repo.objects, t, [{ path: 'a/b', oid: blob }])).toThrow(InvalidArgumentError)
    expect(() => editTree(repo.objects, t, [{ path: '../x', oid: blob }])).toThrow(InvalidArgumentError)
  })
})
