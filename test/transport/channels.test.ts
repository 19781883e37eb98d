import { createHash, randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ChannelRefusedError, ChannelResetError } from '../../src/errors.js'
import { ChannelMux, opensEvenIds, parseChannelName, type Channel, type ChannelMuxOptions } from '../../src/transport/channels.js'
import { join } from 'node:path'
import { Conversation } from '../../src/swarm/conversation.js'
import { verifyRepository } from '../../src/swarm/verify.js'
import { account, tempDir } from '../helpers.js'
import { connectedPair, until } from './net.js'

const DEV_A = 'a'.repeat(64)
const CONV = 'c'.repeat(40)

async function muxPair(b: Omit<ChannelMuxOptions, 'evenIds'> = {}, a: Omit<ChannelMuxOptions, 'evenIds'> = {}) {
  const pair = await connectedPair()
  const ma = new ChannelMux(pair.ab, { ...a, evenIds: opensEvenIds(pair.a.publicKey, pair.b.publicKey) })
  const mb = new ChannelMux(pair.ba, { ...b, evenIds: opensEvenIds(pair.b.publicKey, pair.a.publicKey) })
  return { ...pair, ma, mb }
}

function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

describe('Jami channel names', () => {
  it('parses the four kinds and nothing else', () => {
    expect(parseChannelName(`git://${DEV_A}/${CONV}`)).toEqual({ kind: 'git', device: DEV_A, conversation: CONV })
    expect(parseChannelName(`sync://${DEV_A}`)).toEqual({ kind: 'sync', device: DEV_A })
    expect(parseChannelName(`msg:${DEV_A}`)).toEqual({ kind: 'msg', device: DEV_A })
    expect(parseChannelName(`data-transfer://${CONV}/${DEV_A}/0123abcd_42.png`)).toEqual({ kind: 'data-transfer', conversation: CONV, device: DEV_A, file: '0123abcd_42.png' })
    for (const bad of ['', 'git://', `git://${DEV_A}/${CONV}/x`, `sync://${DEV_A.toUpperCase()}`, `data-transfer://${CONV}/${DEV_A}/../etc`, `vcard://${DEV_A}`]) expect(parseChannelName(bad)).toBeUndefined()
  })
})

describe('channel multiplexer over a real Tox connection', () => {
  it('opens a channel both ways and carries a 4 MiB stream intact, with its end', async () => {
    const { ma, mb } = await muxPair({ authorize: () => true }, { authorize: () => true })
    const payload = randomBytes(4 * 1024 * 1024)
    const incoming = new Promise<Channel>((r) => mb.once('channel', r))
    const ch = await ma.open(`git://${DEV_A}/${CONV}`)
    const there = await incoming
    expect(there.name).toBe(`git://${DEV_A}/${CONV}`)
    const received = collect(there)
    ch.end(payload)
    const got = await received
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'))
    // and back the other way on the same channel
    const back = collect(ch)
    there.end(Buffer.from('thanks'))
    expect((await back).toString()).toBe('thanks')
    await until(() => ma.size === 0 && mb.size === 0, 'both sides to forget the closed channel', 2000)
  })

  it('refuses with a clear reason: unknown service, unauthorised, bad name, too many', async () => {
    const { ma } = await muxPair({
      maxChannels: 2,
      authorize: (_name, parsed) => (parsed.kind === 'git' ? true : parsed.kind === 'sync' ? { refuse: 'unauthorised', message: 'not a device of this account' } : { refuse: 'unknown' }),
    })
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as ChannelRefusedError)
    const unauthorised = await err(ma.open(`sync://${DEV_A}`))
    expect(unauthorised).toBeInstanceOf(ChannelRefusedError)
    expect(unauthorised!.data).toMatchObject({ reason: 'unauthorised', detail: 'not a device of this account' })
    expect((await err(ma.open(`msg:${DEV_A}`)))!.data.reason).toBe('unknown')
    expect((await err(ma.open('http://example.com/')))!.data.reason).toBe('bad-name')
    await ma.open(`git://${DEV_A}/${CONV}`)
    await ma.open(`git://${DEV_A}/${'d'.repeat(40)}`)
    expect((await err(ma.open(`git://${DEV_A}/${'e'.repeat(40)}`)))!.data.reason).toBe('busy')
  })

  it('a deferred decision keeps the opener waiting, then accepts or refuses; deferred channels count toward the limit', async () => {
    const pending: Array<(d: true | { refuse: 'unauthorised'; message: string }) => void> = []
    const accepted: string[] = []
    const { ma, mb } = await muxPair({ maxChannels: 2, authorize: () => new Promise((resolve) => pending.push(resolve)) })
    mb.on('channel', (c) => accepted.push(c.name))
    let settled = 0
    const first = ma.open(`git://${DEV_A}/${CONV}`).finally(() => settled++)
    const second = ma.open(`sync://${DEV_A}`).finally(() => settled++)
    await until(() => pending.length === 2, 'both decisions asked')
    // Two undecided channels fill the limit of two: a third is refused at once, not deferred.
    await expect(ma.open(`msg:${DEV_A}`)).rejects.toMatchObject({ data: { reason: 'busy' } })
    await new Promise((r) => setTimeout(r, 100))
    expect(settled).toBe(0)
    pending[0]!(true)
    pending[1]!({ refuse: 'unauthorised', message: 'decided later' })
    const channel = await first
    await expect(second).rejects.toMatchObject({ data: { reason: 'unauthorised', detail: 'decided later' } })
    channel.end('after the wait')
    await until(() => accepted.length === 1, 'the accepted channel appeared on the other side')
    expect(accepted).toEqual([`git://${DEV_A}/${CONV}`])
  })

  it('an open nobody answers fails after its timeout, and a late acceptance on the other side is dropped', async () => {
    let decide: ((d: true) => void) | undefined
    const accepted: string[] = []
    const { ma, mb } = await muxPair({ authorize: () => new Promise((resolve) => (decide = resolve)) })
    mb.on('channel', (c) => accepted.push(c.name))
    const t = performance.now()
    await expect(ma.open(`git://${DEV_A}/${CONV}`, { timeoutMs: 200 })).rejects.toMatchObject({ data: { reason: 'closed', detail: 'no answer within 200 ms' } })
    expect(performance.now() - t).toBeGreaterThanOrEqual(190)
    await until(() => decide !== undefined, 'the decision asked')
    await new Promise((r) => setTimeout(r, 50)) // our reset reaches the other side
    decide!(true)
    await new Promise((r) => setTimeout(r, 100))
    expect(accepted).toEqual([])
    // The connection carries on: the next open works.
    decide = undefined
    const pending = ma.open(`sync://${DEV_A}`, { timeoutMs: 2000 })
    await until(() => decide !== undefined, 'asked again')
    decide!(true)
    await pending
    await until(() => accepted.length === 1, 'the second channel accepted')
    expect(accepted).toEqual([`sync://${DEV_A}`])
  })

  it('a slow reader stalls only its own channel, and memory stays within the window', async () => {
    const window = 64 * 1024
    const { ma, mb } = await muxPair({ authorize: () => true, window }, { window })
    const accepted: Channel[] = []
    mb.on('channel', (c) => accepted.push(c))
    const slow = await ma.open(`git://${DEV_A}/${CONV}`)
    const fast = await ma.open(`sync://${DEV_A}`)
    await until(() => accepted.length === 2, 'both channels accepted')
    const [slowThere, fastThere] = accepted as [Channel, Channel]
    // Nobody reads slowThere: the writer may only get a window ahead.
    let written = 0
    const chunk = Buffer.alloc(16 * 1024, 1)
    const writeSlow = (async () => {
      for (let i = 0; i < 64; i++) {
        if (!slow.write(chunk)) await new Promise((r) => slow.once('drain', r))
        written += chunk.length
      }
    })()
    // Wait until the writer is blocked: the reader's side holds the whole window, the writer
    // has no credit left, and nothing more gets written for a while.
    await until(() => slowThere.readableLength >= window && slow.credit === 0, 'the window filled')
    for (let before = -1; before !== written; ) {
      before = written
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(slowThere.readableLength).toBe(window) // exactly the window reached the reader, no more
    // What the writer got rid of: the window, plus at most its own stream buffer.
    expect(written).toBeGreaterThanOrEqual(window)
    expect(written).toBeLessThanOrEqual(window + slow.writableHighWaterMark + chunk.length)
    expect(written).toBeLessThan(64 * chunk.length)
    // Meanwhile the other channel flows freely.
    const fastGot = collect(fastThere)
    fast.end(Buffer.alloc(2 * 1024 * 1024, 2))
    expect((await fastGot).length).toBe(2 * 1024 * 1024)
    // Reading the slow channel lets its writer finish.
    const slowGot = collect(slowThere)
    await writeSlow
    slow.end()
    expect((await slowGot).length).toBe(64 * chunk.length)
  })

  it('both sides open channels at the same moment without clashing', async () => {
    const { ma, mb } = await muxPair({ authorize: () => true }, { authorize: () => true })
    const names = Array.from({ length: 20 }, (_, i) => `git://${DEV_A}/${i.toString(16).padStart(40, '0')}`)
    const opened = await Promise.all([...names.map((n) => ma.open(n)), ...names.map((n) => mb.open(n))])
    expect(new Set(opened.slice(0, 20).map((c) => c.id)).size).toBe(20)
    expect(opened.slice(0, 20).every((c) => opened.slice(20).every((d) => d.id !== c.id))).toBe(true)
  })

  it('git upload-pack runs over channels unchanged: a clone, then a fetch of new messages', async () => {
    const [alice, bob] = await Promise.all([account('alice'), account('bob')])
    const dir = tempDir()
    const a = Conversation.create(alice, { path: join(dir, 'a') })
    a.addMember(bob.uri)
    a.sendMessage('over a Tox channel')
    const { ma, mb } = await muxPair({ authorize: (_n, p) => (p.kind === 'git' && p.conversation === a.id ? true : { refuse: 'unknown' }) })
    mb.on('channel', (ch) => void a.serve(ch))
    const b = await Conversation.clone(await ma.open(`git://${alice.deviceId}/${a.id}`), { identity: bob, peer: alice.deviceId, path: join(dir, 'b') })
    expect(b.head).toBe(a.head)
    const later = a.sendMessage('and a second one')
    const channel = await ma.open(`git://${alice.deviceId}/${a.id}`)
    const r = await b.syncFrom(channel, alice.deviceId)
    channel.end()
    expect(r).toMatchObject({ result: 'fast-forward', head: later })
    expect((await verifyRepository(b.path)).ok).toBe(true)
  })

  it('losing the connection resets open channels with a typed error; our own close is quiet', async () => {
    const { ba, ma, mb } = await muxPair({ authorize: () => true }, { authorize: () => true })
    const theirs = new Promise<Channel>((r) => mb.once('channel', r))
    const ch = await ma.open(`sync://${DEV_A}`)
    const there = await theirs
    const quiet: unknown[] = []
    there.on('error', (e) => quiet.push(e))
    const closed = new Promise((r) => there.once('close', r))
    const error = new Promise<Error>((r) => ch.once('error', r))
    ba.close()
    await closed
    expect(quiet).toEqual([])
    const e = await error
    expect(e).toBeInstanceOf(ChannelResetError)
    expect((e as ChannelResetError).data.reason).toMatch(/connection lost/)
    await expect(ma.open(`sync://${DEV_A}`)).rejects.toBeInstanceOf(ChannelRefusedError)
  })

  it('a peer that overruns its credit gets its channel reset', async () => {
    const { ab, ma, mb } = await muxPair({ authorize: () => true, window: 4096 })
    const incoming = new Promise<Channel>((r) => mb.once('channel', r))
    const ch = await ma.open(`sync://${DEV_A}`)
    const there = await incoming
    const errors: Error[] = []
    there.on('error', (e) => errors.push(e))
    ch.on('error', (e) => errors.push(e))
    // Forge DATA frames past the 4 KiB credit, bypassing the well-behaved writer.
    for (let i = 0; i < 5; i++) ab.sendLossless(Buffer.concat([Uint8Array.of(160, 4), Buffer.from([ch.id >> 8, ch.id & 255]), Buffer.alloc(1200)]))
    await until(() => errors.length === 2, 'both ends reset', 3000)
    expect(errors.map((e) => (e as ChannelResetError).data.reason).join()).toMatch(/credit/)
  })
})

