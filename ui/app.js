// The gitswarm web client: one page talking to its node over the daemon API (./rpc.js).
// Preact with htm (no build step); the node serves both from the installed packages.
import { h, render } from '/vendor/preact.mjs'
import { useEffect, useState, useCallback } from '/vendor/hooks.mjs'
import htm from '/vendor/htm.mjs'
import { Rpc } from './rpc.js'
import { ConversationView } from './conversation.js'
import { shortUri } from './format.js'

const html = htm.bind(h)

/** A conversation's name: its title, or for a one-to-one the other member's name. */
function titleOf(infos, members, me, contacts) {
  if (infos.title) return infos.title
  const other = members.find((m) => m.uri !== me.uri)
  if (infos.mode === '0' && other) return contacts.find((c) => c.uri === other.uri)?.name || shortUri(other.uri)
  return infos.syncing ? 'joining…' : `group ${members.length}`
}

function TopBar({ me }) {
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    await navigator.clipboard?.writeText(me.toxId).catch(() => {})
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }
  return html`<header class="top">
    <strong class="me">${me.displayName}</strong>
    <span class="label">Tox ID</span>
    <code class="tox-id" title="give this to contacts">${me.toxId}</code>
    <button class="copy" onClick=${copy}>${copied ? 'copied' : 'copy'}</button>
  </header>`
}

function Requests({ rpc, trust, invitations, refresh, fail }) {
  const act = (fn) => () => fn().then(refresh, fail)
  if (trust.length === 0 && invitations.length === 0) return null
  return html`<section class="requests">
    <h3>Requests</h3>
    ${trust.map((r) => html`<div class="request trust" key=${r.uri}>
      <span>${r.name || shortUri(r.uri)} wants to be a contact</span>
      <button class="accept-contact" onClick=${act(() => rpc.call('acceptTrustRequest', r.uri))}>Accept</button>
      <button class="discard" onClick=${act(() => rpc.call('discardTrustRequest', r.uri))}>Discard</button>
    </div>`)}
    ${invitations.map((r) => html`<div class="request invitation" key=${r.id}>
      <span>Invitation to ${r.metadatas.title || 'a conversation'} from ${shortUri(r.from)}</span>
      <button class="accept-invitation" onClick=${act(() => rpc.call('acceptConversationRequest', r.id))}>Join</button>
      <button class="decline" onClick=${act(() => rpc.call('declineConversationRequest', r.id))}>Decline</button>
    </div>`)}
  </section>`
}

function AddContact({ rpc, refresh, fail }) {
  const [toxId, setToxId] = useState('')
  const submit = (e) => {
    e.preventDefault()
    rpc.call('addContact', toxId.trim()).then(() => (setToxId(''), refresh()), fail)
  }
  return html`<form class="add-contact" onSubmit=${submit}>
    <input name="tox-id" placeholder="Add a contact by Tox ID" value=${toxId} onInput=${(e) => setToxId(e.target.value)} />
    <button type="submit">Add</button>
  </form>`
}

function Sidebar({ rpc, state, current, open, refresh, fail }) {
  const newGroup = () => rpc.call('startConversation', { title: 'New group' }).then((id) => (refresh(), open(id)), fail)
  return html`<aside class="side">
    <${AddContact} rpc=${rpc} refresh=${refresh} fail=${fail} />
    <${Requests} rpc=${rpc} trust=${state.trust} invitations=${state.invitations} refresh=${refresh} fail=${fail} />
    <section class="conversations">
      <h3>Conversations <button class="new-group" onClick=${newGroup}>+ group</button></h3>
      ${state.conversations.map((c) => html`<div key=${c.id} class=${`conversation ${c.id === current ? 'open' : ''}`} data-id=${c.id} onClick=${() => open(c.id)}>
        <span class="title">${c.title}</span>
        ${c.unread > 0 ? html`<span class="unread">${c.unread}</span>` : null}
      </div>`)}
    </section>
    <section class="contacts">
      <h3>Contacts</h3>
      ${state.contacts.map((c) => html`<div class="contact" key=${c.uri || c.added} data-uri=${c.uri}><span class=${`presence ${state.presence[c.uri] === 2 ? 'on' : ''}`} title=${state.presence[c.uri] === 2 ? 'connected' : 'away'}></span>${c.name || shortUri(c.uri) || 'pending…'} ${c.confirmed ? '' : html`<em>(waiting)</em>`}</div>`)}
    </section>
  </aside>`
}

/** Messages from others (texts and files) after the last one this account displayed (on any of its devices), up to 100. */
async function unreadSince(rpc, id, last, me) {
  const page = await rpc.call('loadConversation', id, { n: 100, ...(last ? { until: last } : {}) }).catch(() => [])
  return page.filter((m) => m.id !== last && m.author !== me.uri && (m.type === 'text/plain' || m.type === 'application/data-transfer+json')).length
}

async function loadState(rpc, me, unread) {
  const [contacts, trust, invitations, ids] = await Promise.all([rpc.call('getContacts'), rpc.call('getTrustRequests'), rpc.call('getConversationRequests'), rpc.call('getConversations')])
  const conversations = await Promise.all(
    ids.map(async (id) => {
      const infos = await rpc.call('conversationInfos', id)
      const members = infos.syncing ? [] : await rpc.call('getConversationMembers', id)
      const last = members.find((m) => m.uri === me.uri)?.lastDisplayed
      if (!(id in unread) && !infos.syncing) unread[id] = await unreadSince(rpc, id, last, me)
      return { id, title: titleOf(infos, members, me, contacts), unread: unread[id] ?? 0 }
    }),
  )
  const shown = contacts.filter((c) => !c.removed)
  const presence = Object.fromEntries(await Promise.all(shown.filter((c) => c.uri).map(async (c) => [c.uri, await rpc.call('getPresence', c.uri).catch(() => 0)])))
  return { contacts: shown, trust, invitations: invitations.filter((r) => !r.declined), conversations, presence }
}

function App({ rpc, me }) {
  const [state, setState] = useState({ contacts: [], trust: [], invitations: [], conversations: [], presence: {} })
  const [current, setCurrent] = useState(undefined)
  const [error, setError] = useState(undefined)
  const [unread] = useState({})
  const fail = useCallback((e) => setError(`${e.code ? `${e.code}: ` : ''}${e.message}`), [])
  const refresh = useCallback(() => loadState(rpc, me, unread).then(setState, fail), [])
  useEffect(() => {
    refresh()
    rpc.onclose = (reason) => setError(`disconnected: ${reason}`)
    return rpc.listen((event, params) => {
      if (event === 'swarmMessageReceived') {
        const [id, message] = params
        if (id !== window.gitswarmOpen && message.author !== me.uri && (message.type === 'text/plain' || message.type === 'application/data-transfer+json')) unread[id] = (unread[id] ?? 0) + 1
        refresh()
      } else if (/^(contact|trustRequest|presence|conversation(Ready|Removed|Request|ProfileUpdated|MemberEvent))/.test(event)) refresh()
    })
  }, [])
  const open = (id) => {
    window.gitswarmOpen = id
    unread[id] = 0
    setCurrent(id)
    refresh()
  }
  return html`<div class="layout">
    <${TopBar} me=${me} />
    ${error ? html`<div class="error" onClick=${() => setError(undefined)}>${error}</div>` : null}
    <${Sidebar} rpc=${rpc} state=${state} current=${current} open=${open} refresh=${refresh} fail=${fail} />
    <main class="main">
      ${current
        ? html`<${ConversationView} key=${current} rpc=${rpc} id=${current} me=${me} contacts=${state.contacts} fail=${fail} />`
        : html`<p class="empty">Pick a conversation, or add a contact by Tox ID.</p>`}
    </main>
  </div>`
}

async function main() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  const root = document.getElementById('app')
  if (!token) return render(html`<p class="boot">Open the address the node printed: it carries the token (#token=…).</p>`, root)
  const rpc = new Rpc(token)
  try {
    await rpc.connect()
    await rpc.call('subscribe')
    const me = await rpc.call('getAccountDetails')
    document.title = `gitswarm — ${me.displayName}`
    render(html`<${App} rpc=${rpc} me=${me} />`, root)
  } catch (e) {
    render(html`<p class="boot">${e.message}</p>`, root)
  }
}

main()
