/**
 * Two real accounts on a loopback Tox network, each served by the daemon, driven only through
 * the WebSocket API: subscribe, contact by Tox ID, the one-to-one conversation, a message and
 * its notification on the other side; a wrong token and a foreign Origin refused; a subscriber
 * that stops reading dropped while another hears everything.
 */
import { request } from 'node:http'
import { statSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { serveDaemon, type Daemon } from '../../src/daemon/server.js'
import { testNetwork } from '../account/net.js'
import { until } from '../until.js'
import { RpcClient } from './ws-client.js'

const net = await testNetwork()
const daemons: Daemon[] = []
const clients: RpcClient[] = []
afterAll(async () => {
  for (const c of clients) c.close()
  await Promise.all(daemons.map((d) => d.close()))
})

async function connect(d: Daemon, options: { token?: string; origin?: string } = { token: d.token }): Promise<RpcClient> {
  const c = await RpcClient.connect(d.url, options)
  clients.push(c)
  return c
}

describe('daemon API over WebSocket', () => {
  it('two nodes: subscribe, contact, one-to-one conversation, message, notification', async () => {
    const alice = await net.account('alice')
    const bob = await net.account('bob')
    const [da, db] = [await serveDaemon(alice), await serveDaemon(bob)]
    daemons.push(da, db)
    expect(statSync(`${alice.dir}/node.token`).mode & 0o777).toBe(0o600)
    expect(statSync(`${alice.dir}/node.sock`).mode & 0o777).toBe(0o600)
    const [a, b] = [await connect(da), await connect(db)]
    expect(await a.call('subscribe')).toContain('swarmMessageReceived')
    expect(await b.call('subscribe', ['trustRequestReceived', 'conversationReady', 'swarmMessageReceived'])).toEqual(['trustRequestReceived', 'conversationReady', 'swarmMessageReceived'])

    const bobDetails = await b.call<{ uri: string; toxId: string; started: boolean }>('getAccountDetails')
    expect(bobDetails).toMatchObject({ uri: bob.uri, toxId: bob.toxId(), started: true })
    await a.call('addContact', bobDetails.toxId)
    const [from] = await b.next('trustRequestReceived')
    expect(from).toBe(alice.uri)
    await b.call('acceptTrustRequest', from)
    const [convId] = await b.next('conversationReady')
    await a.next('conversationReady', ([id]) => id === convId)
    await until(async () => (await a.call<Array<{ uri: string; role: string }>>('getConversationMembers', convId)).some((m) => m.uri === bob.uri && m.role === 'member'), 'bob joined at alice')

    const messageId = await a.call<string>('sendMessage', convId, 'hello over JSON-RPC')
    const [cid, message] = await b.next('swarmMessageReceived', ([, m]) => (m as { id: string }).id === messageId)
    expect(cid).toBe(convId)
    expect(message).toMatchObject({ id: messageId, author: alice.uri, type: 'text/plain', body: { body: 'hello over JSON-RPC' } })
    // Not subscribed on bob's side: no reactions come to b.
    await a.call('addReaction', convId, messageId, '👍')
    await a.next('reactionAdded')
    const loaded = await b.call<Array<{ id: string }>>('loadConversation', convId, { n: 1 })
    expect(loaded[0]!.id).toMatch(/^[0-9a-f]{40}$/)
    expect(b.notifications.some((n) => n.method === 'reactionAdded')).toBe(false)
  })

  it('answers bad calls with typed JSON-RPC errors', async () => {
    const alice = await net.account('alice')
    const d = await serveDaemon(alice)
    daemons.push(d)
    const c = await connect(d)
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: { rpc: unknown }) => e.rpc)
    expect(await err(c.call('noSuchMethod'))).toMatchObject({ code: -32601, data: { code: 'ERR_METHOD_NOT_FOUND', name: 'MethodNotFoundError' } })
    expect(await err(c.call('sendMessage', 'not-an-id', 'x'))).toMatchObject({ code: -32602, data: { code: 'ERR_INVALID_ARGUMENT', details: { param: 'conversationId' } } })
    expect(await err(c.call('sendMessage', 'a'.repeat(40), 'x'))).toMatchObject({ code: -32001, data: { code: 'ERR_NOT_FOUND' } })
    expect(await err(c.call('subscribe', ['noSuchEvent']))).toMatchObject({ code: -32602 })
    // The chat methods: a profile past its bound is refused whole, with its stable code.
    const big = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(40_000)]).toString('base64')
    expect(await err(c.call('updateProfile', { avatar: big }))).toMatchObject({ data: { code: 'ERR_LIMIT_EXCEEDED', details: { limit: 'avatar size', max: 32 * 1024 } } })
    expect(await c.call('getProfile')).toBeNull()
    expect(await c.call('updateProfile', { displayName: 'Alice' })).toMatchObject({ displayName: 'Alice' })
    expect(await c.call('updateSettings', { sendComposing: false })).toEqual({ sendReadReceipt: true, sendComposing: false })
    expect(await err(c.call('updateSettings', { sendComposing: 'no' }))).toMatchObject({ code: -32602 })
    expect(await c.call('getKnownDevices')).toEqual({ [alice.deviceId]: 'alice' })
    // Raw frames: not JSON, not a request, a batch.
    const raw = (frame: string) =>
      new Promise<unknown>((resolve) => {
        c.ws.once('message', (data) => resolve(JSON.parse(data.toString())))
        c.ws.send(frame)
      })
    expect(await raw('{oops')).toMatchObject({ id: null, error: { code: -32700 } })
    expect(await raw('{"jsonrpc":"1.0","id":7,"method":"toxId"}')).toMatchObject({ id: 7, error: { code: -32600 } })
    expect(await raw('[{"jsonrpc":"2.0","id":1,"method":"toxId"},{"jsonrpc":"2.0","method":"toxId"},{"jsonrpc":"2.0","id":2,"method":"nope"}]')).toMatchObject([
      { id: 1, result: alice.toxId() },
      { id: 2, error: { code: -32601 } },
    ])
  })

  it('refuses a wrong token and a foreign Origin', async () => {
    const alice = await net.account('alice')
    const d = await serveDaemon(alice)
    daemons.push(d)
    await expect(RpcClient.connect(d.url)).rejects.toMatchObject({ status: 401 })
    await expect(RpcClient.connect(d.url, { token: 'f'.repeat(64) })).rejects.toMatchObject({ status: 401 })
    await expect(RpcClient.connect(d.url, { token: d.token, origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 })
    const same = await connect(d, { token: d.token, origin: `http://127.0.0.1:${d.port}` })
    expect(await same.call('toxId')).toBe(alice.toxId())
    // The file routes want the token too.
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: d.port, path: `/files/${'a'.repeat(40)}/x`, method: 'GET' }, (res) => resolve(res.statusCode!)).on('error', reject).end()
    })
    expect(status).toBe(401)
  })

  it('drops a subscriber that never reads, without slowing the other', async () => {
    const alice = await net.account('alice')
    const d = await serveDaemon(alice, { maxUnread: 64 * 1024 })
    daemons.push(d)
    const conv = alice.startConversation({ title: 'busy' })
    const [fast, stalled] = [await connect(d), await connect(d)]
    await fast.call('subscribe', ['swarmMessageReceived'])
    await stalled.call('subscribe', ['swarmMessageReceived'])
    expect(d.clients()).toBe(2)
    // The stalled client stops taking bytes off its socket: notifications pile up at the node.
    ;(stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    // About 10 MB in all: more than the kernel's socket buffers take (4 MiB send, 128 KiB receive here).
    const body = 'x'.repeat(32_000)
    const sent: string[] = []
    const started = performance.now()
    for (let i = 0; i < 300; i++) {
      sent.push(alice.sendMessage(conv, `${i} ${body}`))
      await new Promise((r) => setImmediate(r))
    }
    await until(() => fast.notifications.length >= sent.length, 'every notification at the reading client', 30_000)
    const took = performance.now() - started
    await until(() => d.clients() === 1, 'the stalled client dropped')
    console.log(`300 messages of 32 kB: every notification at the reading client in ${took.toFixed(0)} ms; the stalled one dropped`)
    expect(fast.notifications.map((n) => (n.params[1] as { id: string }).id)).toEqual(sent)
    expect(await fast.call('toxId')).toBe(alice.toxId())
  })
})
