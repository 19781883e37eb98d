/**
 * Merge bases against git's own (`git merge-base --all`), and the criss-cross case: two
 * devices that each merged the other's history leave two bases; the merge must be taken
 * against both (a virtual base, as git's recursive strategy), or a change one side already
 * made — an invitation that a join removed — comes back.
 */
import { describe, expect, test } from 'vitest'
import { mergeBases, mergeBaseTree, mergeTrees } from '../../src/git/merge.js'
import { serializeCommit } from '../../src/git/object-codec.js'
import { initBareRepository } from '../../src/git/repository.js'
import { editTree } from '../../src/git/tree.js'
import { git, tempDir } from '../helpers.js'

const dir = tempDir()

describe('merge bases', () => {
  test('a criss-cross history: both bases, as git finds them, and a virtual base that keeps the join', () => {
    const repo = initBareRepository(`${dir}/criss-cross.git`)
    const store = repo.objects
    let time = 1_800_000_000
    const person = () => ({ name: 't', email: 't', timestamp: time++, timezone: '+0000' })
    const commit = (tree: string, parents: string[], message: string) =>
      store.write('commit', serializeCommit({ tree, parents, author: person(), committer: person(), extraHeaders: [], message }))
    const blob = store.write('blob', Buffer.from('x'))
    const treeOf = (...paths: string[]) => editTree(store, undefined, paths.map((path) => ({ path, oid: blob })))
    const root = commit(treeOf('admins/a'), [], 'root')
    const invite = commit(treeOf('admins/a', 'invited/c'), [root], 'invite c')
    const bobJoins = commit(treeOf('admins/a', 'members/b'), [root], 'b joins')
    const carolJoins = commit(treeOf('admins/a', 'members/c'), [invite], 'c joins')
    const m1 = commit(treeOf('admins/a', 'members/b', 'members/c'), [carolJoins, bobJoins], 'merge 1')
    const m2 = commit(treeOf('admins/a', 'members/b', 'invited/c'), [bobJoins, invite], 'merge 2')

    const ours = mergeBases(store, m1, m2).sort()
    const gits = git(repo.gitdir, 'merge-base', '--all', m1, m2).split('\n').sort()
    expect(ours).toEqual(gits)
    expect(ours).toEqual([invite, bobJoins].sort())

    const base = mergeBaseTree(store, m1, m2)
    const merged = mergeTrees(store, base, treeOf('admins/a', 'members/b', 'members/c'), treeOf('admins/a', 'members/b', 'invited/c'), false).tree
    expect(merged).toBe(treeOf('admins/a', 'members/b', 'members/c'))
    // With one of the two bases alone the invitation would come back:
    const wrong = mergeTrees(store, treeOf('admins/a', 'members/b'), treeOf('admins/a', 'members/b', 'members/c'), treeOf('admins/a', 'members/b', 'invited/c'), false).tree
    expect(wrong).toBe(treeOf('admins/a', 'members/b', 'members/c', 'invited/c'))
  })

  test('linear and forked histories: one base, as git', () => {
    const repo = initBareRepository(`${dir}/fork.git`)
    const store = repo.objects
    let time = 1_800_000_000
    const person = () => ({ name: 't', email: 't', timestamp: time++, timezone: '+0000' })
    const tree = editTree(store, undefined, [{ path: 'f', oid: store.write('blob', Buffer.from('1')) }])
    const commit = (parents: string[], message: string) => store.write('commit', serializeCommit({ tree, parents, author: person(), committer: person(), extraHeaders: [], message }))
    const chain = [commit([], '0')]
    for (let i = 1; i < 30; i++) chain.push(commit([chain.at(-1)!], String(i)))
    const left = commit([chain[20]!], 'left')
    const right = commit([chain[29]!], 'right')
    expect(mergeBases(store, left, right)).toEqual([chain[20]])
    expect(git(repo.gitdir, 'merge-base', '--all', left, right)).toBe(chain[20])
    expect(mergeBases(store, chain[5]!, chain[25]!)).toEqual([chain[5]])
    const other = commit([], 'unrelated')
    expect(mergeBases(store, other, right)).toEqual([])
  })
})
