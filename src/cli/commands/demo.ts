/**
 * `gitswarm demo`: three accounts share one conversation and each step is narrated — invites,
 * joins, messages, an edit, a reaction, a ban, a profile change — then the repository is
 * verified from scratch by the rules engine and checked by `git fsck` when git is installed.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GitswarmError } from '../../errors.js'
import { createAccount } from '../../identity/identity.js'
import { Conversation } from '../../swarm/conversation.js'
import { verifyRepository } from '../../swarm/verify.js'
import { parseArgs } from '../args.js'
import { shortId, type Output } from '../output.js'

export const usage = 'gitswarm demo [--dir D] [--keep]'

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['dir'], flags: ['keep'] })
  const base = args.values.get('dir') ?? mkdtempSync(join(tmpdir(), 'gitswarm-demo-'))
  let step = 0
  const say = (text: string): void => out.line(`${String(++step).padStart(2)}. ${text}`)
  try {
    say('Creating three accounts (Ed25519 account CA, account and device certificates)…')
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((displayName) => createAccount({ displayName })))
    for (const id of [alice!, bob!, carol!]) out.line(`      ${id.displayName.padEnd(6)} account ${id.uri}  device ${shortId(id.deviceId)}…`)

    const a = Conversation.create(alice!, { dir: base })
    say(`alice creates a conversation (invites only): id ${a.id}`)
    out.line(`      repository ${a.path} (bare)`)
    a.updateProfile({ title: 'Weekend trip', description: 'Planning the hike' })
    say('alice names it "Weekend trip" (profile.vcf, admins only)')

    a.addMember(bob!.uri)
    a.addMember(carol!.uri)
    say('alice invites bob and carol (empty invited/<uri> files)')
    const b = Conversation.open(a.path, { identity: bob })
    const c = Conversation.open(a.path, { identity: carol })
    b.join()
    c.join()
    say('bob and carol join (invited/<uri> → members/<uri>.crt, plus their device certificates)')

    const hello = a.sendMessage('Hello both! Saturday at 9?')
    const reply = b.sendMessage('Works for me', { replyTo: hello })
    c.sendMessage('I will bring the map')
    say('three messages; bob replies to alice')
    b.editMessage(reply, 'Works for me, 9 sharp')
    say('bob edits his reply (an edit commit pointing at the original)')
    c.addReaction(hello, '👍')
    say('carol reacts 👍 to alice’s message')

    const [voteId, banId] = a.banMember(carol!.uri)
    say(`alice votes to ban carol (${shortId(voteId!)}…) and, as the only admin, resolves it (${shortId(banId!)}…)`)
    try {
      c.sendMessage('Can I still post?')
      say('carol could still post — this should not happen')
    } catch (err) {
      const rule = err instanceof GitswarmError ? err.data['rule'] : String(err)
      say(`carol tries to post: refused by rule ${rule}, as every peer would refuse it`)
    }
    a.updateProfile({ description: 'Saturday 9:00, trailhead parking' })
    say('alice updates the description')

    out.line()
    out.line('   History as a client shows it (newest first):')
    for (const m of a.loadMessages({ n: 0 })) {
      const text = m.body['body'] ?? m.body['action'] ?? m.type
      const who = [alice, bob, carol].find((x) => x!.uri === m.author)?.displayName ?? shortId(m.author)
      const extra = [m.editions.length ? '(edited)' : '', m.reactions.map((r) => r.emoji).join('')].filter(Boolean).join(' ')
      out.line(`     ${who.padEnd(6)} ${m.type.padEnd(28)} ${text} ${extra}`)
    }
    out.line(`   Members: ${a.members().map((m) => `${[alice, bob, carol].find((x) => x!.uri === m.uri)?.displayName}=${m.role}`).join(', ')}`)
    out.line(`   Profile: ${JSON.stringify(a.profile())}`)
    out.line()

    const report = await verifyRepository(a.path)
    say(`verifying all ${report.commits} commits from the root: ${report.ok ? 'valid' : `INVALID (${report.rejection?.rule})`} in ${report.milliseconds} ms`)
    try {
      execFileSync('git', ['-C', a.path, 'fsck', '--strict', '--no-dangling'], { stdio: 'pipe' })
      say('git fsck --strict accepts the repository')
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer }
      say(e.code === 'ENOENT' ? 'git is not installed; skipped git fsck' : `git fsck failed: ${e.stderr?.toString() ?? e.message}`)
      if (e.code !== 'ENOENT') return 1
    }
    for (const conv of [a, b, c]) conv.close()
    out.line()
    out.line(args.flags.has('keep') || args.values.has('dir') ? `Kept in ${base}` : 'Done (the repository was in a temporary directory; use --keep to keep it).')
    return report.ok ? 0 : 1
  } finally {
    if (!args.flags.has('keep') && !args.values.has('dir')) rmSync(base, { recursive: true, force: true })
  }
}
