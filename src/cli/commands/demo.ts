/**
 * `gitswarm demo`: four devices of three accounts share a conversation, each with its own
 * repository and its own Tox node on 127.0.0.1; they connect pairwise (Noise IK handshakes
 * over UDP) and sync with git's protocol over `git://` channels. Invites, clones, joins,
 * messages, an edit, a reaction; then a partition in which both sides write (messages, and
 * the same profile edited on each side), the heal, the merge; a ban; and the verification of
 * every repository. Each step is narrated.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GitswarmError } from '../../errors.js'
import { addDevice, createAccount, type DeviceIdentity } from '../../identity/identity.js'
import { Conversation } from '../../swarm/conversation.js'
import { SwarmNode } from '../../account/swarm-node.js'
import { verifyRepository } from '../../swarm/verify.js'
import { parseArgs } from '../args.js'
import { shortId, type Output } from '../output.js'

export const usage = 'gitswarm demo [--dir D] [--keep]'

interface Device {
  name: string
  identity: DeviceIdentity
  node?: SwarmNode
  conv?: Conversation
}

/** `to` fetches from `from` over a git channel of their Tox connection; returns how it went. */
async function pull(to: Device, from: Device): Promise<string> {
  const r = await to.node!.pull(to.conv!.id, from.node!.asPeer)
  return r.result === 'rejected' ? `rejected (${r.rejection?.rule})` : `${r.result}${r.commits ? `, ${r.commits} new commit${r.commits > 1 ? 's' : ''}` : ''}`
}

async function clone(to: Device, from: Device, dir: string): Promise<void> {
  to.conv = await to.node!.clone(from.conv!.id, from.node!.asPeer, join(dir, to.name))
}

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['dir'], flags: ['keep'] })
  const base = args.values.get('dir') ?? mkdtempSync(join(tmpdir(), 'gitswarm-demo-'))
  const keep = args.flags.has('keep') || args.values.has('dir')
  let step = 0
  const say = (text: string): void => out.line(`${String(++step).padStart(2)}. ${text}`)
  const note = (text: string): void => out.line(`      ${text}`)
  const devices: Device[] = []
  try {
    say('Creating three accounts (Ed25519 CA, account and device certificates) and a second device for alice…')
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((displayName) => createAccount({ displayName })))
    const phone = await addDevice(alice!)
    const laptop: Device = { name: 'alice-laptop', identity: alice! }
    const alicePhone: Device = { name: 'alice-phone', identity: phone }
    const bobs: Device = { name: 'bob', identity: bob! }
    const carols: Device = { name: 'carol', identity: carol! }
    devices.push(laptop, alicePhone, bobs, carols)
    for (const d of devices) note(`${d.name.padEnd(13)} account ${d.identity.uri}  device ${shortId(d.identity.deviceId)}…`)

    say('Each device starts a Tox node on 127.0.0.1; its Tox key is its Ed25519 device key, converted to X25519')
    for (const d of devices) {
      d.node = await SwarmNode.start(d.identity)
      note(`${d.name.padEnd(13)} udp ${d.node.tox.address.port}  Tox ID ${d.node.tox.toxId().slice(0, 16)}…`)
    }
    const t = performance.now()
    for (const [i, a] of devices.entries()) {
      for (const b of devices.slice(i + 1)) {
        b.node!.addPeer(a.node!.asPeer)
        await a.node!.connect(b.node!.asPeer, { address: b.node!.tox.address, dhtPublicKey: b.node!.tox.dhtPublicKey })
      }
    }
    say(`The devices connect pairwise (Noise IK handshakes, 6 connections in ${(performance.now() - t).toFixed(0)} ms); every sync below runs git's protocol over a git:// channel`)

    laptop.conv = Conversation.create(alice!, { path: join(base, laptop.name) })
    laptop.node!.host(laptop.conv)
    laptop.conv.updateProfile({ title: 'Weekend trip' })
    say(`alice-laptop creates the conversation ${laptop.conv.id} and names it "Weekend trip"`)
    laptop.conv.addMember(bob!.uri)
    laptop.conv.addMember(carol!.uri)
    say('alice invites bob and carol (each invitation is a signed commit adding invited/<uri>)')

    for (const d of [alicePhone, bobs, carols]) await clone(d, laptop, base)
    say('alice-phone, bob and carol clone it from alice-laptop over their Tox channels; each clone is verified before it appears')
    bobs.conv!.join()
    carols.conv!.join()
    say('bob and carol join (invited/<uri> becomes members/<uri>.crt, plus their device certificates)')
    for (const from of [bobs, carols]) note(`alice-laptop ← ${from.name}: ${await pull(laptop, from)}`)
    for (const to of [alicePhone, bobs, carols]) note(`${to.name} ← alice-laptop: ${await pull(to, laptop)}`)

    const hello = laptop.conv.sendMessage('Hello both! Saturday at 9?')
    for (const to of [bobs, carols]) await pull(to, laptop)
    const reply = bobs.conv!.sendMessage('Works for me', { replyTo: hello })
    bobs.conv!.editMessage(reply, 'Works for me, 9 sharp')
    carols.conv!.addReaction(hello, '👍')
    say('alice writes; bob replies and edits his reply; carol reacts 👍 — each on their own device')
    for (const from of [bobs, carols]) note(`alice-laptop ← ${from.name}: ${await pull(laptop, from)}`)
    for (const to of [alicePhone, bobs, carols]) await pull(to, laptop)

    say('The network splits: {alice-laptop, bob} | {alice-phone, carol}. Both sides write.')
    laptop.conv.sendMessage('Bringing the tent')
    laptop.conv.updateProfile({ description: 'Meet at the trailhead' })
    bobs.conv!.sendMessage('I will drive')
    alicePhone.conv!.updateProfile({ description: 'Meet at the station' })
    carols.conv!.sendMessage('Can someone bring water?')
    note('side 1: alice-laptop writes and sets the description to "Meet at the trailhead"; bob writes')
    note('side 2: alice-phone sets the description to "Meet at the station"; carol writes')
    note(`bob ← alice-laptop: ${await pull(bobs, laptop)};  carol ← alice-phone: ${await pull(carols, alicePhone)}`)

    say('The network heals. Every device fetches from every other until nothing changes:')
    for (let round = 1; round <= 5; round++) {
      const before = devices.map((d) => d.conv!.head).join()
      const results: string[] = []
      for (const to of devices) for (const from of devices) if (to !== from) results.push(`${to.name}←${from.name}: ${await pull(to, from)}`)
      const moved = results.filter((r) => !r.endsWith('up-to-date'))
      note(`round ${round}: ${moved.length ? moved.join('; ') : 'all up to date'}`)
      if (devices.map((d) => d.conv!.head).join() === before) break
    }
    const head = laptop.conv.head
    note(`every device is at ${shortId(head)}… (${devices.every((d) => d.conv!.head === head) ? 'identical' : 'NOT identical'})`)
    note(`description on every device: "${laptop.conv.profile().description}" — the edit on the side whose head had the larger id wins everywhere`)

    const [voteId, banId] = laptop.conv.banMember(carol!.uri)
    say(`alice bans carol: a vote (${shortId(voteId!)}…) and its resolution (${shortId(banId!)}…), as the only admin`)
    for (const to of [alicePhone, bobs]) note(`${to.name} ← alice-laptop: ${await pull(to, laptop)}`)
    try {
      await pull(carols, laptop)
      note('carol ← alice-laptop: served — this should not happen')
    } catch (err) {
      note(`carol ← alice-laptop: ${err instanceof GitswarmError ? `${err.data['reason']}: ${err.data['detail']}` : String(err)} — a banned member's devices are no longer served`)
    }
    carols.conv!.sendMessage('Am I still here?')
    note('carol, who never received the ban, writes "Am I still here?" on her own device')
    try {
      await pull(bobs, carols)
      note('bob ← carol: fetched — this should not happen')
    } catch (err) {
      note(`bob ← carol: ${err instanceof GitswarmError ? err.message : String(err)} — her message stays on her device`)
    }

    out.line()
    out.line('   The conversation as bob sees it (newest first):')
    const names = new Map([[alice!.uri, 'alice'], [bob!.uri, 'bob'], [carol!.uri, 'carol']])
    for (const m of bobs.conv!.loadMessages({ n: 0 })) {
      const text = m.type === 'text/plain' ? m.body['body'] : m.type === 'member' ? `${m.body['action']} ${names.get(m.body['uri']!) ?? ''}` : m.type
      const extra = [m.editions.length ? '(edited)' : '', m.reactions.map((r) => r.emoji).join('')].filter(Boolean).join(' ')
      out.line(`     ${(names.get(m.author) ?? '?').padEnd(6)} ${text} ${extra}`)
    }
    out.line(`   Members: ${bobs.conv!.members().map((m) => `${names.get(m.uri)}=${m.role}`).join(', ')}`)
    out.line()

    say('Verifying every repository from its root, and checking each with git fsck --strict:')
    let ok = true
    for (const d of devices) {
      const report = await verifyRepository(d.conv!.path)
      let fsck = 'git not installed'
      try {
        execFileSync('git', ['-C', d.conv!.path, 'fsck', '--strict', '--no-dangling'], { stdio: 'pipe' })
        fsck = 'fsck ok'
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        if (e.code !== 'ENOENT') (fsck = 'fsck FAILED'), (ok = false)
      }
      ok &&= report.ok
      note(`${d.name.padEnd(13)} ${report.ok ? 'valid' : `INVALID (${report.rejection?.rule})`}: ${report.commits} commits in ${report.milliseconds} ms, ${fsck}`)
    }
    out.line()
    out.line(keep ? `Kept in ${base}` : 'Done (the repositories were in a temporary directory; use --keep to keep them).')
    return ok ? 0 : 1
  } finally {
    for (const d of devices) d.conv?.close()
    await Promise.all(devices.map((d) => d.node?.close()))
    if (!keep) rmSync(base, { recursive: true, force: true })
  }
}
