/**
 * A conversation stays usable while stock git maintains its repository underneath it:
 * `git gc` packs every loose object and deletes them, and a later repack replaces that pack,
 * while a Conversation holds the repository open, as a long-running device would.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { account, git, tempDir } from '../helpers.js'

const dir = tempDir()

test('git gc and git repack under an open conversation: reads, writes and verification go on', async () => {
  const alice = await account('alice')
  const conv = Conversation.create(alice, { path: join(dir, 'maintained') })
  // Written through another handle, so `conv` has never read (or cached) these objects.
  const other = Conversation.open(conv.path, { identity: alice })
  const one = other.sendMessage('one')
  const two = other.sendMessage('two')

  git(conv.path, 'gc', '-q', '--prune=now')
  expect(git(conv.path, 'count-objects', '-v').split('\n')[0]).toBe('count: 0') // every loose object is gone
  expect(conv.view.commit(one).fields.message).toContain('"body":"one"') // found in gc's pack, unseen before
  const three = conv.sendMessage('three')
  expect(conv.view.commit(three).fields.parents).toEqual([two])

  const four = other.sendMessage('four')
  git(conv.path, 'repack', '-a', '-d', '-q') // a new pack replaces gc's
  git(conv.path, 'prune-packed')
  expect(conv.view.commit(four).fields.parents).toEqual([three])
  const reopened = Conversation.open(conv.path, { identity: alice })
  expect(reopened.loadMessages({ n: 4 }).map((m) => m.body['body'])).toEqual(['four', 'three', 'two', 'one'])
  expect((await verifyRepository(conv.path)).ok).toBe(true)
  git(conv.path, 'fsck', '--strict', '--no-dangling')
  for (const c of [conv, other, reopened]) c.close()
})

test('git gc --prune=now removes the emptied fan-out directories under an open writer: its next writes still land', async () => {
  const alice = await account('alice')
  const conv = Conversation.create(alice, { path: join(dir, 'pruned'), durability: 'fast', autoRepack: false })
  for (let i = 0; i < 300; i++) conv.sendMessage(`before ${i}`) // the writer now knows most fan-out directories
  git(conv.path, 'gc', '-q', '--prune=now')
  expect(readdirSync(join(conv.path, 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d))).toEqual([])
  const ids = Array.from({ length: 300 }, (_, i) => conv.sendMessage(`after ${i}`))
  expect(conv.loadMessages({ n: 1 })[0]!.id).toBe(ids.at(-1))
  git(conv.path, 'fsck', '--strict', '--no-dangling')
  conv.close()
})
