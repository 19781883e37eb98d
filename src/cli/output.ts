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
