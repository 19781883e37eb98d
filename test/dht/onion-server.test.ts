/**
 * The onion node as D, answering announce requests (0x83) as c-toxcore's onion_announce does:
 * a first request gets a ping id (0); the request with it is stored (2); and once stored, a
 * request without a valid ping id — a client that changed paths, whose ping id was bound to
 * the old one — still hears "stored" (2) while its data key is the same, 0 with another one.
 * (A c-toxcore client through a TCP relay never counted itself online while we answered 0.)
 */
import { describe, expect, it } from 'vitest'
import { boxKeyPair, sharedKey } from '../../src/crypto/box.js'
import type { Address, DatagramLink, PacketHandler } from '../../src/dht/datagram.js'
import { DhtNode } from '../../src/dht/dht-node.js'
import { decodeAnnounceResponse, encodeAnnounceRequest, ONION, RETURN_3 } from '../../src/dht/onion-packets.js'
import { OnionServer } from '../../src/dht/onion-server.js'

/** A link that records what is sent and lets the test deliver packets. */
class RecordingLink implements DatagramLink {
  readonly sent: Array<{ packet: Uint8Array; to: Address }> = []
  private readonly handlers = new Map<number, PacketHandler>()
  send(packet: Uint8Array, to: Address): void {
    this.sent.push({ packet, to })
  }
  on(kind: number, handler: PacketHandler): void {
    this.handlers.set(kind, handler)
  }
  deliver(packet: Buffer, from: Address): void {
    this.handlers.get(packet[0]!)!(packet, from)
  }
}

describe('onion node: announce answers', () => {
  it('ping id, stored, and stored again without a valid ping id while the data key is the same', () => {
    const link = new RecordingLink()
    const dht = new DhtNode(link)
    new OnionServer(dht, link)
    const client = boxKeyPair()
    const shared = sharedKey(dht.publicKey, client.secretKey)
    const dataKey = boxKeyPair().publicKey
    const hop3 = (n: number): Address => ({ host: '198.18.0.3', port: 40000 + n })
    const ask = (pingId: Uint8Array, data: Uint8Array, from: Address) => {
      const request = encodeAnnounceRequest(shared, { senderPk: client.publicKey, pingId, searchedPk: client.publicKey, dataPk: data, sendback: new Uint8Array(8) })
      link.deliver(Buffer.concat([request, new Uint8Array(RETURN_3)]), from)
      const out = link.sent.pop()!
      expect(out.packet[0]).toBe(ONION.recv3)
      expect(out.to).toEqual(from)
      return decodeAnnounceResponse(out.packet.subarray(1 + RETURN_3), shared)!
    }
    const first = ask(new Uint8Array(32), dataKey, hop3(1))
    expect(first.isStored).toBe(0)
    expect(ask(first.value, dataKey, hop3(1)).isStored).toBe(2)
    // Another path: the ping id no longer matches, and none is given.
    expect(ask(new Uint8Array(32), dataKey, hop3(2)).isStored).toBe(2)
    expect(ask(first.value, dataKey, hop3(2)).isStored).toBe(2)
    // Another data key: not this announcement.
    expect(ask(new Uint8Array(32), boxKeyPair().publicKey, hop3(2)).isStored).toBe(0)
  })
})
