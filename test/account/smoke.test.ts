import { describe, expect, it } from 'vitest'
import { befriend, next, testNetwork } from './net.js'

describe('smoke', () => {
  it('two accounts befriend and chat', async () => {
    const net = await testNetwork()
    const alice = await net.account('alice')
    const bob = await net.account('bob')
    const t = performance.now()
    const id = await befriend(alice, bob)
    console.log('befriended in', performance.now() - t)
    const got = next(bob, 'swarmMessageReceived', (c, m) => c === id && m.body['body'] === 'hi')
    const t2 = performance.now()
    alice.sendMessage(id, 'hi')
    await got
    console.log('message in', performance.now() - t2)
    expect(bob.loadConversation(id, { n: 1 })[0]!.body['body']).toBe('hi')
  })
})
