/**
 * Receiving friend requests as c-toxcore's friend_requests does: only with our nospam, not
 * from a friend, not again from a recent sender, never from a refused one; and the Tox ID
 * and friend-request API refuse bad input with typed errors.
 */
import { describe, expect, it } from 'vitest'
import { boxKeyPair } from '../../src/crypto/box.js'
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
