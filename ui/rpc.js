// The daemon API from the browser: JSON-RPC 2.0 over the node's WebSocket, with the token
// from this page's URL fragment (never sent to the server in a request line or Referer).

export class Rpc {
  constructor(token) {
    this.token = token
    this.nextId = 1
    this.pending = new Map()
    this.handlers = new Set()
    this.onclose = () => {}
  }

  connect() {
    const url = `ws://${location.host}/rpc?token=${encodeURIComponent(this.token)}`
    this.ws = new WebSocket(url)
    this.ws.onmessage = (e) => {
      const frame = JSON.parse(e.data)
      if (frame.method) {
        for (const h of this.handlers) h(frame.method, frame.params)
        return
      }
      const p = this.pending.get(frame.id)
      if (!p) return
      this.pending.delete(frame.id)
      if (frame.error) p.reject(Object.assign(new Error(frame.error.message), { code: frame.error.data?.code ?? frame.error.code }))
      else p.resolve(frame.result)
    }
    this.ws.onclose = (e) => this.onclose(e.reason || 'the connection to the node closed')
    return new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve()
      this.ws.onerror = () => reject(new Error('cannot reach the node (wrong token or node stopped)'))
    })
  }

  call(method, ...params) {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /** Hears every notification: handler(eventName, params). */
  listen(handler) {
    this.handlers.add(handler)
    return () => this.handlers.delete(handler)
  }

  /** Uploads a file to the node's machine; resolves with its path there. */
  async upload(file) {
    const res = await fetch(`/upload?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file, headers: { 'x-gitswarm-token': this.token } })
    if (!res.ok) throw new Error(`upload refused: ${res.status} ${await res.text()}`)
    return (await res.json()).path
  }

  fileUrl(conversationId, fileId) {
    return `/files/${conversationId}/${encodeURIComponent(fileId)}?token=${encodeURIComponent(this.token)}`
  }
}
