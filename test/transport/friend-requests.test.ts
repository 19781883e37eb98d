/**
 * Receiving friend requests as c-toxcore's friend_requests does: only with our nospam, not
 * from a friend, not again from a recent sender, never from a refused one; and the Tox ID
 * and friend-request API refuse bad input with typed errors.
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { boxKeyPair } from '../../src/crypto/box.js'
import { REQUEST_DHT_PK } from '../../src/dht/dht-request.js'
import { FRIEND_REQUEST_ID, FriendFinder } from '../../src/transport/friends.js'
import { InvalidArgumentError } from '../../src/errors.js'
import { parseToxId } from '../../src/identity/tox.js'
import { node } from './net.js'

const request = (nospam: Uint8Array, message: string) => Buffer.concat([Uint8Array.of(0x20), nospam, Buffer.from(message)])

describe('friend requests', () => {
  it('are taken only with our nospam, once per sender, never from friends or refused keys', async () => {
    const n = await node({ nospam: Uint8Array.of(1, 2, 3, 4) })
    expect(Buffer.from(parseToxId(n.toxId()).nospam)).toEqual(Buffer.from([1, 2, 3, 4]))
    const got: string[] = []
    n.on('friendRequest', (_pk, m) => got.push(m))
    const [a, b, c, d] = [boxKeyPair(), boxKeyPair(), boxKeyPair(), boxKeyPair()]
    n.onion.emit('data', a.publicKey, request(n.nospam, 'from a'))
    n.onion.emit('data', a.publicKey, request(n.nospam, 'from a again'))
    n.onion.emit('data', b.publicKey, request(Uint8Array.of(9, 9, 9, 9), 'wrong nospam'))
    n.addFriend(c.publicKey)
    n.onion.emit('data', c.publicKey, request(n.nospam, 'already a friend'))
    n.refuseFriendRequest(d.publicKey)
    n.onion.emit('data', d.publicKey, request(n.nospam, 'refused'))
    n.onion.emit('data', b.publicKey, request(n.nospam, 'x'.repeat(1017)))
    n.onion.emit('data', b.publicKey, request(n.nospam, ''))
    expect(got).toEqual(['from a'])
  })

  it('sending one checks the Tox ID and the message', async () => {
    const n = await node()
    const other = await node()
    expect(() => n.addFriendByToxId('00', 'hi')).toThrow(InvalidArgumentError)
    const id = other.toxId()
    const badChecksum = id.slice(0, 74) + (id.slice(74) === '00' ? '01' : '00')
    expect(() => n.addFriendByToxId(badChecksum, 'hi')).toThrow(/checksum/)
    expect(() => n.addFriendByToxId(id, '')).toThrow(InvalidArgumentError)
    expect(() => n.addFriendByToxId(id, 'x'.repeat(1017))).toThrow(InvalidArgumentError)
    expect(() => n.addFriendByToxId(n.toxId(), 'hi')).toThrow(/own/)
    expect(Buffer.from(n.addFriendByToxId(id, 'hi')).equals(other.publicKey)).toBe(true)
  })
})

describe('friend requests: what follows one', () => {
  // Our DHT-PK goes through the onion every 2 s five times, then every 30 s; the ones that
  // arrive before the friend accepted us are dropped. A request that got through only on a
  // later try (the friend's onion paths had broken) was followed by nothing for up to 30 s.
  it('each resent request is followed by DHT-PKs every 2 s again', () => {
    let now = 0
    const sent: Array<{ at: number; kind: number }> = []
    const keys = boxKeyPair()
    const dht = Object.assign(new EventEmitter(), {
      publicKey: boxKeyPair().publicKey,
      isConnected: () => true,
      foundAt: () => undefined,
      closest: () => [],
      search: () => {},
      onRequest: () => {},
      nat: { punchFriend: () => {} },
    })
    const onion = Object.assign(new EventEmitter(), {
      search: () => {},
      canReach: () => true,
      sendData: (_pk: Uint8Array, body: Uint8Array) => (sent.push({ at: now, kind: body[0]! }), true),
    })
    const finder = new FriendFinder({
      dht: dht as never,
      onion: onion as never,
      netCrypto: {} as never,
      realPk: keys.publicKey,
      nospam: Uint8Array.of(1, 2, 3, 4),
      selfNode: () => undefined,
      relayNodes: () => [],
      viaRelay: () => {},
      routeEverywhere: () => {},
      isFriend: () => true,
      isConnected: () => false,
      isDirect: () => false,
      now: () => now,
    })
    finder.request(boxKeyPair().publicKey, Uint8Array.of(9, 9, 9, 9), 'hello')
    for (now = 0; now <= 40_000; now += 250) finder.tick()
    const requests = sent.filter((s) => s.kind === FRIEND_REQUEST_ID).map((s) => s.at)
    expect(requests).toEqual([0, 5000, 15_000, 35_000])
    const dhtPks = sent.filter((s) => s.kind === REQUEST_DHT_PK).map((s) => s.at)
    // Every request is followed by one within 2 s (before: nothing from 8 s to 38 s).
    for (const at of requests) expect(dhtPks.some((t) => t >= at && t <= at + 2000)).toBe(true)
    expect(dhtPks).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 35, 37, 39].map((s) => s * 1000))
  })
})
