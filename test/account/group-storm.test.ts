/**
 * Issue 22: twelve real Accounts in one group on a loopback Tox network, writers rotating
 * through all twelve, 30 texts 50 ms apart: every member shows every text, then every member
 * has one head — the merge storm of eager merging (every device merging every head it saw
 * and announcing its own merge) is gone.
 */
import { describe, expect, it } from 'vitest'
import { testNetwork } from './net.js'
import { describeStorm, formGroup, storm } from './group-storm.js'

const net = await testNetwork()

describe('a group where everyone writes at once', () => {
  it('12 members, writers rotating through all 12, 30 texts 50 ms apart: all delivered, then one head', async () => {
    const accounts = []
    for (let i = 0; i < 12; i++) accounts.push(await net.account(i === 0 ? 'host' : `m${i}`))
    const id = await formGroup(accounts)
    const result = await storm(accounts, id, { writers: 'rotating', timeoutMs: 60_000 })
    console.log(describeStorm(result))
    expect(result.messages).toBe(30)
    // Each writer's text is a head of its own until a merge joins them: far fewer merges than texts.
    expect(result.merges).toBeLessThan(result.messages)
  }, 300_000)
})
