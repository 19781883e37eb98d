/**
 * `gitswarm demo`: three accounts on a loopback Tox network with its own bootstrap node. They
 * befriend each other by Tox ID (friend requests through the onion, arriving as events, and
 * accepted); alice invites bob and carol to a group; messages, an edit and a reaction arrive
 * live (announced on msg:, fetched over git://, validated, merged — no sync rounds); alice
 * shares a file, carol fetches it from her and bob from both holders at once; alice
 * links a second device from an archive; bob goes offline, misses a message and an
 * invitation, comes back and receives both; alice bans carol, whose later message reaches
 * nobody; and every repository is verified from its root and checked with git fsck. Each
 * step is narrated. With `--ui`, the accounts then stay up, each with its web client (the
 * daemon of src/daemon/), until Ctrl-C.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Account } from '../../account/account.js'
import { nextEvent } from '../../account/events.js'
import { serveDaemon } from '../../daemon/server.js'
import { ToxNode } from '../../transport/tox-node.js'
import { verifyRepository } from '../../swarm/verify.js'
import { parseArgs } from '../args.js'
import { shortId, type Output } from '../output.js'

export const usage = 'gitswarm demo [--dir D] [--keep] [--ui]'

const next = nextEvent

const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['dir'], flags: ['keep', 'ui'] })
  const base = args.values.get('dir') ?? mkdtempSync(join(tmpdir(), 'gitswarm-demo-'))
  const keep = args.flags.has('keep') || args.values.has('dir')
  let step = 0
  const say = (text: string): void => out.line(`${String(++step).padStart(2)}. ${text}`)
  const note = (text: string): void => out.line(`      ${text}`)
  const accounts: Account[] = []
  let boot: ToxNode | undefined
  try {
    boot = await ToxNode.start({ host: '127.0.0.1' })
    const bootstrap = [{ host: '127.0.0.1', port: boot.address.port, publicKey: boot.dhtPublicKey }]
    say(`A loopback Tox network: its bootstrap node listens on 127.0.0.1:${boot.address.port} (DHT and onion, as c-toxcore's)`)
    const start = async (account: Account) => {
      await account.start({ bootstrap })
      accounts.push(account)
      return account
    }
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(async (name) => start(await Account.create(join(base, name), { displayName: name }))))
    const names = new Map([[alice!.uri, 'alice'], [bob!.uri, 'bob'], [carol!.uri, 'carol']])
    say('Three accounts (Ed25519 CA, account and device certificates) start on it; each device’s Tox key is its device key, converted')
    for (const a of [alice!, bob!, carol!]) note(`${a.displayName.padEnd(6)} account ${a.uri}  Tox ID ${a.toxId().slice(0, 20)}…`)

    let t = performance.now()
    for (const friend of [bob!, carol!]) {
      const request = next(friend, 'trustRequestReceived', (from) => from === alice!.uri)
      const ready = next(alice!, 'conversationReady')
      alice!.addContact(friend.toxId())
      const [from, details] = await request
      note(`${friend.displayName}: trustRequestReceived from ${names.get(from)} (device ${details.toxPk.slice(0, 12)}…) — accepted`)
      const friendReady = next(friend, 'conversationReady')
      friend.acceptTrustRequest(from)
      const [oneToOne] = await ready
      await friendReady
      note(`alice ↔ ${friend.displayName}: contacts, their one-to-one conversation ${shortId(oneToOne)}… ready on both`)
    }
    say(`alice adds bob and carol by Tox ID: friend requests through the onion, Noise IK handshakes, certificates checked in the hellos (${ms(t)})`)

    const trip = alice!.startConversation({ title: 'Weekend trip' })
    say(`alice creates the group "Weekend trip" (${trip}) and invites bob and carol`)
    t = performance.now()
    for (const friend of [bob!, carol!]) {
      const request = next(friend, 'conversationRequestReceived', (id) => id === trip)
      alice!.addConversationMember(trip, friend.uri)
      const [, metadatas] = await request
      const ready = next(friend, 'conversationReady', (id) => id === trip)
      friend.acceptConversationRequest(trip)
      await ready
      note(`${friend.displayName}: conversationRequestReceived "${metadatas['title']}" → accepted → cloned, verified, joined → conversationReady`)
    }
    note(`both in ${ms(t)}`)

    say('Messages arrive live: each commit is announced on msg:, fetched over git://, validated and merged — no sync rounds')
    const show = (who: Account, what: string, since: number) => note(`${who.displayName.padEnd(6)} ${what} (${ms(since)} after it was written)`)
    t = performance.now()
    const atBob = next(bob!, 'swarmMessageReceived', (id, m) => id === trip && m.body['body'] === 'Hello both! Saturday at 9?')
    const atCarol = next(carol!, 'swarmMessageReceived', (id, m) => id === trip && m.body['body'] === 'Hello both! Saturday at 9?')
    const hello = alice!.sendMessage(trip, 'Hello both! Saturday at 9?')
    await atBob
    show(bob!, 'swarmMessageReceived "Hello both! Saturday at 9?"', t)
    await atCarol
    show(carol!, 'swarmMessageReceived "Hello both! Saturday at 9?"', t)
    t = performance.now()
    const replied = next(alice!, 'swarmMessageReceived', (id, m) => id === trip && m.body['body'] === 'Works for me')
    const reply = bob!.sendMessage(trip, 'Works for me', { replyTo: hello })
    await replied
    show(alice!, 'swarmMessageReceived "Works for me" (bob, a reply)', t)
    t = performance.now()
    const edited = next(carol!, 'swarmMessageUpdated', (id, m) => id === trip && m.id === reply)
    bob!.editMessage(trip, reply, 'Works for me, 9 sharp')
    await edited
    show(carol!, 'swarmMessageUpdated "Works for me, 9 sharp" (bob edited)', t)
    t = performance.now()
    const reacted = next(alice!, 'reactionAdded', (id, target) => id === trip && target === hello)
    carol!.addReaction(trip, hello, '👍')
    await reacted
    show(alice!, 'reactionAdded 👍 (carol)', t)
    t = performance.now()
    const read = next(bob!, 'accountMessageStatusChanged', (id, uri, m, status) => id === trip && uri === alice!.uri && m === reply && status === 3)
    alice!.setMessageDisplayed(trip, reply)
    await read
    show(bob!, 'accountMessageStatusChanged displayed (alice read his reply: a read receipt)', t)
    t = performance.now()
    const typing = next(alice!, 'composingStatusChanged', (id, uri, composing) => id === trip && uri === carol!.uri && composing)
    carol!.setIsComposing(trip, true)
    await typing
    show(alice!, 'composingStatusChanged (carol is typing; it ends by itself after 12 s)', t)
    carol!.setIsComposing(trip, false)

    await shareFile(base, trip, alice!, carol!, bob!, say, note)

    t = performance.now()
    const archive = alice!.exportArchive('correct horse battery staple')
    const phone = await Account.importArchive(join(base, 'alice-phone'), archive, 'correct horse battery staple', { displayName: 'alice-phone' })
    const phoneReady = new Set<string>()
    phone.on('conversationReady', (id) => phoneReady.add(id))
    const linked = next(alice!, 'deviceAdded')
    await start(phone)
    await linked
    for (let i = 0; i < 400 && phoneReady.size < 3; i++) await new Promise((r) => setTimeout(r, 25))
    say(`alice links her phone: an archive sealed with a passphrase, a new device certificate; over sync:// it gets ${phoneReady.size} conversations and her contacts (${ms(t)})`)
    t = performance.now()
    const fromPhone = next(bob!, 'swarmMessageReceived', (id, m) => id === trip && m.body['body'] === 'Sent from my phone')
    phone.sendMessage(trip, 'Sent from my phone')
    await fromPhone
    show(bob!, 'swarmMessageReceived "Sent from my phone" (alice-phone)', t)

    await bob!.stop()
    accounts.splice(accounts.indexOf(bob!), 1)
    // His devices told alice's they left (a kill packet); wait until she has heard it.
    for (let i = 0; i < 200 && alice!.node.onlinePeers().some((p) => p.accountUri === bob!.uri); i++) await new Promise((r) => setTimeout(r, 10))
    say('bob goes offline. alice writes, and invites him to a second conversation:')
    const missed = alice!.sendMessage(trip, 'Bob, we leave from the station')
    const secret = alice!.startConversation({ title: 'Birthday surprise' })
    alice!.addConversationMember(secret, bob!.uri)
    const waiting = alice!.store.outbox.value.filter((e) => e.to === Buffer.from(bob!.toxPublicKey).toString('hex')).map((e) => (e.key.startsWith('git:') ? 'the announcement' : 'the invitation'))
    note(`${waiting.join(' and ')} wait${waiting.length === 1 ? 's' : ''} in alice’s outbox (outbox.json, until bob’s device acknowledges them)`)
    t = performance.now()
    const bobAgain = Account.open(bob!.dir)
    const caughtUp = next(bobAgain, 'swarmMessageReceived', (id, m) => id === trip && m.id === missed)
    const invited = next(bobAgain, 'conversationRequestReceived', (id) => id === secret)
    await start(bobAgain)
    await caughtUp
    note(`bob comes back: swarmMessageReceived "Bob, we leave from the station" (${ms(t)} after his start)`)
    const [, meta] = await invited
    note(`bob: conversationRequestReceived "${meta['title']}" (${ms(t)} after his start)`)
    const secretReady = next(bobAgain, 'conversationReady', (id) => id === secret)
    bobAgain.acceptConversationRequest(secret)
    await secretReady
    note('bob accepts it: conversationReady')

    const isBan = (id: string, uri: string, action: string) => id === trip && uri === carol!.uri && action === 'ban'
    const banned = [next(bobAgain, 'conversationMemberEvent', isBan), next(phone, 'conversationMemberEvent', isBan)]
    alice!.removeConversationMember(trip, carol!.uri)
    await Promise.all(banned)
    say('alice bans carol: a vote and its resolution; bob and alice-phone see conversationMemberEvent ban')
    const leaked: string[] = []
    for (const a of [alice!, bobAgain, phone]) a.on('swarmMessageReceived', (id, m) => id === trip && m.body['body'] === 'Am I still here?' && leaked.push(a.displayName))
    const lastWord = carol!.sendMessage(trip, 'Am I still here?')
    await new Promise((r) => setTimeout(r, 500))
    note(`carol writes "Am I still here?": ${leaked.length === 0 ? 'nobody takes it — a banned member is neither served nor fetched from' : `taken by ${leaked.join(', ')} — this should not happen`}`)

    out.line()
    out.line('   "Weekend trip" as bob sees it (newest first):')
    for (const m of bobAgain.loadConversation(trip, { n: 0 })) {
      const text = m.type === 'text/plain' ? m.body['body'] : m.type === 'member' ? `${m.body['action']} ${names.get(m.body['uri']!) ?? ''}` : m.type
      const extra = [m.editions.length ? '(edited)' : '', m.reactions.map((r) => r.emoji).join('')].filter(Boolean).join(' ')
      out.line(`     ${(names.get(m.author) ?? '?').padEnd(6)} ${text} ${extra}`)
    }
    out.line(`   Members: ${bobAgain.getConversationMembers(trip).map((m) => `${names.get(m.uri)}=${m.role}`).join(', ')}`)
    out.line()

    t = performance.now()
    const stopped = next(phone, 'deviceRevoked')
    await alice!.revokeDevice(phone.deviceId)
    await stopped
    say(`alice loses her phone and revokes it: a CRL signed by her account key, committed at CRLs/ in every conversation; the phone is told and stops (${ms(t)})`)
    note('from now on members refuse the phone’s commits dated after the revocation, and its connections')
    accounts.splice(accounts.indexOf(phone), 1)

    say('Verifying every repository from its root, and checking each with git fsck --strict:')
    let ok = leaked.length === 0 && !alice!.conversation(trip).history().has(lastWord)
    for (const a of accounts) {
      for (const id of a.getConversations()) {
        const path = a.conversation(id).path
        const report = await verifyRepository(path)
        let fsck = 'git not installed'
        try {
          execFileSync('git', ['-C', path, 'fsck', '--strict', '--no-dangling'], { stdio: 'pipe' })
          fsck = 'fsck ok'
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') (fsck = 'fsck FAILED'), (ok = false)
        }
        ok &&= report.ok
        note(`${a.displayName.padEnd(11)} ${shortId(id)}… ${report.ok ? 'valid' : `INVALID (${report.rejection?.rule})`}: ${report.commits} commits in ${report.milliseconds} ms, ${fsck}`)
      }
    }
    if (args.flags.has('ui')) await keepServing(accounts, out)
    out.line()
    out.line(keep ? `Kept in ${base}` : 'Done (the accounts were in a temporary directory; use --keep to keep them).')
    return ok ? 0 : 1
  } finally {
    await Promise.all(accounts.map((a) => a.stop()))
    await boot?.close()
    if (!keep) rmSync(base, { recursive: true, force: true })
  }
}

/** Serves each account's web client until SIGINT or SIGTERM. */
async function keepServing(accounts: Account[], out: Output): Promise<void> {
  const daemons = await Promise.all(accounts.map((a) => serveDaemon(a, { ui: true })))
  try {
    out.line()
    out.line('   The accounts stay up. Open their web clients (Ctrl-C to stop):')
    daemons.forEach((d, i) => out.line(`     ${accounts[i]!.displayName.padEnd(11)} ${d.uiUrl}`))
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
  } finally {
    await Promise.all(daemons.map((d) => d.close()))
  }
}

/** A file shared by `sender`: `first` fetches it from the sender, `second` from every holder at once. */
async function shareFile(base: string, id: string, sender: Account, first: Account, second: Account, say: (t: string) => void, note: (t: string) => void): Promise<void> {
  const path = join(base, 'route-photos.tar')
  writeFileSync(path, randomBytes(4 << 20))
  const announced = [first, second].map((a) => next(a, 'swarmMessageReceived', (cid, m) => cid === id && m.type === 'application/data-transfer+json'))
  const iid = await sender.sendFile(id, path)
  await Promise.all(announced)
  const fileId = sender.getMessage(id, iid).fileId!
  say(`${sender.displayName} shares route-photos.tar (4 MiB): a data-transfer commit (name, size, SHA3-512); the bytes stay out of git`)
  const fetch = async (who: Account): Promise<Record<string, number>> => {
    const t = performance.now()
    const end = next(who, 'dataTransferEvent', (cid, _i, fid, e) => cid === id && fid === fileId && (e.code === 'finished' || e.code === 'error'), 30_000)
    const dest = join(base, `${who.displayName}-route-photos.tar`)
    who.downloadFile(id, iid, fileId, dest)
    const [, , , e] = await end
    if (e.code !== 'finished' || !readFileSync(dest).equals(readFileSync(path))) throw new Error(`the file did not arrive at ${who.displayName}: ${JSON.stringify(e.error)}`)
    const from = Object.entries(e.sources ?? {}).map(([device, bytes]) => `${Math.round(bytes / 1024)} KiB from ${device === sender.deviceId ? sender.displayName : device === first.deviceId ? first.displayName : device.slice(0, 8)}`)
    note(`${who.displayName.padEnd(6)} downloadFile → dataTransferEvent finished, SHA3-512 verified before it appeared: ${from.join(', ')} (${ms(t)})`)
    return e.sources ?? {}
  }
  await fetch(first)
  // The second asks every member device that holds it: the sender and the first downloader.
  for (let i = 0; i < 400 && !second.node.onlinePeers().some((p) => p.deviceId === first.deviceId); i++) await new Promise((r) => setTimeout(r, 25))
  const sources = await fetch(second)
  if (!(sources[first.deviceId]! > 0)) throw new Error(`${second.displayName} fetched nothing from ${first.displayName}, a holder other than the sender`)
}
