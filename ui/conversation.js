// One conversation: its messages (paging back through history, each of ours marked once a
// member has seen it), who is typing, the composer (write, reply, edit, send a file; it tells
// members while we type) and its members (invite, ban, rename for admins).
import { h } from '/vendor/preact.mjs'
import { useEffect, useRef, useState } from '/vendor/hooks.mjs'
import htm from '/vendor/htm.mjs'
import { Message, SHOWN_TYPES } from './message.js'
import { shortUri } from './format.js'

const html = htm.bind(h)
const PAGE = 30
/** While typing, members are told again this often (the engine forgets a typing state after 12 s). */
const COMPOSING_RENEW_MS = 5000

function Members({ rpc, id, me, members, contacts, infos, nameOf, fail }) {
  const admin = members.some((m) => m.uri === me.uri && m.role === 'admin')
  const [invitee, setInvitee] = useState('')
  const [title, setTitle] = useState(infos.title ?? '')
  const candidates = contacts.filter((c) => c.confirmed && c.uri && !members.some((m) => m.uri === c.uri && m.role !== 'left'))
  return html`<aside class="members">
    <h3>Members</h3>
    ${members.map((m) => html`<div class="member" key=${m.uri}>
      <span>${nameOf(m.uri)}</span> <span class=${`role ${m.role}`}>${m.role}</span>
      ${admin && m.uri !== me.uri && m.role !== 'banned' ? html`<button class="ban" onClick=${() => rpc.call('removeConversationMember', id, m.uri).catch(fail)}>ban</button>` : null}
    </div>`)}
    ${admin && infos.mode !== '0' ? html`<div class="admin">
      <select class="invitee" value=${invitee} onChange=${(e) => setInvitee(e.target.value)}>
        <option value="">invite a contact…</option>
        ${candidates.map((c) => html`<option value=${c.uri}>${c.name || shortUri(c.uri)}</option>`)}
      </select>
      <button class="invite" disabled=${!invitee} onClick=${() => rpc.call('addConversationMember', id, invitee).then(() => setInvitee(''), fail)}>Invite</button>
      <form class="rename" onSubmit=${(e) => (e.preventDefault(), rpc.call('updateConversationInfos', id, { title }).catch(fail))}>
        <input name="title" value=${title} onInput=${(e) => setTitle(e.target.value)} placeholder="title" />
        <button type="submit">Rename</button>
      </form>
    </div>` : null}
  </aside>`
}

function Composer({ rpc, id, replyTo, editing, clear, nameOf, fail }) {
  const [text, setText] = useState('')
  const file = useRef()
  const told = useRef(0)
  useEffect(() => setText(editing ? editing.body.body : ''), [editing])
  const composing = (on) => {
    if (on && Date.now() - told.current < COMPOSING_RENEW_MS) return
    told.current = on ? Date.now() : 0
    rpc.call('setIsComposing', id, on).catch(() => {})
  }
  const input = (e) => {
    setText(e.target.value)
    composing(e.target.value !== '')
  }
  const submit = (e) => {
    e.preventDefault()
    if (!text.trim()) return
    composing(false)
    const done = editing ? rpc.call('editMessage', id, editing.id, text) : rpc.call('sendMessage', id, text, replyTo ? { replyTo: replyTo.id } : null)
    done.then(() => (setText(''), clear()), fail)
  }
  const sendFile = async () => {
    const chosen = file.current.files[0]
    if (!chosen) return
    try {
      const path = await rpc.upload(chosen)
      await rpc.call('sendFile', id, path, { displayName: chosen.name, ...(replyTo ? { replyTo: replyTo.id } : {}) })
      clear()
    } catch (e) {
      fail(e)
    }
    file.current.value = ''
  }
  return html`<form class="composer" onSubmit=${submit}>
    ${replyTo || editing ? html`<div class="context">${editing ? 'editing your message' : `replying to ${nameOf(replyTo.author)}`} <button type="button" class="cancel" onClick=${clear}>×</button></div>` : null}
    <input name="message" autocomplete="off" placeholder="Write a message" value=${text} onInput=${input} />
    <button type="submit" class="send">${editing ? 'Save' : 'Send'}</button>
    <label class="attach">📎<input type="file" name="file" ref=${file} onChange=${sendFile} /></label>
  </form>`
}

export function ConversationView({ rpc, id, me, contacts, fail }) {
  const [messages, setMessages] = useState([]) // newest first
  const [more, setMore] = useState(false)
  const [members, setMembers] = useState([])
  const [infos, setInfos] = useState({})
  const [transfers, setTransfers] = useState({})
  const [replyTo, setReplyTo] = useState(undefined)
  const [editing, setEditing] = useState(undefined)
  const [seen, setSeen] = useState({}) // member → the newest message it displayed
  const [typing, setTyping] = useState([])
  const list = useRef()
  const nameOf = (uri) => (uri === me.uri ? me.displayName : contacts.find((c) => c.uri === uri)?.name || shortUri(uri))
  const reloadMembers = () =>
    Promise.all([rpc.call('getConversationMembers', id), rpc.call('conversationInfos', id)]).then(([m, i]) => {
      setMembers(m)
      setInfos(i)
      setSeen((old) => ({ ...Object.fromEntries(m.filter((x) => x.lastDisplayed).map((x) => [x.uri, x.lastDisplayed])), ...old }))
    }, fail)
  const upsert = (m) => setMessages((old) => (old.some((o) => o.id === m.id) ? old.map((o) => (o.id === m.id ? { ...m, reactions: m.reactions ?? o.reactions } : o)) : [m, ...old]))
  const refetch = (messageId) => rpc.call('getMessage', id, messageId).then(upsert, () => {})

  useEffect(() => {
    rpc.call('loadConversation', id, { n: PAGE }).then((page) => {
      setMessages(page)
      setMore(page.length > 0 && page[page.length - 1].linearizedParent !== '')
    }, fail)
    reloadMembers()
    return rpc.listen((event, [conv, a, b, c]) => {
      if (conv !== id) return
      if (event === 'swarmMessageReceived' || event === 'swarmMessageUpdated') upsert(a)
      else if (event === 'reactionAdded' || event === 'reactionRemoved') refetch(a)
      else if (event === 'dataTransferEvent') setTransfers((t) => ({ ...t, [b]: c }))
      else if (event === 'conversationMemberEvent' || event === 'conversationProfileUpdated') reloadMembers()
      else if (event === 'accountMessageStatusChanged' && c === 3) setSeen((old) => ({ ...old, [a]: b }))
      else if (event === 'composingStatusChanged') setTyping((old) => (b ? [...old.filter((u) => u !== a), a] : old.filter((u) => u !== a)))
    })
  }, [id])
  // What is shown here has been displayed: the engine tells the members (a read receipt) and our other devices.
  useEffect(() => {
    const newest = messages[0]
    if (newest && newest.author !== me.uri) rpc.call('setMessageDisplayed', id, newest.id).catch(() => {})
  }, [messages[0]?.id])
  useEffect(() => {
    if (list.current && !list.current.dataset.paging) list.current.scrollTop = list.current.scrollHeight
    if (list.current) delete list.current.dataset.paging
  }, [messages.length])

  const older = () => {
    const oldest = messages[messages.length - 1]
    list.current.dataset.paging = '1'
    rpc.call('loadConversation', id, { from: oldest.linearizedParent, n: PAGE }).then((page) => {
      setMessages((old) => [...old, ...page.filter((m) => !old.some((o) => o.id === m.id))])
      setMore(page.length > 0 && page[page.length - 1].linearizedParent !== '')
    }, fail)
  }
  const shown = messages.filter((m) => SHOWN_TYPES.has(m.type)).slice().reverse()
  const byId = new Map(messages.map((m) => [m.id, m]))
  // A member has seen a message when the newest one it displayed is that one or newer.
  const place = new Map(messages.map((m, i) => [m.id, i]))
  const seenBy = (m) => Object.entries(seen).filter(([uri, last]) => uri !== me.uri && place.has(last) && place.get(last) <= place.get(m.id)).map(([uri]) => uri)
  const handlers = (m) => ({
    reply: () => (setEditing(undefined), setReplyTo(m)),
    edit: () => (setReplyTo(undefined), setEditing(m)),
    remove: () => rpc.call('deleteMessage', id, m.id).catch(fail),
    react: (emoji) => rpc.call('addReaction', id, m.id, emoji).catch(fail),
    unreact: (reactionId) => rpc.call('removeReaction', id, reactionId).catch(fail),
    download: () => rpc.call('downloadFile', id, m.id, m.fileId).then(() => setTransfers((t) => ({ ...t, [m.fileId]: t[m.fileId] ?? { code: 'created', bytes: 0, total: Number(m.body.totalSize) } })), fail),
  })
  return html`<div class="conversation-view">
    <div class="thread">
      <h2 class="conv-title">${infos.title || (infos.mode === '0' ? nameOf(members.find((m) => m.uri !== me.uri)?.uri) : 'group')}</h2>
      <div class="messages" ref=${list}>
        ${more ? html`<button class="older" onClick=${older}>Load older messages</button>` : null}
        ${shown.map((m) => html`<${Message} key=${m.id} m=${m} me=${me} mine=${m.author === me.uri} nameOf=${nameOf} quoted=${m.body['reply-to'] ? byId.get(m.body['reply-to']) ?? null : undefined} seenBy=${m.author === me.uri ? seenBy(m) : []} transfer=${m.fileId && transfers[m.fileId]} fileUrl=${m.fileId && rpc.fileUrl(id, m.fileId)} on=${handlers(m)} />`)}
      </div>
      ${typing.length > 0 ? html`<div class="typing">${typing.map(nameOf).join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…</div>` : null}
      <${Composer} rpc=${rpc} id=${id} replyTo=${replyTo} editing=${editing} clear=${() => (setReplyTo(undefined), setEditing(undefined))} nameOf=${nameOf} fail=${fail} />
    </div>
    <${Members} key=${infos.title} rpc=${rpc} id=${id} me=${me} members=${members} contacts=${contacts} infos=${infos} nameOf=${nameOf} fail=${fail} />
  </div>`
}
