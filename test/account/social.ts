/**
 * Making accounts contacts and group members, as a user would (request, accept, clone, join):
 * no vitest here, so the bench runs the same steps as the tests.
 * @module
 */
import type { Account } from '../../src/account/account.js'
import { nextEvent as next } from '../../src/account/events.js'
import { until } from '../until.js'

/** Makes `a` and `b` confirmed contacts with their one-to-one conversation ready on both; returns its id. */
export async function befriend(a: Account, b: Account): Promise<string> {
  const request = next(b, 'trustRequestReceived', (from) => from === a.uri)
  const readyA = next(a, 'conversationReady')
  readyA.catch(() => {})
  a.addContact(b.toxId())
  await request
  const readyB = next(b, 'conversationReady')
  readyB.catch(() => {})
  b.acceptTrustRequest(a.uri)
  const [[id]] = await Promise.all([readyA, readyB])
  await until(() => b.conversation(id).roleOf(b.uri) === 'member' && a.conversation(id).roleOf(b.uri) === 'member', 'the join on both sides')
  return id
}

/**
 * Invites `invitee` to `id` (created by `host`) and accepts: resolves when the conversation
 * is ready on the invitee and its join reached the host.
 */
export async function invite(host: Account, id: string, invitee: Account): Promise<void> {
  const request = next(invitee, 'conversationRequestReceived', (cid) => cid === id)
  request.catch(() => {})
  host.addConversationMember(id, invitee.uri)
  await request
  const ready = next(invitee, 'conversationReady', (cid) => cid === id)
  invitee.acceptConversationRequest(id)
  await ready
  await until(() => host.conversation(id).roleOf(invitee.uri) === 'member', `${invitee.displayName}'s join at ${host.displayName}`)
}
