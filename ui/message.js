// One message of a conversation: text or file, its reply quote, reactions and actions.
import { h } from '/vendor/preact.mjs'
import htm from '/vendor/htm.mjs'
import { shortUri, size, time } from './format.js'

const html = htm.bind(h)
export const QUICK_REACTIONS = ['👍', '❤️', '😂']
export const SHOWN_TYPES = new Set(['text/plain', 'application/data-transfer+json', 'member', 'initial', 'application/update-profile'])

function systemLine(m, nameOf) {
  if (m.type === 'initial') return 'conversation created'
  if (m.type === 'application/update-profile') return `${nameOf(m.author)} updated the conversation`
  const verbs = { add: 'invited', join: 'joined', remove: 'left', ban: 'banned', unban: 'unbanned' }
  const who = m.body.uri && m.body.uri !== m.author ? ` ${nameOf(m.body.uri)}` : ''
  return m.body.action === 'join' || m.body.action === 'remove' && !who ? `${nameOf(m.body.uri || m.author)} ${verbs[m.body.action]}` : `${nameOf(m.author)} ${verbs[m.body.action] ?? m.body.action}${who}`
}

function FilePart({ m, mine, transfer, download, fileUrl }) {
  const finished = transfer?.code === 'finished'
  const name = html`<span class="file-name">📎 ${m.body.displayName}</span> <span class="file-size">${size(m.body.totalSize)}</span>`
  // Sent from this account: hosted here, nothing to download.
  if (mine) return html`<div class="file">${name} <span class="transfer-state">shared</span></div>`
  return html`<div class="file">
    ${name}
    ${transfer ? html`<progress class="transfer" value=${transfer.bytes} max=${transfer.total || 1}></progress> <span class="transfer-state">${transfer.code}</span>` : null}
    ${finished ? html`<a class="save" href=${fileUrl} download=${m.body.displayName}>Save</a>` : html`<button class="download" onClick=${download}>Download</button>`}
  </div>`
}

/** Props: m (SwarmMessage), mine, nameOf, quoted (message replied to), seenBy (members who displayed it), transfer, handlers. */
export function Message({ m, mine, me, nameOf, quoted, seenBy = [], transfer, fileUrl, on }) {
  if (m.type !== 'text/plain' && m.type !== 'application/data-transfer+json') return html`<div class="system" data-id=${m.id}>${systemLine(m, nameOf)} · ${time(m.timestamp)}</div>`
  const deleted = m.type === 'text/plain' ? m.body.body === '' : m.body.tid === '' || m.body.deleted === 'true'
  const counts = new Map()
  for (const r of m.reactions ?? []) counts.set(r.emoji, [...(counts.get(r.emoji) ?? []), r])
  return html`<div class=${`msg ${mine ? 'mine' : ''}`} data-id=${m.id}>
    <div class="meta"><span class="author">${nameOf(m.author)}</span> <time>${time(m.timestamp)}</time>${m.editions?.length && !deleted ? html` <em class="edited">(edited)</em>` : null}${seenBy.length > 0 ? html` <span class="seen" title=${`seen by ${seenBy.map(nameOf).join(', ')}`}>✓✓ seen</span>` : null}</div>
    ${quoted !== undefined ? html`<div class="quote">↪ ${quoted ? `${nameOf(quoted.author)}: ${quoted.body.body ?? quoted.body.displayName ?? ''}` : 'an earlier message'}</div>` : null}
    ${deleted ? html`<div class="body deleted">message deleted</div>` : m.type === 'text/plain' ? html`<div class="body">${m.body.body}</div>` : html`<${FilePart} m=${m} mine=${mine} transfer=${transfer} download=${on.download} fileUrl=${fileUrl} />`}
    ${counts.size > 0 ? html`<div class="reactions">${[...counts].map(([emoji, rs]) => {
      const own = rs.find((r) => r.author === me.uri)
      return html`<button class=${`reaction ${own ? 'own' : ''}`} title=${rs.map((r) => nameOf(r.author)).join(', ')} onClick=${() => (own ? on.unreact(own.id) : on.react(emoji))}>${emoji} ${rs.length}</button>`
    })}</div>` : null}
    ${deleted ? null : html`<div class="actions">
      <button class="reply" onClick=${on.reply}>reply</button>
      ${QUICK_REACTIONS.map((e) => html`<button class="react" data-emoji=${e} onClick=${() => on.react(e)}>${e}</button>`)}
      ${mine && m.type === 'text/plain' ? html`<button class="edit" onClick=${on.edit}>edit</button>` : null}
      ${mine ? html`<button class="delete" onClick=${on.remove}>delete</button>` : null}
    </div>`}
  </div>`
}

export { shortUri }
