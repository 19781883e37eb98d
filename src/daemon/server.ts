/**
 * The daemon: a started Account served to other programs over JSON-RPC 2.0 — on the Unix
 * socket `<account dir>/node.sock` (0600, one JSON object a line) and on a WebSocket at
 * `ws://127.0.0.1:<port>/rpc` (the token of ./token.ts required, a foreign `Origin` refused),
 * with the web client on the same port when asked for. Where to connect is written to
 * `<account dir>/node.json` while it runs. Methods and notifications: ./api.ts.
 * @module
 */
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Account } from '../account/account.js'
import { NOTIFICATION_NAMES } from './api.js'
import { receiveUpload, send, serveDownloaded, serveUi } from './http-routes.js'
import { ClientSession, DEFAULT_MAX_UNREAD, type ClientTransport } from './session.js'
import { daemonToken, tokenMatches } from './token.js'

/** Largest frame a client may send (a request), in bytes. */
export const MAX_FRAME = 1024 * 1024

/** How serveDaemon serves an account. */
export interface DaemonOptions {
  /** TCP port of the WebSocket (and web client) on 127.0.0.1; 0 (default) takes a free one. */
  port?: number
  /** Also serve the web client at `/`. */
  ui?: boolean
  /** Bytes a client may leave unread before it is dropped (default 4 MiB). */
  maxUnread?: number
  /** More for `<dir>/node.json` (the node's bootstrap address, so others on the machine can join through it). */
  info?: Record<string, unknown>
}

/** A running daemon. */
export interface Daemon {
  /** `ws://127.0.0.1:<port>/rpc` */
  readonly url: string
  /** The web client's address with the token in its fragment (when `ui`). */
  readonly uiUrl: string | undefined
  readonly token: string
  readonly port: number
  /** Clients connected now. */
  clients(): number
  /** Drops every client, stops listening, removes node.sock and node.json. */
  close(): Promise<void>
}

/** The daemon's Unix socket in an account directory: `<dir>/node.sock`. */
export function socketPath(dir: string): string {
  return join(dir, 'node.sock')
}

/** Where a running daemon says how to reach it (`{pid, url, ui?, socket, bootstrap, toxId}`): `<dir>/node.json`. */
export function daemonInfoPath(dir: string): string {
  return join(dir, 'node.json')
}

/** The Unix socket: one JSON-RPC frame a line each way. */
function serveUnixSocket(path: string, attach: (t: ClientTransport) => ClientSession): Promise<NetServer> {
  if (existsSync(path)) rmSync(path, { force: true })
  const server = createNetServer((socket: Socket) => {
    let buffered = ''
    const session = attach({
      send: (frame) => void socket.write(frame + '\n'),
      unread: () => socket.writableLength,
      close: () => void socket.destroy(),
    })
    socket.on('error', () => {})
    socket.on('close', () => session.drop('closed'))
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8')
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        if (line.trim()) session.receive(line)
      }
      if (buffered.length > MAX_FRAME) session.drop(`a frame over ${MAX_FRAME} bytes`)
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      chmodSync(path, 0o600)
      resolve(server)
    })
  })
}

/** Same-origin only: no Origin (a program, not a page), or this very address. */
function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
}

function presentedToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  return url.searchParams.get('token') ?? (req.headers['x-gitswarm-token'] as string | undefined) ?? null
}

/** Starts the daemon of a started account. Close it before stopping the account. */
export async function serveDaemon(account: Account, options: DaemonOptions = {}): Promise<Daemon> {
  const token = daemonToken(account.dir)
  const sessions = new Set<ClientSession>()
  const attach = (transport: ClientTransport): ClientSession => {
    const session: ClientSession = new ClientSession(account, transport, options.maxUnread ?? DEFAULT_MAX_UNREAD, () => sessions.delete(session))
    sessions.add(session)
    return session
  }
  const listeners = NOTIFICATION_NAMES.map((name) => {
    const listener = (...args: unknown[]) => {
      for (const s of sessions) s.notify(name, args)
    }
    account.on(name as never, listener as never)
    return [name, listener] as const
  })
  rmSync(join(account.dir, 'uploads'), { recursive: true, force: true })

  const unix = await serveUnixSocket(socketPath(account.dir), attach)
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME })
  let port = 0
  const http: HttpServer = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const files = /^\/files\/([0-9a-f]{40})\/([^/]+)$/.exec(url.pathname)
    if (files || url.pathname === '/upload') {
      if (!tokenMatches(presentedToken(req, url), token)) return send(res, 401, 'token required')
      if (!originAllowed(req.headers.origin, port)) return send(res, 403, 'foreign origin')
      if (files && req.method === 'GET') return serveDownloaded(account, files[1]!, decodeURIComponent(files[2]!), res)
      if (!files && req.method === 'POST') return receiveUpload(account, req, res, url.searchParams.get('name') ?? 'file')
      return send(res, 405, 'method not allowed')
    }
    if (req.method === 'GET' && options.ui && serveUi(url.pathname, res)) return
    send(res, 404, 'not found')
  })
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    socket.on('error', () => {})
    if (url.pathname !== '/rpc') return refuse('404 Not Found')
    if (!tokenMatches(presentedToken(req, url), token)) return refuse('401 Unauthorized')
    if (!originAllowed(req.headers.origin, port)) return refuse('403 Forbidden')
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const session = attach({
        send: (frame) => ws.send(frame),
        unread: () => ws.bufferedAmount,
        // 1008: policy violation; the reason says which (a slow subscriber, an oversized frame).
        close: (reason) => ws.close(1008, reason.slice(0, 120)),
      })
      ws.on('message', (data, isBinary) => (isBinary ? session.drop('binary frames are not JSON-RPC') : session.receive(data.toString())))
      ws.on('close', () => session.drop('closed'))
      ws.on('error', () => session.drop('error'))
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (http.address() as { port: number }).port
  const url = `ws://127.0.0.1:${port}/rpc`
  const uiUrl = options.ui ? `http://127.0.0.1:${port}/#token=${token}` : undefined
  writeFileSync(daemonInfoPath(account.dir), JSON.stringify({ pid: process.pid, url, ...(uiUrl ? { ui: `http://127.0.0.1:${port}/` } : {}), socket: socketPath(account.dir), ...options.info }) + '\n', { mode: 0o600 })

  return {
    url,
    uiUrl,
    token,
    port,
    clients: () => sessions.size,
    async close() {
      for (const [name, listener] of listeners) account.off(name as never, listener as never)
      for (const s of sessions) s.drop('the node is stopping')
      for (const client of wss.clients) client.terminate()
      rmSync(daemonInfoPath(account.dir), { force: true })
      const closed = Promise.all([new Promise((r) => unix.close(r)), new Promise((r) => http.close(r))])
      http.closeAllConnections()
      await closed
      rmSync(socketPath(account.dir), { force: true })
    },
  }
}
