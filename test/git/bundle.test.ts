/**
 * What a fetch sends: the commits reachable from the wants and not from the client's haves,
 * found newest first as git does. Commit times are not ordered like the history (clocks, and
 * the many commits of one second in a busy group), so a commit can be found uninteresting after
 * the walk took it as interesting: the mark must still reach what lies below it.
 */
import { expect, test } from 'vitest'
import { collectObjects } from '../../src/git/bundle.js'
import { serializeCommit } from '../../src/git/object-codec.js'
import { initBareRepository } from '../../src/git/repository.js'
import { editTree } from '../../src/git/tree.js'
import { tempDir } from '../helpers.js'

test('a have reached late through an older-dated path still excludes everything below it', () => {
  const store = initBareRepository(`${tempDir()}/late-mark.git`).objects
  const tree = editTree(store, undefined, [{ path: 'a', oid: store.write('blob', Buffer.from('x')) }])
  const commit = (parents: string[], time: number, message: string) => {
    const person = { name: 't', email: 't', timestamp: time, timezone: '+0000' }
    return store.write('commit', serializeCommit({ tree, parents, author: person, committer: person, extraHeaders: [], message }))
  }
  // root ← p ← tip (wanted);  p ← q ← have (the client's). The walk takes tip (10), then p (9)
  // as interesting, and only then reaches p again from the have through q (8, 7).
  const root = commit([], 1, 'root')
  const p = commit([root], 9, 'p')
  const tip = commit([p], 10, 'tip')
  const q = commit([p], 7, 'q')
  const have = commit([q], 8, 'have')
  const sent = collectObjects(store, [tip], [have])
  expect(sent.filter((o) => o.type === 'commit').map((o) => o.oid)).toEqual([tip])
  // The tree is the same as the client's: nothing else goes.
  expect(sent).toHaveLength(1)
})
