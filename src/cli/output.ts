/**
 * Where a command's output goes: lines for people, one JSON document for scripts.
 * @module
 */

export interface Output {
  json: boolean
  line(text?: string): void
  error(text: string): void
  data(value: unknown): void
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    json,
    line: (text = '') => void stdout.write(text + '\n'),
    error: (text) => void stderr.write(text + '\n'),
    data: (value) => void stdout.write(JSON.stringify(value, null, 2) + '\n'),
  }
}

export function shortId(id: string): string {
  return id.slice(0, 10)
}

export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z')
}

/** One line for a message of any type, from its fields (log's text; graph's labels). */
export function describeMessage(type: string, b: Record<string, string>): string {
  switch (type) {
    case 'text/plain':
      if (b['react-to']) return `reacts ${b['body'] ?? ''}`
      if (b['edit']) return b['body'] === '' ? '[deleted]' : `edit: ${b['body'] ?? ''}`
      return (b['reply-to'] ? `(reply to ${shortId(b['reply-to'])}) ` : '') + (b['body'] === '' ? '[deleted]' : b['body'] ?? '')
    case 'member':
      return `${b['action']} ${b['uri']}`
    case 'vote':
      return `vote on ${b['uri']}`
    case 'initial':
      return `created (mode ${b['mode']}${b['invited'] ? `, with ${b['invited']}` : ''})`
    case 'application/update-profile':
      return 'updated the profile'
    case 'application/data-transfer+json':
      return b['tid'] ? `file ${b['displayName']} (${b['totalSize']} bytes)` : '[file deleted]'
    case 'application/call-history+json':
      return `call ${b['duration'] !== undefined ? `${b['duration']} ms` : 'started'}${b['reason'] ? ` (${b['reason']})` : ''}`
    default:
      return `${type} ${JSON.stringify(b)}`
  }
}
