/**
 * docs/daemon-api.md, printed from the method and notification list (./api.ts) and the
 * daemon's limits, with the Python client of docs/daemon-client.py inline.
 * @module
 */
import { ERROR_CLASSES, TimeoutError } from '../errors.js'
import { METHODS, NOTIFICATIONS, type ParamSpec } from './api.js'
import { RPC_ERROR_CODES } from './json-rpc.js'
import type { Schema } from './schema.js'
import { MAX_FRAME } from './server.js'
import { DEFAULT_MAX_UNREAD, HARD_FACTOR, STALL_MS } from './session.js'

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** A schema as compact JSON, without its description (said in its own column). */
function schemaText(schema: Schema): string {
  return JSON.stringify(schema, (key, value: unknown) => (key === 'description' ? undefined : value))
}

function signature(name: string, params: readonly ParamSpec[]): string {
  return `${name}(${params.map((p) => (p.optional ? `${p.name}?` : p.name)).join(', ')})`
}

function paramRows(params: readonly ParamSpec[]): string[] {
  if (params.length === 0) return ['No parameters.', '']
  return [
    '| # | name | schema | |',
    '|---|---|---|---|',
    ...params.map((p, i) => `| ${i + 1} | \`${p.name}\`${p.optional ? ' (optional)' : ''} | \`${cell(schemaText(p.schema))}\` | ${cell(p.schema.description ?? '')} |`),
    '',
  ]
}

export function renderDaemonApiDoc(pythonClient: string): string {
  const codes = [...ERROR_CLASSES, TimeoutError].map((E) => [E.name, E.code] as const)
  return [
    '# The daemon API',
    '',
    '<!-- Generated from src/daemon/api.ts by `npm run docs`; a test keeps it in step. -->',
    '',
    '`gitswarm node --account <dir>` keeps an account on the network and serves it to programs in',
    'any language as [JSON-RPC 2.0](https://www.jsonrpc.org/specification):',
    '',
    '- **Unix socket** `<dir>/node.sock` (mode 0600: only its owner can connect; no token): one JSON',
    '  object a line, each way.',
    '- **WebSocket** `ws://127.0.0.1:<port>/rpc` (port from `--api-port`, default a free one; the node',
    '  prints it and writes `<dir>/node.json` while it runs): one JSON object a text message. The',
    '  token in `<dir>/node.token` (mode 0600) is required, as `?token=` or `Authorization: Bearer`.',
    '  A browser\'s `Origin` must be the node\'s own address (`http://127.0.0.1:<port>`), so a web page',
    '  from elsewhere cannot drive the node even if it learns the port.',
    '',
    'Each method takes positional `params`; leave out (or pass `null` for) trailing optional ones.',
    '',
    '```json',
    '{"jsonrpc":"2.0","id":1,"method":"sendMessage","params":["<conversation id>","hi"]}',
    '{"jsonrpc":"2.0","id":1,"result":"<message id>"}',
    '```',
    '',
    'After `subscribe` (a list of event names, or none for all), the account\'s events arrive as',
    'notifications, with the event\'s arguments as `params`:',
    '',
    '```json',
    '{"jsonrpc":"2.0","method":"swarmMessageReceived","params":["<conversation id>",{"id":"…","type":"text/plain","body":{"body":"hi"},…}]}',
    '```',
    '',
    'Batches (arrays of requests) are answered in order. The CLI talks to a running node this way.',
    '',
    '## Limits',
    '',
    `- A frame (one request or batch) is at most ${MAX_FRAME} bytes; a larger one ends the connection.`,
    `- A client may leave up to ${DEFAULT_MAX_UNREAD} bytes unread (answers and notifications). One still over`,
    `  that ${STALL_MS} ms later, or over ${HARD_FACTOR} times that at any moment, is not reading: it is dropped`,
    '  (WebSocket close code 1008 with the reason) and the node and its other clients carry on.',
    '',
    '## Errors',
    '',
    'An error answer is `{"code", "message", "data"}`: `code` is JSON-RPC\'s integer, `data.code` the',
    'stable string code of gitswarm\'s error class (see errors.md), `data.name` the class, and',
    '`data.details` its structured data. Test `data.code`, never the message.',
    '',
    '| JSON-RPC code | meaning |',
    '|---|---|',
    '| -32700 | the frame is not JSON |',
    '| -32600 | not a JSON-RPC 2.0 request |',
    '| -32601 | no such method (`ERR_METHOD_NOT_FOUND`) |',
    '| -32602 | a parameter does not fit its schema, or a bad argument (`ERR_INVALID_ARGUMENT`); `data.details.param` names it |',
    '| -32603 | an unexpected failure (`ERR_UNEXPECTED`) |',
    ...codes
      .filter(([, code]) => RPC_ERROR_CODES[code]! > -32100 && RPC_ERROR_CODES[code]! <= -32000)
      .sort((a, b) => RPC_ERROR_CODES[b[1]]! - RPC_ERROR_CODES[a[1]]!)
      .map(([name, code]) => `| ${RPC_ERROR_CODES[code]} | \`${code}\` (${name}) |`),
    '',
    '## Files over HTTP',
    '',
    'Beside the WebSocket, on the same port, with the token (`?token=` or the `X-Gitswarm-Token` header):',
    '',
    '- `POST /upload?name=<file name>` with the file as the body: stored on the node\'s machine under',
    '  `<dir>/uploads/`; answers `{"path"}` to pass to `sendFile`. Refused over the account\'s file size limit.',
    '- `GET /files/<conversation id>/<file id>`: a file this device downloaded (`downloadFile`), as an attachment.',
    '',
    `## Methods (${METHODS.length})`,
    '',
    ...METHODS.flatMap((m) => [
      `### \`${signature(m.name, m.params)}\``,
      '',
      `${m.summary}${m.needsNode ? ' Only on a running node.' : ''}`,
      '',
      ...paramRows(m.params),
      `Result: \`${cell(schemaText(m.result))}\`${m.result.description ? ` — ${m.result.description}` : ''}`,
      '',
    ]),
    `## Notifications (${NOTIFICATIONS.length})`,
    '',
    ...NOTIFICATIONS.flatMap((n) => [`### \`${signature(n.name, n.params)}\``, '', n.summary, '', ...paramRows(n.params)]),
    '## A client in Python',
    '',
    'Only the standard library; a test runs it against a real node (`docs/daemon-client.py`).',
    '',
    '```python',
    pythonClient.trimEnd(),
    '```',
    '',
  ].join('\n')
}
