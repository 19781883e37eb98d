/**
 * The web client in a real browser (Debian's chromium, driven by puppeteer-core; nothing
 * downloaded): two `gitswarm node --ui` processes, two pages. A contact added from page A is
 * accepted on page B, a message typed in A appears in B (and is marked seen on A; B's typing
 * and presence show on A), a reaction from B shows in A, a file
 * sent from A is downloaded in B with its progress bar, and saved through the page; then a
 * reply, an edit, a deletion, a group (renamed, joined, unread count, a ban) and paging back
 * through history. And `demo --ui`: the story's accounts stay up with their clients until
 * SIGINT. Screenshots go to test/.artifacts/. Needs chromium; skipped without it, never when
 * CI=true.
 */
/// <reference lib="dom" />
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { afterAll, describe, expect, it } from 'vitest'
import { startNode, stopNode, type RunningNode } from '../cli/node-process.js'
import { BIN, gitswarm } from '../cli/run.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
if (!CHROMIUM && process.env.CI === 'true') throw new Error('chromium is required in CI (apt-get install chromium)')
const ARTIFACTS = join(import.meta.dirname, '../.artifacts')
const dir = mkdtempSync(join(tmpdir(), 'gitswarm-browser-'))
let browser: Browser | undefined
const demoPids: number[] = []
afterAll(async () => {
  await browser?.close()
  for (const pid of demoPids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true })
})

/** Waits until `text` shows inside an element matching `selector` (polling by time: a page behind gets no animation frames). */
async function waitForText(page: Page, selector: string, text: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((s, t) => [...document.querySelectorAll(s)].some((e) => e.textContent?.includes(t)), { timeout, polling: 100 }, selector, text)
}

const began = performance.now()
/** Says where the test is, with the time: a failed run in CI shows the last step reached. */
const step = (what: string) => console.log(`[browser ${((performance.now() - began) / 1000).toFixed(1)} s] ${what}`)

function launch(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI needs --no-sandbox; no name is ever resolved, so nothing leaves 127.0.0.1.
    args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--window-size=1200,800'],
    defaultViewport: { width: 1200, height: 800 },
  })
}

/** The message bubble whose text holds `text`. */
async function messageWith(page: Page, text: string) {
  const handle = await page.waitForFunction((t) => [...document.querySelectorAll('.msg')].find((m) => m.querySelector('.body')?.textContent?.includes(t)), { timeout: 20_000, polling: 100 }, text)
  return handle.asElement() as NonNullable<Awaited<ReturnType<Page['$']>>>
}

/** Sends `n` messages through a node's Unix socket (JSON-RPC), as another program would. */
async function sendMany(socketPath: string, conversationId: string, n: number): Promise<void> {
  const socket = createConnection(socketPath)
  let answered = 0
  let buffered = ''
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8')
      answered += buffered.split('\n').length - 1
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
      if (answered === n) resolve()
    })
    for (let i = 0; i < n; i++) socket.write(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'sendMessage', params: [conversationId, `bulk ${i}`] }) + '\n')
  })
  socket.end()
}

async function uiOf(node: RunningNode): Promise<{ ui: string; bootstrap: string }> {
  return (await node.waitFor((e) => e.event === 'started', 'start')).args[0] as { ui: string; bootstrap: string }
}

describe.skipIf(!CHROMIUM)('the web client in chromium', () => {
  it('two people add each other, chat, react, reply, edit, delete, share a file, run a group and page back', { timeout: 120_000 }, async () => {
    const [a, b] = [join(dir, 'alice'), join(dir, 'bob')]
    expect(gitswarm(['account', 'create', a, '--name', 'alice']).status).toBe(0)
    expect(gitswarm(['account', 'create', b, '--name', 'bob']).status).toBe(0)
    const nodeA = startNode(a, ['--ui'])
    const startedA = await uiOf(nodeA)
    const nodeB = startNode(b, ['--ui', '--bootstrap', startedA.bootstrap])
    const startedB = await uiOf(nodeB)
    expect(startedA.ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/)

    step('nodes started')
    browser ??= await launch()
    const [pageA, pageB] = [await browser.newPage(), await browser.newPage()]
    const problems: string[] = []
    for (const page of [pageA, pageB]) page.on('pageerror', (e) => problems.push(String(e)))
    await pageA.goto(startedA.ui)
    await pageB.goto(startedB.ui)
    await pageA.waitForSelector('.tox-id')
    await pageB.waitForSelector('.tox-id')
    step('pages loaded')
    const bobToxId = await pageB.$eval('.tox-id', (e) => e.textContent!.trim())
    expect(bobToxId).toMatch(/^[0-9A-F]{76}$/)

    // A adds B by Tox ID; B accepts; the one-to-one conversation opens on both.
    // Clicks wait for an animation frame, which only the page in front gets.
    await pageA.bringToFront()
    await pageA.type('input[name=tox-id]', bobToxId)
    await pageA.click('.add-contact button[type=submit]')
    step('contact request sent from A')
    await pageB.waitForSelector('.accept-contact', { timeout: 20_000 })
    await pageB.bringToFront()
    await pageB.click('.accept-contact')
    for (const page of [pageA, pageB]) {
      await page.bringToFront()
      await page.waitForSelector('.conversation', { timeout: 20_000 })
      await page.click('.conversation')
      await page.waitForSelector('input[name=message]')
    }

    step('one-to-one conversation open on both pages')
    // A writes; B sees it.
    await pageA.bringToFront()
    await pageA.type('input[name=message]', 'Hello from the browser')
    await pageA.click('.composer .send')
    await waitForText(pageB, '.msg .body', 'Hello from the browser')

    step('message shown on B')
    // B has it open: a read receipt marks it seen on A. B types: A shows it; B clears the field.
    await waitForText(pageA, '.msg.mine .seen', 'seen')
    await waitForText(pageA, '.contact', 'bob')
    expect(await pageA.$eval('.contact[data-uri] .presence', (e) => e.classList.contains('on'))).toBe(true)
    await pageB.bringToFront()
    await pageB.type('input[name=message]', 'thinking')
    await waitForText(pageA, '.typing', 'bob is typing')
    // Emptying the field says B stopped.
    await pageB.click('input[name=message]', { clickCount: 3 })
    await pageB.keyboard.press('Backspace')
    await pageA.waitForFunction(() => !document.querySelector('.typing'), { timeout: 20_000, polling: 100 })
    step('seen, presence and typing shown on A')
    // B reacts; A sees the reaction.
    await pageB.bringToFront()
    const bobMessage = await pageB.waitForSelector('.msg:not(.mine)')
    await bobMessage!.hover()
    await pageB.click('.msg:not(.mine) .react[data-emoji="👍"]')
    await waitForText(pageA, '.msg.mine .reaction', '👍 1')

    step('reaction shown on A')
    // A sends a file; B downloads it, with its progress bar, and saves it through the page.
    const content = randomBytes(3 * 1024 * 1024)
    const original = join(dir, 'photos.bin')
    writeFileSync(original, content)
    await pageA.bringToFront()
    const input = await pageA.$('input[type=file]')
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(original)
    await waitForText(pageB, '.file-name', 'photos.bin')
    step('file announced on B')
    await pageB.bringToFront()
    await pageB.click('.file .download')
    await pageB.waitForSelector('progress.transfer')
    await pageB.waitForSelector('.file .save', { timeout: 30_000 })
    const bar = await pageB.$eval('progress.transfer', (p) => ({ value: (p as HTMLProgressElement).value, max: (p as HTMLProgressElement).max }))
    expect(bar).toEqual({ value: content.length, max: content.length })
    const saved = await pageB.$eval('.file .save', async (link) => {
      const bytes = await (await fetch((link as HTMLAnchorElement).href)).arrayBuffer()
      const digest = await crypto.subtle.digest('SHA-256', bytes)
      return { size: bytes.byteLength, sha256: [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join('') }
    })
    expect(saved).toEqual({ size: content.length, sha256: createHash('sha256').update(content).digest('hex') })

    step('file downloaded and saved')

    // B replies; A sees the quote. A edits, then deletes its message; B sees both.
    await pageB.bringToFront()
    await (await messageWith(pageB, 'Hello from the browser')).hover()
    await (await messageWith(pageB, 'Hello from the browser')).$eval('.reply', (b) => (b as HTMLButtonElement).click())
    await pageB.type('input[name=message]', 'Sure, replying')
    await pageB.click('.composer .send')
    await waitForText(pageA, '.msg .quote', 'Hello from the browser')
    await pageA.bringToFront()
    await (await messageWith(pageA, 'Hello from the browser')).$eval('.edit', (b) => (b as HTMLButtonElement).click())
    // The composer takes the message's text after the click's render (an effect): cleared
    // before that, the text came back under what was being typed.
    await pageA.waitForFunction(() => (document.querySelector('input[name=message]') as HTMLInputElement | null)?.value === 'Hello from the browser', { timeout: 20_000 })
    await pageA.$eval('input[name=message]', (i) => ((i as HTMLInputElement).value = ''))
    await pageA.type('input[name=message]', 'Hello, edited')
    await pageA.click('.composer .send')
    await waitForText(pageB, '.msg .body', 'Hello, edited')
    await waitForText(pageB, '.msg .edited', 'edited')
    await (await messageWith(pageA, 'Hello, edited')).$eval('.delete', (b) => (b as HTMLButtonElement).click())
    await waitForText(pageB, '.msg .deleted', 'message deleted')
    step('reply, edit and delete shown')

    // A makes a group, renames it, invites B; B joins; a message there counts as unread on B.
    await pageA.click('.new-group')
    await pageA.waitForSelector('.rename input')
    await pageA.$eval('.rename input', (i) => ((i as HTMLInputElement).value = ''))
    await pageA.type('.rename input', 'Book club')
    await pageA.click('.rename button')
    await waitForText(pageA, '.conv-title', 'Book club')
    await pageA.waitForSelector('.invitee option[value]:not([value=""])')
    await pageA.select('.invitee', await pageA.$eval('.invitee option[value]:not([value=""])', (o) => (o as HTMLOptionElement).value))
    await pageA.click('.invite')
    await pageB.bringToFront()
    await pageB.waitForSelector('.accept-invitation', { timeout: 20_000 })
    await pageB.click('.accept-invitation')
    await waitForText(pageB, '.conversation .title', 'Book club')
    await waitForText(pageA, '.member', 'member')
    await pageA.bringToFront()
    await pageA.type('input[name=message]', 'Welcome to the club')
    await pageA.click('.composer .send')
    await waitForText(pageB, '.conversation', 'Book club1')
    step('group created, renamed, joined; unread count shown')
    await pageA.click('.member .ban')
    await waitForText(pageA, '.member', 'banned')
    await waitForText(pageA, '.system', 'banned')
    step('B banned from the group by A')

    // Paging back: 40 more messages in the one-to-one, then B opens it afresh and loads older ones.
    const convA = await pageA.$$eval('.conversation', (els) => (els.find((e) => e.textContent?.includes('bob')) as HTMLElement).dataset.id!)
    await sendMany(join(a, 'node.sock'), convA, 40)
    // All 40 at B before its page opens the conversation: one opened mid-delivery keeps the
    // older messages it loaded, and the newest page is not what the check below expects.
    const bulkAtB = () => nodeB.lines.filter((e) => e.event === 'swarmMessageReceived' && /^bulk \d+$/.test(String((e.args[1] as { body?: { body?: unknown } }).body?.body))).length
    await nodeB.waitFor(() => bulkAtB() >= 40, 'the 40 bulk messages at B', 30_000)
    await pageB.bringToFront()
    await pageB.reload()
    await pageB.waitForSelector(`.conversation[data-id="${convA}"]`)
    await pageB.click(`.conversation[data-id="${convA}"]`)
    await waitForText(pageB, '.msg .body', 'bulk 39')
    expect(await pageB.$$eval('.msg .body', (els) => els.some((e) => e.textContent === 'Sure, replying'))).toBe(false)
    await pageB.click('.older')
    await waitForText(pageB, '.msg .body', 'Sure, replying')
    await waitForText(pageB, '.system', 'conversation created')
    step('older messages paged in')
    mkdirSync(ARTIFACTS, { recursive: true })
    await pageA.bringToFront()
    await pageA.screenshot({ path: join(ARTIFACTS, 'web-client-alice.png') })
    await pageB.bringToFront()
    await pageB.screenshot({ path: join(ARTIFACTS, 'web-client-bob.png') })
    expect(problems).toEqual([])
    expect(await stopNode(nodeA)).toBe(0)
    expect(await stopNode(nodeB)).toBe(0)
  })
  it('demo --ui leaves the story’s accounts up with their clients until Ctrl-C', { timeout: 180_000 }, async () => {
    const demo = spawn(process.execPath, [BIN, 'demo', '--ui'], { stdio: ['ignore', 'pipe', 'pipe'] })
    demoPids.push(demo.pid!)
    let output = ''
    demo.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')))
    const urls = new Map<string, string>()
    const end = Date.now() + 150_000
    // The phone was revoked in the story: it is not among them.
    while (!urls.has('bob') || !urls.has('alice')) {
      if (Date.now() > end || demo.exitCode !== null) throw new Error(`no client URLs from the demo:\n${output}`)
      await new Promise((r) => setTimeout(r, 100))
      for (const m of output.matchAll(/^ +(\S+) +(http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64})$/gm)) urls.set(m[1]!, m[2]!)
    }
    step('demo finished its story; the clients are up')
    browser ??= await launch()
    const page = await browser.newPage()
    await page.bringToFront()
    await page.goto(urls.get('bob')!)
    await waitForText(page, '.conversation .title', 'Weekend trip')
    const trip = await page.$$('.conversation')
    for (const c of trip) if ((await c.evaluate((e) => e.textContent))!.includes('Weekend trip')) await c.click()
    await waitForText(page, '.msg .body', 'Works for me, 9 sharp')
    await waitForText(page, '.msg .edited', 'edited')
    await waitForText(page, '.msg .quote', 'Hello both! Saturday at 9?')
    await waitForText(page, '.msg .reaction', '👍 1')
    await waitForText(page, '.file-name', 'route-photos.tar')
    await waitForText(page, '.member', 'banned')
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(ARTIFACTS, 'web-client-demo-bob.png') })
    await page.close()
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve))
    process.kill(demo.pid!, 'SIGINT')
    expect(await exited).toBe(0)
    expect(urls.has('alice-phone')).toBe(false)
    expect(output).toContain('Done (the accounts were in a temporary directory')
  })
})
