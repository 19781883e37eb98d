/**
 * Accounts on a loopback Tox network (a gitswarm bootstrap node, UDP on 127.0.0.1): the time
 * to become contacts by Tox ID, from addConversationMember to conversationReady on the
 * invitee, and the latency from sendMessage on one account to swarmMessageReceived on the
 * other (announcement on msg:, fetch over git://, validation, merge, event) next to a bare
 * frame round trip on the same connection; and the gossip simulation at 1,000 members.
 * @module
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Account } from '../src/account/account.js'
import { nextEvent as once } from '../src/account/events.js'
import { simulateGossip } from '../src/account/gossip-simulation.js'
import { ToxNode } from '../src/transport/tox-node.js'
import { median, tempDir, type Figure } from './util.js'

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

export async function benchAccounts(options: { rounds: number; invites: number; gossipMembers: number }): Promise<Figure[]> {
  const dir = tempDir('accounts')
  const boot = await ToxNode.start({ host: '127.0.0.1' })
  const bootstrap = [{ host: '127.0.0.1', port: boot.address.port, publicKey: boot.dhtPublicKey }]
  const alice = await Account.create(join(dir, 'alice'), { displayName: 'alice' })
  const bob = await Account.create(join(dir, 'bob'), { displayName: 'bob' })
  const figures: Figure[] = []
  try {
    await Promise.all([alice.start({ bootstrap }), bob.start({ bootstrap })])
    // Contacts by Tox ID: friend request through the onion, Noise handshake, hellos, 1:1 conversation on both.
    let t = performance.now()
    const request = once(bob, 'trustRequestReceived')
    alice.addContact(bob.toxId())
    await request
    const ready = once(bob, 'conversationReady')
    bob.acceptTrustRequest(alice.uri)
    const [oneToOne] = await ready
    const contactMs = performance.now() - t

    // Invitations: addConversationMember → conversationReady on the invitee (request, accept, clone, join).
    const inviteMs: number[] = []
    bob.on('conversationRequestReceived', (id) => bob.acceptConversationRequest(id))
    for (let i = 0; i < options.invites; i++) {
      const id = alice.startConversation({ title: `group ${i}` })
      for (let m = 0; m < 20; m++) alice.sendMessage(id, `history ${m}`)
      const done = once(bob, 'conversationReady', (cid) => cid === id)
      t = performance.now()
      alice.addConversationMember(id, bob.uri)
      await done
      inviteMs.push(performance.now() - t)
    }
    inviteMs.sort((a, b) => a - b)
    figures.push({
      what: `addConversationMember → conversationReady on the invitee (${options.invites} conversations of 21 commits)`,
      value: `median ${median(inviteMs).toFixed(1)} ms, max ${inviteMs.at(-1)!.toFixed(1)} ms`,
      target: '≤ 1 s',
      met: inviteMs.at(-1)! <= 1000,
      note: `becoming contacts by Tox ID (onion, Noise, hellos, 1:1 ready on both): ${contactMs.toFixed(0)} ms`,
    })

    // Live messages: sendMessage on alice → swarmMessageReceived on bob, one at a time.
    const latencies: number[] = []
    for (let i = 0; i < options.rounds + 20; i++) {
      const got = once(bob, 'swarmMessageReceived', (cid, m) => cid === oneToOne && m.body['body'] === `live ${i}`)
      const start = performance.now()
      alice.sendMessage(oneToOne, `live ${i}`)
      await got
      if (i >= 20) latencies.push(performance.now() - start)
    }
    latencies.sort((a, b) => a - b)
    // The floor under it: a frame and its receipt on the same msg: channels.
    const rtts: number[] = []
    const bobKey = Buffer.from(bob.toxPublicKey).toString('hex')
    for (let i = 0; i < 200; i++) {
      const start = performance.now()
      const back = new Promise<void>((resolve) => alice.node.once('message', () => resolve()))
      alice.node.send(bobKey, { t: 'application/x-bench-ping', ack: `ping-${i}` })
      await back
      rtts.push(performance.now() - start)
    }
    rtts.sort((a, b) => a - b)
    const p50 = median(latencies)
    const p99 = pct(latencies, 0.99)
    figures.push({
      what: `sendMessage → swarmMessageReceived on another account over loopback Tox (${options.rounds} messages)`,
      value: `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
      target: 'p50 ≤ 20 ms, p99 ≤ 50 ms',
      met: p50 <= 20 && p99 <= 50,
      note: `a bare msg: frame round trip on the same connection: p50 ${median(rtts).toFixed(2)} ms (the message costs ${(p50 / median(rtts)).toFixed(1)}x: announce, git fetch, validation, merge, event)`,
    })

    // Read receipts: setMessageDisplayed on bob → accountMessageStatusChanged (3) on alice.
    const receipts: number[] = []
    for (let i = 0; i < options.rounds; i++) {
      const got = once(bob, 'swarmMessageReceived', (cid, m) => cid === oneToOne && m.body['body'] === `read ${i}`)
      const id = alice.sendMessage(oneToOne, `read ${i}`)
      await got
      const shown = once(alice, 'accountMessageStatusChanged', (cid, uri, m, status) => cid === oneToOne && uri === bob.uri && m === id && status === 3)
      const start = performance.now()
      bob.setMessageDisplayed(oneToOne, id)
      await shown
      receipts.push(performance.now() - start)
    }
    receipts.sort((a, b) => a - b)
    figures.push({
      what: `setMessageDisplayed → accountMessageStatusChanged (displayed) at the author over loopback Tox (${options.rounds} receipts)`,
      value: `p50 ${median(receipts).toFixed(2)} ms, p99 ${pct(receipts, 0.99).toFixed(2)} ms`,
      target: 'p50 ≤ 10 ms',
      met: median(receipts) <= 10,
      note: `next to a bare msg: frame round trip, p50 ${median(rtts).toFixed(2)} ms (a receipt is one frame, kept in the outbox until acknowledged, and the status file written atomically on both sides)`,
    })

    // Presence: bob's device stops → presenceChanged(bob, 0) on alice.
    const gone = once(alice, 'presenceChanged', (uri, status) => uri === bob.uri && status === 0, 30_000)
    const stopAt = performance.now()
    await bob.stop()
    await gone
    const presenceMs = performance.now() - stopAt
    figures.push({
      what: 'a contact’s device stops → presenceChanged (0) on the other account',
      value: `${presenceMs.toFixed(0)} ms`,
      target: '≤ 5 s',
      met: presenceMs <= 5000,
      note: 'a stopping device closes its connections (net_crypto kill packets): the peer sees it at once, not at the connection timeout',
    })
  } finally {
    await Promise.all([alice.stop(), bob.stop()])
    await boot.close()
    rmSync(dir, { recursive: true, force: true })
  }

  const t = performance.now()
  const g = simulateGossip({ members: options.gossipMembers, messages: 20, seed: 1 })
  const lossy = simulateGossip({ members: options.gossipMembers, messages: 20, seed: 2, loss: 0.1, offline: 0.1 })
  figures.push({
    what: `gossip, ${g.members} members, 20 messages (ring links, virtual clock, 5–40 ms links)`,
    value: `${(g.delivered * 100).toFixed(1)} % delivered, hops median ${g.medianHops} / max ${g.maxHops} (log2 n = ${g.log2n.toFixed(1)}), full delivery ${g.fullDeliveryMs} ms`,
    target: '100 %, ≤ 16 links, ≤ log2(n) hops',
    met: g.delivered === 1 && g.maxLinks <= 16 && g.maxHops <= g.log2n,
    note: `links per device ≤ ${g.maxLinks} (median ${g.medianLinks}); ${g.announcements} announcements; with 10 % loss and 10 % offline: ${(lossy.delivered * 100).toFixed(1)} % of online members, max ${lossy.maxHops} hops; simulated in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  })
  return figures
}
