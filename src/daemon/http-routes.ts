/**
 * What the daemon serves over HTTP beside its WebSocket: the web client's files (when asked
 * for), a downloaded file to the browser, and a browser's file to share (uploaded to the
 * node's machine, then sendFile). File routes need the token; the web client's own files do
 * not (they hold no data — the token comes in the URL's fragment, which is never sent).
 * @module
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Account } from '../account/account.js'
import { fileNameOr } from './methods.js'

/** The web client's folder in the package. */
const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../ui')

/** The browser modules the client imports, resolved from the installed packages (no CDN). */
const VENDOR: Record<string, string> = {
  'preact.mjs': 'preact',
  'hooks.mjs': 'preact/hooks',
  'htm.mjs': 'htm',
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' }

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

export function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS })
  res.end(body)
}

/** Serves a file of the web client, true when `path` was one. */
export function serveUi(path: string, res: ServerResponse): boolean {
  let file: string | undefined
  if (path === '/' || path === '/index.html') file = join(UI_DIR, 'index.html')
  else if (/^\/[a-z-]+\.(js|css|svg)$/.test(path)) file = join(UI_DIR, path.slice(1))
  else if (path.startsWith('/vendor/') && VENDOR[path.slice(8)]) file = fileURLToPath(import.meta.resolve(VENDOR[path.slice(8)]!))
  if (!file || !existsSync(file)) return false
  const ext = file.slice(file.lastIndexOf('.'))
  // The browser has no import map here (an inline script the CSP would refuse): bare imports between the vendored modules point at their paths instead.
  const text = readFileSync(file, 'utf8').replace(/from\s*"preact"/g, 'from"/vendor/preact.mjs"')
  send(res, 200, text, TYPES[ext] ?? 'application/octet-stream')
  return true
}

/** GET /files/<conversation>/<fileId>: a finished download (or a file this device sent), as an attachment. */
export function serveDownloaded(account: Account, conversationId: string, fileId: string, res: ServerResponse): void {
  const info = account.fileTransferInfo(conversationId, fileId)
  if (!info || info.status !== 'finished' || !existsSync(info.path)) return send(res, 404, 'not downloaded here')
  const name = basename(info.path).replace(/["\\\r\n]/g, '_')
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(statSync(info.path).size),
    'content-disposition': `attachment; filename="${name}"`,
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  })
  createReadStream(info.path).pipe(res)
}

/**
 * POST /upload?name=<file name>: stores the body under `<account>/uploads/<random>/<name>`
 * and answers `{"path"}` for sendFile. Refused over the account's file size limit, and
 * removed again if the body breaks off.
 */
export function receiveUpload(account: Account, req: IncomingMessage, res: ServerResponse, name: string): void {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (!Number.isFinite(declared)) return send(res, 411, 'content-length required')
  if (declared > account.maxFileSize) return send(res, 413, `larger than ${account.maxFileSize} bytes`)
  const dir = join(account.dir, 'uploads', randomBytes(8).toString('hex'))
  mkdirSync(dir, { recursive: true })
  const path = join(dir, fileNameOr(name, 'file'))
  const out = createWriteStream(path, { mode: 0o600 })
  let received = 0
  req.on('data', (chunk: Buffer) => {
    received += chunk.length
    if (received > declared) req.destroy()
  })
  const fail = () => {
    out.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
  req.pipe(out)
  out.on('finish', () => {
    if (received === declared) return send(res, 200, JSON.stringify({ path }), 'application/json')
    fail()
    send(res, 400, 'the body broke off')
  })
  req.on('aborted', fail)
  req.on('error', fail)
  out.on('error', () => {
    fail()
    if (!res.headersSent) send(res, 500, 'cannot store the upload')
  })
}
