/**
 * Gossip with real accounts on a loopback Tox network: 24 members in one conversation, more
 * than a device links with (16), so a message crosses the ring in several hops — announced,
 * fetched, validated, merged and relayed by the Account's own code — and reaches every member.
 */
import { describe, expect, it } from 'vitest'
import type { Account } from '../../src/account/account.js'
import { MAX_NEIGHBOURS } from '../../src/account/gossip.js'
import { conversationNeighbours } from '../../src/account/peers.js'
import { befriend, invite, testNetwork, until } from './net.js'

const net = await testNetwork()
const MEMBERS = 24

describe('gossip between real accounts', () => {
  it(`${MEMBERS} members: each links with at most ${MAX_NEIGHBOURS} others of the conversation, and a message reaches all`, async () => {
    const host = await net.account('host')
    const others: Account[] = []
    for (let i = 1; i < MEMBERS; i++) others.push(await net.account(`m${i}`))
    for (const m of others) await befriend(host, m)
    const id = host.startConversation({ title: 'many' })
    for (const m of others) await invite(host, id, m)
    const all = [host, ...others]
    await until(() => all.every((a) => a.conversation(id).members().filter((m) => m.role === 'member' || m.role === 'admin').length === MEMBERS), 'every join everywhere', 60_000)
    for (const a of all) expect(conversationNeighbours(a.conversation(id), a.deviceId).length).toBeLessThanOrEqual(MAX_NEIGHBOURS)
    // The ring links come up (each end looks for the other once it holds the other's certificate).
    await until(() => others.every((a) => a.node.onlinePeers().length >= 4), 'ring links', 60_000)

    const links = others.map((a) => a.node.onlinePeers().filter((p) => p.accountUri !== host.uri).length)
    expect(Math.max(...links)).toBeLessThanOrEqual(MAX_NEIGHBOURS)
    // The host, linked with everyone as their contact, leaves: what follows travels the ring alone.
    await host.stop()
    await until(() => others.every((a) => !a.node.onlinePeers().some((p) => p.accountUri === host.uri)), 'the host gone')
    const writer = others[Math.floor(MEMBERS / 2)]!
    const t = performance.now()
    const text = 'through the ring'
    const got = new Set<string>()
    for (const a of others) a.on('swarmMessageReceived', (cid, m) => cid === id && m.body['body'] === text && got.add(a.uri))
    writer.sendMessage(id, text)
    await until(() => got.size === others.length, `the message at all ${others.length} members`, 60_000)
    const told = others.filter((a) => a.node.onlinePeers().some((p) => p.deviceId === writer.deviceId)).length
    console.log(`gossip over Tox, ${others.length} accounts without the host: delivered to all in ${(performance.now() - t).toFixed(0)} ms; member links max ${Math.max(...links)}; ${told} linked with the writer, the others reached by relays`)
    expect(told).toBeLessThan(others.length - 1)
  }, 240_000)
})
