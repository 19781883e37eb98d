/**
 * A node keeps its TCP relays: it starts without waiting on one that is down, connects when it
 * comes up, and connects again after it goes away and comes back (a gitswarm relay server
 * with fixed keys on a fixed port, stopped and started on loopback); and it takes up the relays
 * a friend shares.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Account } from '../../src/account/account.js'
import { boxKeyPair } from '../../src/crypto/box.js'
import { TcpRelayServer } from '../../src/transport/tcp-relay-server.js'
import { node, until } from './net.js'

async function relayOn(port: number, keys: ReturnType<typeof boxKeyPair>): Promise<TcpRelayServer> {
  return TcpRelayServer.listen({ keys, port, sendOnion: () => {} })
}

describe('TCP relays kept by a node', () => {
  it('start does not wait on a relay that is down; the node connects once it is up, and again after it went away and came back', async () => {
    const keys = boxKeyPair()
    // A free port, then nothing listening on it.
    const probe = await relayOn(0, keys)
    const port = probe.address.port
    await probe.close()
    const t = performance.now()
    const n = await node({ tcpRelays: [{ host: '127.0.0.1', port, publicKey: keys.publicKey }] })
    expect(performance.now() - t).toBeLessThan(1000)
    const connected = () => n.status().tcpRelays.map((r) => r.connected)
    expect(connected()).toEqual([false])

    let relay = await relayOn(port, keys)
    await until(() => connected()[0] === true, 'connected once the relay is up', 10_000)
    await relay.close()
    await until(() => connected()[0] === false, 'the drop noticed', 5000)
    relay = await relayOn(port, keys)
    try {
      await until(() => connected()[0] === true, 'connected again', 10_000)
      expect(relay.stats.clients).toBe(1)
    } finally {
      await relay.close()
    }
  }, 30_000)

  it("a friend's relays come with its share-relays packet (c-toxcore's 0x11) once it is online, and are kept", async () => {
    const keys = boxKeyPair()
    const relay = await relayOn(0, keys)
    try {
      const a = await node({ tcpRelays: [{ host: '127.0.0.1', port: relay.address.port, publicKey: keys.publicKey }] })
      await until(() => a.status().tcpRelays[0]?.connected === true, 'a on its relay', 5000)
      const b = await node()
      expect(b.status().tcpRelays).toEqual([])
      b.addFriend(a.publicKey)
      const online = b.waitOnline(a.publicKey, 5000)
      await a.connect(b.publicKey, b.dhtPublicKey, b.address, 5000)
      await online
      await until(() => b.status().tcpRelays.some((r) => r.port === relay.address.port && r.connected), "b on a's relay", 5000)
      expect(relay.stats.clients).toBe(2)
    } finally {
      await relay.close()
    }
  }, 20_000)

  it('a bootstrap node given with tcpPorts (Account.start) is kept as a relay too', async () => {
    const relayNode = await node({ relayPort: 0 })
    const dir = mkdtempSync(join(tmpdir(), 'gitswarm-relay-'))
    const account = await Account.create(join(dir, 'a'), { displayName: 'a' })
    try {
      await account.start({ bootstrap: [{ host: '127.0.0.1', port: relayNode.address.port, publicKey: relayNode.dhtPublicKey, tcpPorts: [relayNode.relayServer!.address.port] }] })
      await until(() => account.getNetworkStatus()?.tcpRelays.some((r) => r.port === relayNode.relayServer!.address.port && r.connected) === true, 'the account on the relay', 5000)
      await until(() => account.getNetworkStatus()?.dht.connected === true, 'and on the DHT', 5000)
    } finally {
      await account.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 20_000)
})
