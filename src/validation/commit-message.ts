/**
 * Commit message JSON as jsoncpp's StreamWriterBuilder writes it for Jami: compact, keys in
 * sorted order, `"` `\\` and control characters escaped, every non-ASCII character as a
 * lower-case `\uXXXX` (UTF-16 surrogate pairs above the BMP). Parsing accepts any JSON object.
 * @module
 */

/** A commit message's fields: strings, except `mode` (an integer) in initial commits. */
export type CommitMessage = Record<string, string | number>

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' }

function quote(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const short = SHORT_ESCAPES[c]
    if (short) out += short
    else if (c < 0x20 || c > 0x7e && c !== 0x7f) out += '\\u' + c.toString(16).padStart(4, '0')
    else out += s[i]
  }
  return out + '"'
}

/** Serialises like jsoncpp (Jami): sorted keys, no spaces, ASCII-only output. */
export function serializeCommitMessage(message: CommitMessage): string {
  const keys = Object.keys(message).sort()
  const parts: string[] = []
  for (const k of keys) {
    const v = message[k]
    if (v === undefined) continue
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new TypeError(`commit message field "${k}" must be an integer`)
      parts.push(`${quote(k)}:${v}`)
    } else parts.push(`${quote(k)}:${quote(v)}`)
  }
  return `{${parts.join(',')}}`
}

export type ParsedMessage = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string }

/** Parses any JSON object (other engines may format differently). Merge messages are not JSON. */
export function parseCommitMessage(text: string): ParsedMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'message is not JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'message is not a JSON object' }
  return { ok: true, value: value as Record<string, unknown> }
}

/** A string field, or '' when absent or not a string (jsoncpp's `asString` defaults). */
export function field(message: Record<string, unknown>, key: string): string {
  const v = message[key]
  return typeof v === 'string' ? v : ''
}

/** Jami treats any message starting with "Merge commit" as a merge. */
export function isMergeMessage(text: string): boolean {
  return text.startsWith('Merge commit') || text.startsWith('Merge branch')
}
