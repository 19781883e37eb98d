/**
 * `gitswarm graph`: a conversation with two writers (merges), membership events, a profile
 * update and a forged commit the rules reject, drawn as SVG — well-formed XML, one node per
 * commit in range, one edge per parent, the rejected commit red with its rule — and rendered
 * by a real headless browser (Debian's chromium) to a PNG that is not blank. Without
 * chromium the rendering is skipped, except under CI=true.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { XMLValidator } from 'fast-xml-parser'
import { beforeAll, describe, expect, it } from 'vitest'
import { forgeCommit } from '../../src/conformance/forge.js'
import { duplexPair } from '../../src/git/duplex-pair.js'
import type { DeviceIdentity } from '../../src/identity/identity.js'
import { renderGraphSvg, type GraphCommit } from '../../src/cli/graph-svg.js'
import { Conversation, MAIN_REF } from '../../src/swarm/conversation.js'
import { textMessage } from '../../src/swarm/messages.js'
import { account, tempDir } from '../helpers.js'
import { decodePng } from './png.js'
import { gitswarm } from './run.js'

const dir = tempDir()
let alice: DeviceIdentity, bob: DeviceIdentity, carol: DeviceIdentity
let repo = ''
let rejected = ''

const chromium = (() => {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) if (spawnSync('which', [name]).status === 0) return name
  return undefined
})()

async function pull(to: Conversation, from: Conversation): Promise<void> {
  const [server, client] = duplexPair()
  const serving = from.serve(server)
  try {
    await to.syncFrom(client, from.identity!.deviceId)
  } finally {
    client.end()
    await serving
  }
}

const count = (svg: string, pattern: RegExp) => svg.match(pattern)?.length ?? 0

beforeAll(async () => {
  ;[alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((x) => account(x)))
  const a = Conversation.create(alice, { path: join(dir, 'trip') })
  a.updateProfile({ title: 'Weekend <trip> & "more"' })
  a.addMember(bob.uri)
  const [server, client] = duplexPair()
  const serving = a.serve(server)
  const b = await Conversation.clone(client, { identity: bob, peer: alice.deviceId, path: join(dir, 'trip-bob') })
  client.end()
  await serving
  b.join()
  await pull(a, b)
  for (let round = 0; round < 3; round++) {
    a.sendMessage(`alice ${round}`)
    b.sendMessage(`bob ${round} \u0007 with a control character`)
    await pull(a, b)
    await pull(b, a)
  }
  a.addMember(carol.uri)
  a.banMember(carol.uri)
  a.sendMessage('after the ban')
  // A modified client's commit: a file no rule allows.
  const head = a.head
  rejected = forgeCommit(a.repo, { author: alice, parents: [head], message: textMessage('sneaky'), edits: [{ path: 'BADFILE', oid: a.repo.objects.write('blob', Buffer.from('x')) }] })
  a.repo.refs.update(MAIN_REF, rejected, head)
  repo = a.path
  a.close()
  b.close()
}, 60_000)

describe('gitswarm graph', () => {
  it('draws every commit and parent link, marks membership, profile and the rejected commit', () => {
    const out = join(dir, 'trip.svg')
    const r = gitswarm(['graph', repo, '-o', out, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as { commits: number; total: number; edges: number; rejected: number }
    const svg = readFileSync(out, 'utf8')
    expect(XMLValidator.validate(svg)).toBe(true)
    const listed = execFileSync('git', ['--git-dir', repo, 'rev-list', '--parents', 'main'], { encoding: 'utf8' }).trim().split('\n')
    expect(summary.commits).toBe(listed.length)
    expect(count(svg, /class="node /g)).toBe(listed.length)
    expect(count(svg, /class="edge[ "]/g)).toBe(listed.reduce((n, l) => n + l.split(' ').length - 1, 0))
    expect(summary.edges).toBe(count(svg, /class="edge[ "]/g))
    expect(count(svg, /class="node kind-merge/g)).toBeGreaterThanOrEqual(3)
    expect(count(svg, /<polygon class="node kind-member/g)).toBeGreaterThanOrEqual(4) // add, join, add, ban
    expect(count(svg, /<rect class="node kind-profile/g)).toBe(1)
    expect(summary.rejected).toBe(1)
    expect(svg).toMatch(new RegExp(`class="node kind-message rejected" data-id="${rejected}" fill="#d62728"`))
    expect(svg).toContain('rejected: ')
    expect(svg).toContain('Weekend &lt;trip&gt; &amp; &quot;more&quot;')
  })

  it('windows a long history: the newest --max, with dashed edges to parents outside', () => {
    const r = gitswarm(['graph', repo, '--max', '5', '--json'])
    expect(JSON.parse(r.stdout)).toMatchObject({ commits: 5 })
    const svg = gitswarm(['graph', repo, '--max', '5']).stdout
    expect(XMLValidator.validate(svg)).toBe(true)
    expect(count(svg, /class="node /g)).toBe(5)
    expect(count(svg, /class="edge outside"/g)).toBeGreaterThan(0)
    expect(gitswarm(['graph', repo, '--since', 'not a date']).status).toBe(2)
    const none = JSON.parse(gitswarm(['graph', repo, '--until', '2001-01-01', '--json']).stdout)
    expect(none.commits).toBe(0)
  })

  it('10,000 commits render as one well-formed document with 10,000 nodes', () => {
    const commits: GraphCommit[] = []
    for (let i = 10_000; i > 0; i--) {
      const id = i.toString(16).padStart(40, '0')
      const parents = i === 1 ? [] : i % 50 === 0 ? [(i - 1).toString(16).padStart(40, '0'), (i - 2).toString(16).padStart(40, '0')] : [(i - 1).toString(16).padStart(40, '0')]
      commits.push({ id, parents, author: 'a', type: 'text/plain', kind: i % 50 === 0 ? 'merge' : 'message', summary: `message ${i}`, time: 1_800_000_000 + i })
    }
    const svg = renderGraphSvg(commits)
    expect(XMLValidator.validate(svg)).toBe(true)
    expect(count(svg, /class="node /g)).toBe(10_000)
    expect(count(svg, /class="edge[ "]/g)).toBe(commits.reduce((n, c) => n + c.parents.length, 0))
  })

  it.skipIf(!chromium && process.env['CI'] !== 'true')(`renders in a headless browser to a PNG that is not blank${chromium ? '' : ' (chromium is not installed)'}`, () => {
    if (!chromium) throw new Error('CI=true but no chromium: .ci/run installs it')
    const svg = join(dir, 'trip.svg')
    if (gitswarm(['graph', repo, '-o', svg]).status !== 0) throw new Error('graph failed')
    const png = join(dir, 'trip.png')
    const r = spawnSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1200,700', `--screenshot=${png}`, `file://${svg}`], { timeout: 60_000, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const image = decodePng(readFileSync(png))
    expect(image.width).toBe(1200)
    let inked = 0
    let red = 0
    for (let i = 0; i < image.width * image.height; i++) {
      const [R, G, B] = [image.rgba[i * 4]!, image.rgba[i * 4 + 1]!, image.rgba[i * 4 + 2]!]
      if (R < 200 || G < 200 || B < 200) inked++
      if (R > 180 && G < 80 && B < 80) red++
    }
    expect(inked, 'pixels drawn').toBeGreaterThan(2000)
    expect(red, 'the rejected commit in red').toBeGreaterThan(20)
  }, 90_000)
})
