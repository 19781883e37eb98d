/**
 * A conversation's commit graph drawn as SVG, newest at the top: one lane per line of
 * history (a commit continues its first child's lane; a merge's other parents open lanes of
 * their own), one circle per commit, one path per parent link. Membership events and votes
 * are diamonds, profile updates squares, the root a larger circle, merges small ones, rejected commits red with their rule id. Pure: commits
 * in, text out.
 * @module
 */

export type GraphKind = 'message' | 'member' | 'vote' | 'profile' | 'file' | 'initial' | 'merge' | 'other'

export interface GraphCommit {
  id: string
  parents: string[]
  author: string
  /** The message type (text/plain, member, …). */
  type: string
  kind: GraphKind
  /** A short line: the text, `ban <uri>`, a file name. */
  summary: string
  /** Unix seconds. */
  time: number
  /** The rule that rejected it, if it was. */
  rejectedBy?: string
}

const ROW = 28
const LANE = 18
const LEFT = 16
const RADIUS = 6
const TEXT_GAP = 24
const MAX_SUMMARY = 60

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#9d755d', '#e45756', '#72b7b2', '#eeca3b']

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
}

/** Control characters are not allowed in XML 1.0, and long lines help nobody. */
function clean(text: string, max = MAX_SUMMARY): string {
  const flat = [...text.replace(/[\u0000-\u001f\u007f\ud800-\udfff\ufffe\uffff]/g, ' ')].slice(0, max + 1)
  return flat.length > max ? flat.slice(0, max).join('') + '…' : flat.join('')
}

/**
 * Lanes for commits given newest first (each after all its children): a commit takes the
 * lane reserved for it by a child, else the first free one; its first parent inherits the
 * lane, other parents get one each.
 */
export function assignLanes(commits: readonly GraphCommit[]): Map<string, number> {
  const lanes: Array<string | undefined> = []
  const out = new Map<string, number>()
  for (const c of commits) {
    let lane = lanes.indexOf(c.id)
    if (lane < 0) {
      lane = lanes.indexOf(undefined)
      if (lane < 0) lane = lanes.length
    }
    // Other lanes waiting for this same commit (two children) are free again.
    for (let i = 0; i < lanes.length; i++) if (lanes[i] === c.id) lanes[i] = undefined
    out.set(c.id, lane)
    const [first, ...others] = c.parents
    lanes[lane] = first
    for (const p of others) {
      if (lanes.includes(p)) continue
      const free = lanes.indexOf(undefined)
      if (free >= 0) lanes[free] = p
      else lanes.push(p)
    }
    while (lanes.length > 0 && lanes[lanes.length - 1] === undefined) lanes.pop()
  }
  return out
}

function nodeShape(c: GraphCommit, x: number, y: number, color: string): string {
  const title = `<title>${escapeXml(`${c.id}\n${c.author} · ${c.type}${c.rejectedBy ? `\nrejected by ${c.rejectedBy}` : ''}`)}</title>`
  const fill = c.rejectedBy ? '#d62728' : color
  const attrs = `class="node kind-${c.kind}${c.rejectedBy ? ' rejected' : ''}" data-id="${c.id}" fill="${fill}" stroke="#222" stroke-width="1"`
  if (c.kind === 'member' || c.kind === 'vote') {
    const r = RADIUS + 1
    return `<polygon ${attrs} points="${x},${y - r} ${x + r},${y} ${x},${y + r} ${x - r},${y}">${title}</polygon>`
  }
  if (c.kind === 'profile') return `<rect ${attrs} x="${x - RADIUS}" y="${y - RADIUS}" width="${2 * RADIUS}" height="${2 * RADIUS}">${title}</rect>`
  const r = c.kind === 'merge' ? RADIUS - 2 : c.kind === 'initial' ? RADIUS + 2 : RADIUS
  return `<circle ${attrs} cx="${x}" cy="${y}" r="${r}">${title}</circle>`
}

/** The SVG document for `commits` (newest first). Parents outside the list get an edge to the bottom. */
export function renderGraphSvg(commits: readonly GraphCommit[], options: { title?: string } = {}): string {
  const lanes = assignLanes(commits)
  const row = new Map(commits.map((c, i) => [c.id, i]))
  const laneCount = Math.max(1, ...[...lanes.values()].map((l) => l + 1))
  const textX = LEFT + laneCount * LANE + TEXT_GAP
  const height = (commits.length + 1) * ROW + 20
  const width = textX + 760
  const x = (lane: number) => LEFT + lane * LANE + LANE / 2
  const y = (r: number) => 30 + r * ROW
  const edges: string[] = []
  const nodes: string[] = []
  const labels: string[] = []
  commits.forEach((c, i) => {
    const lane = lanes.get(c.id)!
    c.parents.forEach((p, k) => {
      const pr = row.get(p)
      const [x1, y1] = [x(lane), y(i)]
      const outside = pr === undefined
      const x2 = outside ? x1 : x(lanes.get(p)!)
      const y2 = outside ? height - 4 : y(pr)
      const color = COLORS[(k === 0 ? lane : lanes.get(p) ?? lane) % COLORS.length]
      const d = x1 === x2 ? `M${x1},${y1} L${x2},${y2}` : `M${x1},${y1} C${x1},${y1 + ROW * 0.8} ${x2},${y1 + ROW * 0.2} ${x2},${Math.min(y2, y1 + ROW)} L${x2},${y2}`
      edges.push(`<path class="edge${outside ? ' outside' : ''}" data-from="${c.id}" data-to="${p}" d="${d}" fill="none" stroke="${color}" stroke-width="2"${outside ? ' stroke-dasharray="3,3"' : ''}/>`)
    })
    nodes.push(nodeShape(c, x(lane), y(i), COLORS[lane % COLORS.length]!))
    const when = new Date(c.time * 1000).toISOString().slice(0, 16).replace('T', ' ')
    const rejected = c.rejectedBy ? ` <tspan fill="#d62728" font-weight="bold">rejected: ${escapeXml(c.rejectedBy)}</tspan>` : ''
    labels.push(
      `<text x="${textX}" y="${y(i) + 4}" font-family="monospace" font-size="12"${c.rejectedBy ? ' fill="#d62728"' : ''}>` +
        `<tspan fill="#888">${c.id.slice(0, 8)} ${when}</tspan> <tspan font-weight="bold">${escapeXml(clean(c.author, 24))}</tspan> ` +
        `<tspan fill="#555">${escapeXml(c.type)}</tspan> ${escapeXml(clean(c.summary))}${rejected}</text>`,
    )
  })
  const title = options.title ? `<text x="${LEFT}" y="16" font-family="sans-serif" font-size="13" font-weight="bold">${escapeXml(clean(options.title, 120))}</text>` : ''
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    title,
    `<g class="edges">${edges.join('')}</g>`,
    `<g class="nodes">${nodes.join('')}</g>`,
    `<g class="labels">${labels.join('')}</g>`,
    `</svg>`,
    '',
  ].join('\n')
}
