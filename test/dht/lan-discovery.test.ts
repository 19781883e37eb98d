/**
 * LAN discovery (reference tox-protocol.md §3.8): the 33-byte packet, c-toxcore's idea of a
 * LAN address, where rounds go and on which ports, and how a received packet is answered.
 * Broadcasts never leave the process here: the link is a recorder. The real thing runs in
 * the network lab (test/net).
 */
import { describe, expect, it } from 'vitest'
import type { Address, PacketHandler } from '../../src/dht/datagram.js'
import { discoveryTargets, isLanAddress, LanDiscovery, lanDiscoveryPacket, parseLanDiscovery, scopedLike, type InterfaceTable } from '../../src/dht/lan-discovery.js'
import { packNode, unpackNodes } from '../../src/dht/packed-node.js'
import { pathHops } from '../../src/dht/onion-paths.js'
import { DhtNode } from '../../src/dht/dht-node.js'
import { decodeDhtFrame, encodeDhtPacket, nodesRequestPlain, openDhtFrame, PACKET, parseNodesResponse } from '../../src/dht/packets.js'
import { boxKeyPair, SharedKeyCache } from '../../src/crypto/box.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1)

function iface(address: string, netmask: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false) {
  return { address, netmask, family, internal, mac: '00:00:00:00:00:00', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) } as never
}

const TABLE: InterfaceTable = {
  lo: [iface('127.0.0.1', '255.0.0.0', 'IPv4', true), iface('::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'IPv6', true)],
  eth0: [iface('10.1.0.2', '255.255.255.0'), iface('fe80::1', 'ffff:ffff:ffff:ffff::', 'IPv6')],
  wg0: [iface('10.9.9.9', '255.255.255.255')],
  eth1: [iface('192.168.7.130', '255.255.255.128')],
}

describe('LAN discovery packet', () => {
  it('is [0x21][sender DHT key], exactly 33 bytes', () => {
    const p = lanDiscoveryPacket(KEY)
    expect(p.length).toBe(33)
    expect(p[0]).toBe(0x21)
    expect(Buffer.from(p.subarray(1))).toEqual(Buffer.from(KEY))
    expect(Buffer.from(parseLanDiscovery(p)!)).toEqual(Buffer.from(KEY))
    expect(parseLanDiscovery(p.subarray(0, 32))).toBeUndefined()
    expect(parseLanDiscovery(Buffer.concat([p, Uint8Array.of(0)]))).toBeUndefined()
    expect(parseLanDiscovery(Uint8Array.of(0x20, ...KEY))).toBeUndefined()
  })

  it('counts as LAN what c-toxcore ip_is_lan counts', () => {
    for (const lan of ['127.0.0.1', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.1', '192.168.1.1', '169.254.3.4', '100.64.0.1', '100.127.255.255', '::1', 'fe80::1', 'fe80::1%eth0', 'fd12:3456::1', '::ffff:10.1.0.2']) expect(isLanAddress(lan), lan).toBe(true)
    for (const wan of ['198.18.0.1', '8.8.8.8', '172.15.0.1', '172.32.0.1', '192.169.0.1', '100.63.0.1', '100.128.0.1', '2001:db8::1', 'ff02::1', '256.1.1.1', 'tcp:abcd']) expect(isLanAddress(wan), wan).toBe(false)
  })

  it('goes to each IPv4 interface broadcast address and 255.255.255.255; IPv6 sockets add ff02::1 per interface', () => {
    expect(discoveryTargets('IPv4', TABLE).sort()).toEqual(['10.1.0.255', '192.168.7.255', '255.255.255.255'])
    expect(discoveryTargets('IPv6', TABLE).sort()).toEqual(['::ffff:10.1.0.255', '::ffff:192.168.7.255', '::ffff:255.255.255.255', 'ff02::1%eth0'])
    // No interface but loopback: only the limited broadcast (which the kernel will not route off the host).
    expect(discoveryTargets('IPv4', { lo: TABLE['lo'] })).toEqual(['255.255.255.255'])
  })
})

function recorder() {
  const sent: Array<{ packet: Uint8Array; to: Address }> = []
  const handlers = new Map<number, PacketHandler>()
  return { sent, handlers, link: { send: (packet: Uint8Array, to: Address) => sent.push({ packet, to }), on: (kind: number, h: PacketHandler) => handlers.set(kind, h) } }
}

describe('LAN discovery rounds', () => {
  it('sends the whole port range at start and on an interface change, then c-toxcore windows of ten plus 33445', () => {
    let now = 0
    let connected = false
    let table: InterfaceTable = { eth0: TABLE['eth0'] }
    const r = recorder()
    const lan = new LanDiscovery({ link: r.link, publicKey: KEY, family: 'IPv4', connected: () => connected, bootstrap: () => {}, now: () => now, interfaces: () => table })
    lan.tick()
    // 101 ports (33445-33545) to 10.1.0.255 and 255.255.255.255.
    expect(r.sent.length).toBe(202)
    expect(new Set(r.sent.map((s) => s.to.port)).size).toBe(101)
    expect(r.sent.every((s) => Buffer.from(s.packet).equals(Buffer.from(lanDiscoveryPacket(KEY))))).toBe(true)
    r.sent.length = 0
    now = 1999
    lan.tick()
    expect(r.sent.length).toBe(0)
    now = 2000
    lan.tick()
    expect([...new Set(r.sent.map((s) => s.to.port))]).toEqual([33445, 33446, 33447, 33448, 33449, 33450, 33451, 33452, 33453, 33454, 33455])
    r.sent.length = 0
    now = 4000
    lan.tick()
    expect([...new Set(r.sent.map((s) => s.to.port))]).toEqual([33445, 33456, 33457, 33458, 33459, 33460, 33461, 33462, 33463, 33464, 33465])
    // Connected and past the quick period: every 10 s.
    connected = true
    r.sent.length = 0
    now = 40_000
    lan.tick()
    expect(r.sent.length).toBe(22)
    r.sent.length = 0
    now = 45_000
    lan.tick()
    expect(r.sent.length).toBe(0)
    // A new interface: the whole range at once, to the new broadcast address too.
    table = { eth0: TABLE['eth0'], eth1: TABLE['eth1'] }
    now = 46_000
    lan.tick()
    expect(r.sent.length).toBe(303)
    expect(new Set(r.sent.map((s) => s.to.host))).toEqual(new Set(['10.1.0.255', '192.168.7.255', '255.255.255.255']))
  })

  it('answers a packet from a LAN address with a nodes request to the sender; not from afar, not our own', () => {
    const asked: Array<Address & { publicKey: Uint8Array }> = []
    const r = recorder()
    const lan = new LanDiscovery({ link: r.link, publicKey: KEY, family: 'IPv4', connected: () => true, bootstrap: (n) => asked.push(n), interfaces: () => ({}) })
    const other = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
    const deliver = r.handlers.get(0x21)!
    deliver(Buffer.from(lanDiscoveryPacket(other)), { host: '10.1.0.3', port: 33445 })
    deliver(Buffer.from(lanDiscoveryPacket(other)), { host: '198.18.0.7', port: 33445 })
    deliver(Buffer.from(lanDiscoveryPacket(KEY)), { host: '10.1.0.2', port: 33445 })
    deliver(Buffer.from(lanDiscoveryPacket(other).subarray(0, 30)), { host: '10.1.0.3', port: 33445 })
    expect(asked).toEqual([{ host: '10.1.0.3', port: 33445, publicKey: other }])
    expect(lan.answered).toBe(1)
  })
})

describe('onion paths across a LAN and the Internet', () => {
  const node = (host: string, i: number) => ({ host, port: 33445, publicKey: Uint8Array.of(i, ...new Uint8Array(31)) })
  const lanNodes = [node('10.1.0.3', 1), node('10.1.0.4', 2)]
  const wanNodes = [node('198.18.0.10', 3), node('198.18.0.20', 4)]
  const mixed = [...lanNodes, ...wanNodes]

  it('leads to a LAN destination through LAN nodes only', () => {
    for (let i = 0; i < 200; i++) expect(pathHops(mixed, true)!.every((n) => isLanAddress(n.host))).toBe(true)
  })

  it('leads elsewhere with its second and third hops outside the LAN; the first may be either', () => {
    const firsts = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const [a, b, c] = pathHops(mixed, false)!
      expect(isLanAddress(b.host) || isLanAddress(c.host)).toBe(false)
      firsts.add(a.host)
    }
    expect(firsts).toEqual(new Set(mixed.map((n) => n.host)))
  })

  it('uses what there is when no node is of the right kind, and nothing without nodes', () => {
    expect(pathHops(lanNodes, false)!.every((n) => isLanAddress(n.host))).toBe(true)
    expect(pathHops(wanNodes, true)!.every((n) => !isLanAddress(n.host))).toBe(true)
    expect(pathHops([], true)).toBeUndefined()
  })
})

describe('LAN addresses in nodes responses', () => {
  it('go to peers on the LAN, never to peers outside it (as c-toxcore)', () => {
    const r = recorder()
    const dht = new DhtNode(r.link)
    const lanNode = { host: '10.1.0.7', port: 33445, publicKey: boxKeyPair().publicKey }
    const wanNode = { host: '198.18.0.9', port: 33445, publicKey: boxKeyPair().publicKey }
    dht.table.add(lanNode, performance.now())
    dht.table.add(wanNode, performance.now())
    const asker = boxKeyPair()
    const shared = new SharedKeyCache(asker.secretKey).get(dht.publicKey)!
    const ask = (from: Address) => {
      r.sent.length = 0
      r.handlers.get(PACKET.nodesRequest)!(encodeDhtPacket(PACKET.nodesRequest, asker.publicKey, shared, nodesRequestPlain(asker.publicKey, new Uint8Array(8))), from)
      const reply = r.sent.find((s) => s.packet[0] === PACKET.nodesResponse)!
      return parseNodesResponse(openDhtFrame(decodeDhtFrame(reply.packet)!, shared)!)!.nodes.map((n) => n.host).sort()
    }
    expect(ask({ host: '10.1.0.3', port: 33445 })).toEqual(['10.1.0.7', '198.18.0.9'])
    expect(ask({ host: '198.18.0.44', port: 33445 })).toEqual(['198.18.0.9'])
  })
})

describe('link-local and mapped addresses in packed nodes', () => {
  it('a named fe80:: node takes the scope of the packet it came in; others are left alone', () => {
    const from = { host: 'fe80::1%eth0', port: 33445 }
    expect(scopedLike({ host: 'fe80:0:0:0:3c12:41ff:fe76:b7d', port: 1 }, from).host).toBe('fe80:0:0:0:3c12:41ff:fe76:b7d%eth0')
    expect(scopedLike({ host: 'fe80::2%eth1', port: 1 }, from).host).toBe('fe80::2%eth1')
    expect(scopedLike({ host: 'fd00::2', port: 1 }, from).host).toBe('fd00::2')
    expect(scopedLike({ host: 'fe80::2', port: 1 }, { host: '10.1.0.2', port: 1 }).host).toBe('fe80::2')
  })

  it('packs a scoped link-local address without its scope, and an IPv4-mapped one as IPv4 (as c-toxcore)', () => {
    const key = new Uint8Array(32).fill(3)
    const [scoped] = unpackNodes(packNode({ host: 'fe80::3c12:41ff:fe76:b7d%eth0', port: 7, publicKey: key }), 1)!.nodes
    expect(scoped!.host).toBe('fe80:0:0:0:3c12:41ff:fe76:b7d')
    const mapped = packNode({ host: '::ffff:10.1.0.3', port: 7, publicKey: key })
    expect(mapped[0]).toBe(2)
    expect(unpackNodes(mapped, 1)!.nodes[0]!.host).toBe('10.1.0.3')
  })
})
