/**
 * JSON-RPC 2.0 framing for the daemon: a text frame in (one request, a notification, or a
 * batch), the answer out. Errors follow the spec — an integer `code`, a `message`, `data` — and
 * gitswarm's typed errors keep their stable string code in `data.code` (and the class in
 * `data.name`), with an integer of their own from RPC_ERROR_CODES. Pure but for the call.
 * @module
 */
import { GitswarmError } from '../errors.js'

export type Id = string | number | null

export interface RpcError {
  code: number
  message: string
  data?: { name: string; code: string; details: Record<string, unknown> }
}

export type Response = { jsonrpc: '2.0'; id: Id; result: unknown } | { jsonrpc: '2.0'; id: Id; error: RpcError }

/** JSON-RPC's own codes. */
export const PARSE_ERROR = -32700
export const INVALID_REQUEST = -32600
export const METHOD_NOT_FOUND = -32601
export const INVALID_PARAMS = -32602
export const INTERNAL_ERROR = -32603

/**
 * The JSON-RPC error code of each gitswarm error code. Fixed numbers (a new class gets the
 * next free one), so a client may switch on either. Bad arguments are the spec's -32602.
 */
export const RPC_ERROR_CODES: Readonly<Record<string, number>> = {
  ERR_INVALID_ARGUMENT: INVALID_PARAMS,
  ERR_NOT_FOUND: -32001,
  ERR_NOT_A_REPOSITORY: -32002,
  ERR_CORRUPT_OBJECT: -32003,
  ERR_BAD_PASSPHRASE: -32004,
  ERR_LOCKED: -32005,
  ERR_REF_CONFLICT: -32006,
  ERR_INVALID_COMMIT: -32007,
  ERR_UNAUTHORIZED: -32008,
  ERR_INVALID_STATE: -32009,
  ERR_INVALID_MODE: -32010,
  ERR_INVALID_CERTIFICATE: -32011,
  ERR_ALREADY_EXISTS: -32012,
  ERR_LIMIT_EXCEEDED: -32013,
  ERR_CHANNEL_REFUSED: -32014,
  ERR_CHANNEL_RESET: -32015,
  ERR_CONNECTION_FAILED: -32016,
  ERR_PROTOCOL: -32017,
  ERR_INVALID_PATH: -32018,
  ERR_DISK_FULL: -32019,
  ERR_INTEGRITY: -32020,
  ERR_TIMEOUT: -32021,
  ERR_METHOD_NOT_FOUND: METHOD_NOT_FOUND,
}

/** The JSON-RPC error for something thrown by a method. */
export function rpcErrorOf(err: unknown): RpcError {
  if (err instanceof GitswarmError) {
    return { code: RPC_ERROR_CODES[err.code] ?? -32000, message: err.message, data: { name: err.name, code: err.code, details: err.data } }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { code: INTERNAL_ERROR, message, data: { name: 'Error', code: 'ERR_UNEXPECTED', details: {} } }
}

const failure = (id: Id, code: number, message: string): Response => ({ jsonrpc: '2.0', id, error: { code, message } })

function idOf(request: unknown): Id | undefined {
  if (request === null || typeof request !== 'object' || !('id' in request)) return undefined
  const id = (request as { id: unknown }).id
  return typeof id === 'string' || typeof id === 'number' || id === null ? id : null
}

/** Calls a method by name with positional params; throws to answer with an error. */
export type Call = (method: string, params: unknown[]) => unknown

async function answer(request: unknown, call: Call): Promise<Response | undefined> {
  const id = idOf(request)
  const r = request as { jsonrpc?: unknown; method?: unknown; params?: unknown }
  if (r === null || typeof r !== 'object' || Array.isArray(r) || r.jsonrpc !== '2.0' || typeof r.method !== 'string') {
    return failure(id ?? null, INVALID_REQUEST, 'not a JSON-RPC 2.0 request')
  }
  if (r.params !== undefined && !Array.isArray(r.params)) return failure(id ?? null, INVALID_PARAMS, 'params must be an array (positional)')
  try {
    const result = await call(r.method, (r.params as unknown[] | undefined) ?? [])
    return id === undefined ? undefined : { jsonrpc: '2.0', id, result: result ?? null }
  } catch (err) {
    return id === undefined ? undefined : { jsonrpc: '2.0', id, error: rpcErrorOf(err) }
  }
}

/**
 * The answer to one frame: a response, an array of responses (a batch), or undefined (only
 * notifications were sent). Requests of a batch run one after another, in order.
 */
export async function handleFrame(text: string, call: Call): Promise<Response | Response[] | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return failure(null, PARSE_ERROR, 'the frame is not JSON')
  }
  if (!Array.isArray(parsed)) return answer(parsed, call)
  if (parsed.length === 0) return failure(null, INVALID_REQUEST, 'an empty batch')
  const out: Response[] = []
  for (const request of parsed) {
    const a = await answer(request, call)
    if (a) out.push(a)
  }
  return out.length > 0 ? out : undefined
}

/** A notification frame. */
export function notification(method: string, params: unknown[]): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params }, jsonReplacer)
}

/** JSON for what events carry: errors as their typed JSON, bytes as hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof GitswarmError) return value.toJSON()
  if (value instanceof Error) return { name: value.name, code: (value as { code?: string }).code ?? 'ERR_UNEXPECTED', message: value.message, data: {} }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('hex')
  }
  return value
}
