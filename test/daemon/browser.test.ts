/**
 * The web client in a real browser (Debian's chromium, driven by puppeteer-core; nothing
 * downloaded): two `gitswarm node --ui` processes, two pages. A contact added from page A is
 * accepted on page B, a message typed in A appears in B, a reaction from B shows in A, a file
 * sent from A is downloaded in B with its progress bar, and saved through the page. Screenshots
 * of both pages go to test/.artifacts/. Needs chromium; skipped without it, never when CI=true.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { afterAll, describe, expect, it } from 'vitest'
import { startNode, stopNode, type RunningNode } from '../cli/node-process.js'
import { gitswarm } from '../cli/run.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
if (!CHROMIUM && process.env.CI === 'true') throw new Error('chromium is required in CI (apt-get install chromium)')
const ARTIFACTS = join(import.meta.dirname, '../.artifacts')
const dir = mkdtempSync(join(tmpdir(), 'gitswarm-browser-'))
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Waits until `text` shows inside an element matching `selector` (polling by time: a page behind gets no animation frames). */
async function waitForText(page: Page, selector: string, text: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((s, t) => [...document.querySelectorAll(s)].some((e) => e.textContent?.includes(t)), { timeout, polling: 100 }, selector, text)
}

const began = performance.now()
/** Says where the test is, with the time: a failed run in CI shows the last step reached. */
const step = (what: string) => console.log(`[browser ${((performance.now() - began) / 1000).toFixed(1)} s] ${what}`)

async function uiOf(node: RunningNode): Promise<{ ui: string; bootstrap: string }> {
  return (await node.waitFor((e) => e.event === 'started', 'start')).args[0] as { ui: string; bootstrap: string }
}

describe.skipIf(!CHROMIUM)('the web client in chromium', () => {
  it('two people add each other, chat, react and share a file', { timeout: 120_000 }, async () => {
    const [a, b] = [join(dir, 'alice'), join(dir, 'bob')]
    expect(gitswarm(['account', 'create', a, '--name', 'alice']).status).toBe(0)
    expect(gitswarm(['account', 'create', b, '--name', 'bob']).status).toBe(0)
    const nodeA = startNode(a, ['--ui'])
    const startedA = await uiOf(nodeA)
    const nodeB = startNode(b, ['--ui', '--bootstrap', startedA.bootstrap])
    const startedB = await uiOf(nodeB)
    expect(startedA.ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/)

    step('nodes started')
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI needs --no-sandbox; no name is ever resolved, so nothing leaves 127.0.0.1.
      args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--window-size=1200,800'],
      defaultViewport: { width: 1200, height: 800 },
    })
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
    mkdirSync(ARTIFACTS, { recursive: true })
    await pageA.bringToFront()
    await pageA.screenshot({ path: join(ARTIFACTS, 'web-client-alice.png') })
    await pageB.bringToFront()
    await pageB.screenshot({ path: join(ARTIFACTS, 'web-client-bob.png') })
    expect(problems).toEqual([])
    expect(await stopNode(nodeA)).toBe(0)
    expect(await stopNode(nodeB)).toBe(0)
  })
})
