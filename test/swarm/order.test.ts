/**
 * History order H1 equals `git rev-list --date-order` on random commit graphs (merges,
 * equal timestamps, clock skew), checked against the real git.
 */
import { join } from 'node:path'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { serializeCommit, EMPTY_TREE_OID } from '../../src/git/object-codec.js'
import { initBareRepository } from '../../src/git/repository.js'
import { dateOrder, type GraphNode } from '../../src/swarm/order.js'
import { git, tempDir } from '../helpers.js'

const repo = initBareRepository(join(tempDir(), 'order.git'))
repo.objects.write('tree', Buffer.alloc(0))

test('dateOrder matches git rev-list --date-order', () => {
  const graph = fc.array(fc.record({ p1: fc.nat(), p2: fc.option(fc.nat(), { nil: undefined }), time: fc.integer({ min: 0, max: 6 }) }), { minLength: 1, maxLength: 40 })
  fc.assert(
    fc.property(graph, (specs) => {
      const nodes = new Map<string, GraphNode>()
      const ids: string[] = []
      specs.forEach((s, i) => {
        const parents = i === 0 ? [] : [...new Set([ids[s.p1 % i]!, ...(s.p2 === undefined ? [] : [ids[s.p2 % i]!])])]
        const person = { name: 'n', email: 'e', timestamp: 1_700_000_000 + s.time, timezone: '+0000' }
        const id = repo.objects.write('commit', serializeCommit({ tree: EMPTY_TREE_OID, parents, author: person, committer: person, extraHeaders: [], message: `c${i}` }))
        ids.push(id)
        nodes.set(id, { id, parents, time: person.timestamp })
      })
      const tip = ids[ids.length - 1]!
      expect(dateOrder(nodes, [tip])).toEqual(git(repo.gitdir, 'rev-list', '--date-order', tip).split('\n'))
    }),
    { numRuns: 60, seed: 7 },
  )
})
