/**
 * A small JSON-RPC client over a WebSocket for tests: calls with ids, notifications kept in
 * arrival order, waiting for one with a bound in time.
 * @module
 */
import WebSocket from 'ws'

export interface Notification {
  method: string
  params: unknown[]
}

export class RpcClient {
  readonly notifications: Notification[] = []
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error & { rpc?: unknown }) => void }>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { id?: number; method?: string; params?: unknown[]; result?: unknown; error?: { code: number; message: string } }
      if (frame.method) return void this.notifications.push({ method: frame.method, params: frame.params ?? [] })
      const p = this.pending.get(frame.id!)
      if (!p) return
      this.pending.delete(frame.id!)
      if (frame.error) p.reject(Object.assign(new Error(frame.error.message), { rpc: frame.error }))
      else p.resolve(frame.result)
    })
  }

  /** Connects; rejects with the HTTP status when the upgrade is refused. */
  static connect(url: string, options: { token?: string; origin?: string } = {}): Promise<RpcClient> {
    const target = options.token ? `${url}?token=${options.token}` : url
    const ws = new WebSocket(target, options.origin ? { origin: options.origin } : {})
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RpcClient(ws)))
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode })))
      ws.once('error', reject)
    })
  }

  call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /** The first notification (already here or coming) for which `match` holds. */
  next(method: string, match: (params: unknown[]) => boolean = () => true, timeoutMs = 20_000): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const end = Date.now() + timeoutMs
      const poll = () => {
        const hit = this.notifications.find((n) => n.method === method && match(n.params))
        if (hit) return resolve(hit.params)
        if (Date.now() > end) return reject(new Error(`no ${method} notification within ${timeoutMs} ms; got ${this.notifications.map((n) => n.method).join(', ')}`))
        setTimeout(poll, 10)
      }
      poll()
    })
  }

  close(): void {
    this.ws.terminate()
  }
}
