/**
 * How `gitswarm node` joins a network, decided from its flags without starting anything: by
 * default nothing leaves the machine (127.0.0.1, no bootstrap node, no relay, no LAN
 * discovery); `--public` is the only way to the public Tox network, whose shipped list is
 * well formed and public. Nothing here sends a packet.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { publicToxNodes } from '../../src/account/public-nodes.js'
import { networkOptions } from '../../src/cli/commands/node.js'
import { parseArgs } from '../../src/cli/args.js'
import { isLanAddress } from '../../src/dht/lan-discovery.js'
import { GitswarmError } from '../../src/errors.js'
import { ToxNode } from '../../src/transport/tox-node.js'

const FLAGS = { values: ['account', 'bootstrap', 'bootstrap-file', 'tcp-relay', 'relay', 'port', 'host', 'passphrase-file'], flags: ['accept-all', 'lan', 'public'] }
const options = (...argv: string[]) => networkOptions(parseArgs(argv, FLAGS))
const dir = mkdtempSync(join(tmpdir(), 'gitswarm-nodes-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('gitswarm node: where it joins', () => {
  it('by default: 127.0.0.1 (the library default), no bootstrap node, no relay, no LAN discovery', () => {
    expect(options()).toEqual({ bootstrap: [], tcpRelays: [], port: undefined, host: undefined, lanDiscovery: false, relayPort: undefined })
  })

  it('a ToxNode started with no options binds 127.0.0.1 and keeps no relay: the library default is loopback too', async () => {
    const node = await ToxNode.start()
    try {
      const status = node.status()
      expect(status.address.host).toBe('127.0.0.1')
      expect(status.tcpRelays).toEqual([])
      expect(status.dht.nodes).toBe(0)
    } finally {
      await node.close()
    }
  })

  it('--lan: every interface and LAN discovery, still no node outside', () => {
    const o = options('--lan')
    expect([o.host, o.lanDiscovery, o.bootstrap, o.tcpRelays]).toEqual(['0.0.0.0', true, [], []])
  })

  it('--public: --lan plus the shipped public nodes and relays', () => {
    const list = publicToxNodes()
    const o = options('--public')
    expect(o.lanDiscovery).toBe(true)
    expect(o.bootstrap).toEqual(list.bootstrap)
    expect(o.tcpRelays).toEqual(list.tcpRelays)
  })

  it('the shipped list: sourced and dated, at least 8 nodes, each public IPv4 with a 32-byte key; relays among them', () => {
    const list = publicToxNodes()
    expect(list.source).toMatch(/nodes\.tox\.chat/)
    expect(list.scanned).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(list.bootstrap.length).toBeGreaterThanOrEqual(8)
    for (const n of list.bootstrap) {
      expect(n.host).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
      expect(isLanAddress(n.host)).toBe(false)
      expect(n.publicKey).toMatch(/^[0-9a-f]{64}$/)
    }
    expect(list.tcpRelays.length).toBeGreaterThanOrEqual(8)
  })

  it('--bootstrap-file replaces the list; a bad file or a stray --bootstrap-file is a typed error', () => {
    const file = join(dir, 'nodes.json')
    writeFileSync(file, JSON.stringify({ source: 'our community', nodes: [{ host: '198.18.5.1', port: 33445, tcpPorts: [3389], publicKey: 'ab'.repeat(32) }] }))
    const o = options('--public', '--bootstrap-file', file)
    expect(o.bootstrap).toEqual([{ host: '198.18.5.1', port: 33445, publicKey: 'ab'.repeat(32) }])
    expect(o.tcpRelays).toEqual([{ host: '198.18.5.1', port: 3389, publicKey: Buffer.from('ab'.repeat(32), 'hex') }])
    writeFileSync(file, JSON.stringify({ nodes: [{ host: '198.18.5.1', port: 'x', publicKey: 'ab' }] }))
    expect(() => options('--public', '--bootstrap-file', file)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    writeFileSync(file, '{ not json')
    expect(() => options('--public', '--bootstrap-file', file)).toThrow(GitswarmError)
    expect(() => options('--bootstrap-file', file)).toThrow(/goes with --public/)
    expect(() => options('--relay', 'x')).toThrow(/port number/)
  })
})
