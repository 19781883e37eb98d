/**
 * `gitswarm graph <repo>`: the commit graph as SVG (./graph-svg.ts), checked first — rejected
 * commits are drawn red with the rule that rejected them. Windowed for long histories: the
 * newest `--max` commits (1,000 by default) within `--since`/`--until`.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js'
import { bodyOf } from '../../swarm/history-view.js'
import { dateOrder } from '../../swarm/order.js'
import { Conversation } from '../../swarm/conversation.js'
import { verifyRepository } from '../../swarm/verify.js'
import { writeFileAtomic } from '../../util/json-file.js'
import { field, parseCommitMessage } from '../../validation/commit-message.js'
import { intOption, parseArgs, positional } from '../args.js'
import { renderGraphSvg, type GraphCommit, type GraphKind } from '../graph-svg.js'
import { describeMessage, type Output } from '../output.js'

export const usage = 'gitswarm graph <repo> [-o out.svg] [--since DATE] [--until DATE] [--max N] [--json]'

const DEFAULT_MAX = 1000

function dateOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`--${name} is a date (2026-12-03, or 2026-12-03T10:00Z), got "${value}"`)
  return Math.floor(ms / 1000)
}

const KINDS: Record<string, GraphKind> = {
  'text/plain': 'message',
  member: 'member',
  vote: 'vote',
  'application/update-profile': 'profile',
  'application/data-transfer+json': 'file',
  initial: 'initial',
}


/** The commits to draw, newest first, with rejections marked. */
export async function graphCommits(path: string, options: { since?: number; until?: number; max?: number } = {}): Promise<{ commits: GraphCommit[]; total: number; title: string }> {
  const report = await verifyRepository(path, { collectAll: true })
  const rejected = new Map(report.rejections.map((r) => [r.commit, r.rule]))
  const conv = Conversation.open(path, { readOnly: true })
  try {
    const nodes = new Map<string, { id: string; parents: string[]; time: number; message: string; author: string }>()
    const stack = [conv.head]
    while (stack.length > 0) {
      const id = stack.pop()!
      if (nodes.has(id)) continue
      const c = conv.view.commit(id)
      nodes.set(id, { id, parents: [...c.fields.parents], time: c.fields.author.timestamp, message: c.fields.message, author: c.fields.author.name })
      stack.push(...c.fields.parents)
    }
    const ordered = dateOrder(nodes, [conv.head])
    const inRange = ordered.filter((id) => {
      const t = nodes.get(id)!.time
      return (options.since === undefined || t >= options.since) && (options.until === undefined || t <= options.until)
    })
    const window = inRange.slice(0, options.max ?? DEFAULT_MAX)
    const commits = window.map((id) => {
      const n = nodes.get(id)!
      const parsed = parseCommitMessage(n.message)
      const type = n.parents.length > 1 ? 'merge' : parsed.ok ? field(parsed.value, 'type') || '?' : '?'
      const summary = type === 'merge' ? `merge of ${n.parents.length}` : parsed.ok ? describeMessage(type, bodyOf(conv, id)) : n.message.slice(0, 80)
      const d = { type, kind: type === 'merge' ? ('merge' as const) : (KINDS[type] ?? 'other'), summary }
      return { id, parents: n.parents, author: n.author, time: n.time, ...d, ...(rejected.has(id) ? { rejectedBy: rejected.get(id)! } : {}) }
    })
    const title = conv.profile().title ?? ''
    return { commits, total: ordered.length, title: `${title ? `${title} — ` : ''}${conv.id} (${commits.length} of ${ordered.length} commits)` }
  } finally {
    conv.close()
  }
}

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['output', 'since', 'until', 'max'], aliases: { o: 'output' } })
  const path = positional(args, 0, 'repository path')
  const max = intOption(args, 'max', DEFAULT_MAX)
  if (max < 1) throw new InvalidArgumentError('--max is at least 1')
  const { commits, total, title } = await graphCommits(path, { since: dateOption(args.values.get('since'), 'since'), until: dateOption(args.values.get('until'), 'until'), max })
  const svg = renderGraphSvg(commits, { title })
  const file = args.values.get('output')
  if (file) writeFileAtomic(file, svg)
  const edges = commits.reduce((n, c) => n + c.parents.length, 0)
  const rejected = commits.filter((c) => c.rejectedBy).length
  if (out.json) out.data({ path: file ?? null, commits: commits.length, total, edges, rejected })
  else if (file) out.line(`${file}: ${commits.length} of ${total} commits, ${edges} edges${rejected ? `, ${rejected} rejected` : ''}`)
  else process.stdout.write(svg)
  return 0
}
