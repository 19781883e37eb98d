/**
 * The DHT: distance and buckets (vectors worked by hand), the close list's no-eviction rule,
 * and the real DhtNode in the in-process testnet — joining, lookups under churn and loss.
 */
import { describe, expect, it } from 'vitest'
import { boxKeyPair } from '../../src/crypto/box.js'
import { BUCKET_SIZE, CloseList, commonPrefixBits, compareDistance, BAD_NODE_TIMEOUT_MS, SearchList } from '../../src/dht/routing-table.js'
import { Testnet, type SimNode } from '../../src/dht/testnet.js'

const key = (...bytes: number[]) => {
  const k = new Uint8Array(32)
  k.set(bytes)
  return k
}

describe('XOR distance and buckets', () => {
  it('compares distances as big-endian numbers', () => {
    const target = key(0x80)
    expect(compareDistance(target, key(0x81), key(0x00))).toBeLessThan(0) // 0x01.. vs 0x80..
    expect(compareDistance(target, key(0x00), key(0x81))).toBeGreaterThan(0)
    expect(compareDistance(target, key(0x80, 1), key(0x80, 2))).toBeLessThan(0)
    expect(compareDistance(target, key(7), key(7))).toBe(0)
  })

  it('counts shared leading bits', () => {
    expect(commonPrefixBits(key(0x80), key(0x00))).toBe(0)
    expect(commonPrefixBits(key(0x40), key(0x00))).toBe(1)
    expect(commonPrefixBits(key(0, 0x01), key(0, 0x00))).toBe(15)
    expect(commonPrefixBits(key(5), key(5))).toBe(256)
  })

  it('a full bucket keeps its live nodes and takes a new one only in place of a bad one', () => {
    const ours = key(0)
    const list = new CloseList(ours)
    const far = (i: number) => ({ host: '10.0.0.1', port: 1000 + i, publicKey: key(0x80, i + 1) })
    for (let i = 0; i < BUCKET_SIZE; i++) expect(list.add(far(i), 0)).toBe(true)
    expect(list.wouldAdd(far(99).publicKey, 1000)).toBe(false)
    expect(list.add(far(99), 1000)).toBe(false)
    // one node goes silent past the bad-node timeout; the others keep answering
    for (let i = 1; i < BUCKET_SIZE; i++) list.add(far(i), BAD_NODE_TIMEOUT_MS)
    expect(list.add(far(99), BAD_NODE_TIMEOUT_MS + 1)).toBe(true)
    expect(list.get(Buffer.from(far(0).publicKey).toString('hex'))).toBeUndefined()
    expect(list.size).toBe(BUCKET_SIZE)
    // a close node lands in another bucket
    expect(list.add({ host: '10.0.0.2', port: 1, publicKey: key(0, 0, 1) }, 0)).toBe(true)
  })

  it('a search list keeps the 8 closest to its target', () => {
    const list = new SearchList(key(0))
    for (let i = 1; i <= 20; i++) list.add({ host: '10.0.0.1', port: i, publicKey: key(i) }, 0)
    expect([...list.contacts.values()].map((c) => c.publicKey[0]).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })
})

/** n nodes joining one by one from random earlier ones, then time to settle. */
function grow(net: Testnet, n: number, spacingMs: number): void {
  net.addNode()
  for (let i = 1; i < n; i++) {
    net.schedule(i * spacingMs, () => {
      const node = net.addNode()
      const via = net.nodes[Math.floor(net.random() * (net.nodes.length - 1))]!
      node.dht.bootstrap({ ...via.address, publicKey: via.dht.publicKey })
    })
  }
  net.run(n * spacingMs + 60_000)
}

async function lookups(net: Testnet, count: number): Promise<Array<{ ok: boolean; hops: number }>> {
  const results: Array<{ ok: boolean; hops: number }> = []
  for (let i = 0; i < count; i++) {
    const from: SimNode = net.pickOnline()
    let to = net.pickOnline()
    while (to === from) to = net.pickOnline()
    void from.dht.lookup(to.dht.publicKey).then((r) => results.push({ ok: !!r.found && Buffer.from(r.found.publicKey).equals(to.dht.publicKey), hops: r.hops }))
  }
  net.run(60_000)
  await new Promise((r) => setImmediate(r))
  return results
}

describe('the DHT in a simulated network', () => {
  it('400 nodes join, 20 % leave and 20 % more join; lookups still find their targets', async () => {
    const net = new Testnet({ seed: 11 })
    grow(net, 400, 20)
    const avg = net.nodes.reduce((s, n) => s + n.dht.table.size, 0) / net.nodes.length
    expect(avg).toBeGreaterThan(20)
    for (let i = 0; i < 80; i++) net.pickOnline().online = false
    for (let i = 0; i < 80; i++) {
      net.schedule(i * 20, () => {
        const via = net.pickOnline()
        net.addNode().dht.bootstrap({ ...via.address, publicKey: via.dht.publicKey })
      })
    }
    net.run(80 * 20 + 30_000)
    const results = await lookups(net, 200)
    expect(results).toHaveLength(200)
    const ok = results.filter((r) => r.ok)
    expect(ok.length / results.length).toBeGreaterThanOrEqual(0.95)
    const hops = ok.map((r) => r.hops).sort((a, b) => a - b)
    expect(hops[hops.length >> 1]!).toBeLessThanOrEqual(Math.log2(net.nodes.length))
  })

  it('lookups work through 10 % packet loss', async () => {
    const net = new Testnet({ seed: 12, loss: 0.1 })
    grow(net, 200, 20)
    const results = await lookups(net, 100)
    expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(95)
  })

  it('a node that answers nobody is dropped after the kill timeout', () => {
    const net = new Testnet({ seed: 13 })
    grow(net, 30, 50)
    const victim = net.nodes[5]!
    const key = Buffer.from(victim.dht.publicKey).toString('hex')
    const knowers = () => net.nodes.filter((n) => n.online && n.dht.table.get(key)).length
    expect(knowers()).toBeGreaterThan(0)
    victim.online = false
    net.run(200_000)
    expect(knowers()).toBe(0)
  })

  it('NAT pings travel through the nodes near a friend, answered only for searched keys; punching finds it', async () => {
    const net = new Testnet({ seed: 14 })
    grow(net, 100, 20)
    const [a, b] = [net.nodes[10]!, net.nodes[90]!]
    a.dht.search(b.dht.publicKey)
    net.run(30_000)
    // b does not search a: no answer
    const unanswered = a.dht.nat.ping(b.dht.publicKey)
    net.run(10_000)
    expect(await unanswered).toBe(false)
    b.dht.search(a.dht.publicKey)
    net.run(30_000)
    const answered = a.dht.nat.ping(b.dht.publicKey)
    net.run(10_000)
    expect(await answered).toBe(true)
    // punching: pings to the ports around b's reach it on its own
    const c = net.nodes[50]!
    c.dht.search(b.dht.publicKey)
    const found: string[] = []
    c.dht.on('found', (pk, at) => found.push(`${Buffer.from(pk).toString('hex')}@${at.port}`))
    c.dht.nat.punch(b.dht.publicKey, b.address.host, b.address.port - 3, 4)
    net.run(2000)
    expect(found).toContain(`${Buffer.from(b.dht.publicKey).toString('hex')}@${b.address.port}`)
  })

  it('keys are 32 bytes of a real key pair (the testnet runs real crypto)', () => {
    const net = new Testnet()
    const a = net.addNode()
    expect(a.dht.publicKey).toHaveLength(32)
    expect(Buffer.from(a.dht.publicKey).equals(boxKeyPair(a.dht.keys.secretKey).publicKey)).toBe(true)
  })
})
