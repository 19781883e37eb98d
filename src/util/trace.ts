/**
 * Opt-in tracing to stderr for what events do not show (which peer was asked, what a fetch
 * gave): `GITSWARM_TRACE=delivery,merge` (or `*`) turns topics on. Off, a trace call costs a
 * property read; nothing is formatted.
 * @module
 */

const topics = new Set((process.env['GITSWARM_TRACE'] ?? '').split(',').map((t) => t.trim()).filter(Boolean))

/** A tracer for `topic`, or undefined when that topic is off (call it as `tracer?.(…)`). */
export function tracer(topic: string): ((message: string) => void) | undefined {
  if (!topics.has(topic) && !topics.has('*')) return undefined
  return (message) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${topic} ${message}\n`)
}
