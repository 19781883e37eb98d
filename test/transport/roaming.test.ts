/**
 * A connection follows its peer to a new address (a NAT that gave it a new port): node B
 * reaches node A through a UDP "NAT" on loopback that forwards B's packets to A from one
 * outside socket, then from another. A takes B's next data packet from the new address —
 * it opens with the connection's keys — moves the connection there at once (readdressed),
 * and traffic flows both ways again, long before the 32 s friend timeout. Garbage and
 * replayed packets from a new address move nothing.
 */
import { createSocket, type Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { connectedPairVia } from './roaming-nat.js'
import { numbered, until } from './net.js'

const sockets: Socket[] = []
afterEach(() => {
  for (const s of sockets.splice(0)) s.close()
})

describe('a connection whose peer changes address', () => {
  it('moves to the new address at the first packet that opens, and carries on both ways', async () => {
    const { a, b, ab, ba, nat } = await connectedPairVia(sockets)
    const before = { ...ab.connection.address }
    expect(before.port).toBe(nat.outsidePort())
    const moved = new Promise((resolve, reject) => {
      ab.connection.once('readdressed', resolve)
      setTimeout(() => reject(new Error('A did not follow B to its new address within 5 s')), 5000)
    })
    await nat.rebind()
    expect(nat.outsidePort()).not.toBe(before.port)
    const t = performance.now()
    const atA: number[] = []
    const atB: number[] = []
    ab.on('lossless', (d) => d[0] === 170 && atA.push(Buffer.from(d).readUInt32BE(1)))
    ba.on('lossless', (d) => d[0] === 170 && atB.push(Buffer.from(d).readUInt32BE(1)))
    for (let i = 0; i < 20; i++) ba.sendLossless(numbered(170, i, 200))
    await moved
    expect(ab.connection.address).toEqual({ host: '127.0.0.1', port: nat.outsidePort() })
    for (let i = 0; i < 20; i++) ab.sendLossless(numbered(170, i, 200))
    await until(() => atA.length === 20 && atB.length === 20, 'both directions after the move', 5000).catch((e) => { throw new Error(`${e.message}: A got ${atA.length}, B got ${atB.length}`) })
    expect(atA).toEqual([...Array(20).keys()])
    expect(atB).toEqual([...Array(20).keys()])
    expect(performance.now() - t).toBeLessThan(5000)
    expect(ab.online && ba.online).toBe(true)
    expect(a.friend(b.publicKey)).toBe(ab)
  })

  it('ignores garbage and replays from an unknown address', async () => {
    const { ab, ba, nat } = await connectedPairVia(sockets)
    const home = { ...ab.connection.address }
    // A data packet B really sent, captured on the way.
    const captured = nat.capture()
    ba.sendLossless(numbered(170, 1, 100))
    const original = await captured
    let moves = 0
    ab.connection.on('readdressed', () => moves++)
    const stranger = createSocket('udp4')
    sockets.push(stranger)
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', r))
    const garbage = Buffer.from(original)
    garbage[garbage.length - 1]! ^= 0xff
    await new Promise((r) => setTimeout(r, 100)) // A has the original by now: a copy is a replay
    for (const p of [garbage, original, original]) stranger.send(p, nat.aPort, '127.0.0.1')
    await new Promise((r) => setTimeout(r, 300))
    expect(moves).toBe(0)
    expect(ab.connection.address).toEqual(home)
  })
})
