// Rendering: each panel rebuilt from the state. Clicks call back through `actions`,
// which app.js fills in.
import { S, conv } from './state.js';
import { $, ago, el, size } from './util.js';

export const actions = {};

export function setServer(state) {
  S.server = state;
  const badge = $('server-state');
  badge.textContent = state === 'stopped' ? 'peer unreachable' : state;
  badge.className = `badge state-${state.replace(' ', '-')}`;
}

export function renderAll() {
  $('me').textContent = S.me;
  renderConvs(); renderUsers(); renderChatHead(); renderMessages(); renderFiles(); renderDownloads();
}

export function knownUsers() {
  const names = new Set([...S.online, ...S.lastSeen.keys(), ...S.listed, ...S.links.keys()]);
  for (const c of S.convs.values()) if (c.key.startsWith('u:')) names.add(c.members[0]);
  names.delete(S.me);
  return [...names].sort((a, b) => (S.online.has(b) - S.online.has(a)) || a.localeCompare(b));
}

export function renderUsers() {
  const list = $('users');
  list.replaceChildren(...knownUsers().map((u) => {
    const online = S.online.has(u);
    const blocked = S.blocked.has(u);
    return el('li', { class: 'user-row' },
      el('button', { onclick: () => actions.openConv(`u:${u}`), 'aria-label': `Chat with ${u}`, 'data-user': u },
        el('span', { class: `dot${online ? ' online' : ''}`, 'aria-hidden': 'true' }),
        el('span', { class: 'grow' }, el('span', { class: 'name' }, u),
          el('span', { class: 'detail presence' }, online ? 'online' : ago(S.lastSeen.get(u)))),
        S.links.has(u) ? el('span', { class: 'tag direct' }, 'direct') : null,
        blocked ? el('span', { class: 'tag blocked' }, 'blocked') : null),
      el('button', { class: 'ghost small', onclick: () => actions.toggleBlock(u),
        'aria-label': `${blocked ? 'Unblock' : 'Block'} ${u}` }, blocked ? 'Unblock' : 'Block'));
  }));
}

export function renderConvs() {
  const convs = [...S.convs.values()].sort((a, b) => b.last - a.last);
  $('conversations').replaceChildren(...convs.map((c) => el('li', {},
    el('button', { onclick: () => actions.openConv(c.key), 'aria-current': c.key === S.current ? 'true' : false,
      'aria-label': `${c.title}${c.unread ? `, ${c.unread} unread` : ''}`, 'data-conv': c.key },
      el('span', { class: 'grow name' }, c.title),
      c.members.length === 1 && S.links.has(c.members[0]) ? el('span', { class: 'tag direct' }, 'direct') : null,
      c.unread ? el('span', { class: 'unread' }, String(c.unread)) : null))));
}

export function renderChatHead() {
  const c = S.current ? conv(S.current) : null;
  $('chat-title').textContent = c ? c.title : 'No conversation';
  const user = c && c.members.length === 1 ? c.members[0] : '';
  let sub = '';
  if (user) {
    sub = S.online.has(user) ? 'online' : ago(S.lastSeen.get(user));
    const path = S.linkPaths.get(user);
    if (S.links.has(user)) sub += ` · direct link${path ? ` (${path})` : ''} · fingerprint ${S.links.get(user) || '…'}`;
    if (S.blocked.has(user)) sub += ' · blocked';
  } else if (c && c.members.length > 1) {
    sub = 'group';
  }
  $('chat-sub').textContent = sub;
  $('link-button').hidden = !user;
  $('link-button').textContent = S.links.has(user) ? 'Close direct link' : 'Open direct link';
  $('block-button').hidden = !user;
  $('block-button').textContent = S.blocked.has(user) ? 'Unblock' : 'Block';
  const can = Boolean(c) && S.started;
  $('text').disabled = !can; $('send').disabled = !can;
  $('text').placeholder = !c ? 'Pick a conversation' : user && S.links.has(user) ? `Direct message to ${user}` :
    c.key === 'broadcast' ? 'Broadcast to everyone online' : `Message ${c.title}`;
}

const STATE_LABEL = { queued: 'queued', stored: 'stored', delivered: 'delivered', refused: 'refused', mixed: 'partly delivered' };

export function renderMessages() {
  const list = $('messages');
  const c = S.current ? conv(S.current) : null;
  if (!c) { list.replaceChildren(); return; }
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const lines = [...c.messages.values()].sort((a, b) => (Date.parse(a.time) || 0) - (Date.parse(b.time) || 0));
  const items = lines.map((m) => {
    if (m.kind === 'system') return el('li', { class: 'system' }, m.text);
    const direct = m.kind === 'private';
    const cls = ['msg', m.mine ? 'mine' : '', direct ? 'direct' : '', m.action ? 'action' : '', m.kind === 'announcement' ? 'announcement' : ''].join(' ');
    const time = new Date(Date.parse(m.time) || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const who = m.mine ? 'you' : m.from;
    const text = m.action ? `* ${who} ${m.text}` : m.text;
    return el('li', { class: cls, 'data-id': m.id },
      el('div', { class: 'meta' }, el('span', {}, m.kind === 'announcement' ? 'announcement' : who), el('span', {}, time),
        direct ? el('span', { class: 'tag direct' }, 'direct') : null,
        m.mine && m.state ? el('span', { class: `state ${m.state}` }, STATE_LABEL[m.state] || m.state) : null),
      el('div', { class: 'text' }, text));
  });
  if (c.key.startsWith('u:')) items.unshift(el('li', { class: 'older' }, el('button', { class: 'ghost', onclick: () => actions.loadOlder() }, 'Load older messages')));
  list.replaceChildren(...items);
  if (atBottom) list.scrollTop = list.scrollHeight;
}
export function renderFiles() {
  const select = $('register-file');
  const chosen = select.value;
  select.replaceChildren(...S.shareFiles.map((f) => el('option', { value: f.name }, `${f.name} (${size(f.size)})`)));
  if (chosen) select.value = chosen;
  $('shared').replaceChildren(...[...S.registered.values()].map((f) => el('li', {},
    el('div', { class: 'name' }, f.file), el('div', { class: 'sub' }, `${size(f.size)} in ${f.chunks} chunks, shared`))));
}
export function renderDownloads() {
  let done = 0, total = 0;
  const items = [...S.downloads.values()].map((d) => {
    const frac = d.total_bytes ? d.bytes / d.total_bytes : d.state === 'finished' ? 1 : 0;
    if (d.state !== 'failed') { done += frac; total += 1; }
    const pct = Math.round(frac * 100);
    const detail = [d.state, `${pct} %`];
    if (d.rate) detail.push(`${size(d.rate)}/s`);
    if (d.sources?.length) detail.push(`from ${d.sources.join(', ')}`);
    return el('li', { 'data-file': d.file },
      el('div', { class: 'name' }, d.file),
      el('progress', { max: '100', value: String(pct), 'aria-label': `${d.file} progress` }),
      el('div', { class: 'sub' }, detail.join(' · ')),
      d.path && d.state === 'finished' ? el('div', { class: 'sub' }, `saved to ${d.path}`) : null,
      d.error ? el('div', { class: 'error' }, d.error) : null);
  });
  $('downloads').replaceChildren(...items);
  $('overall-progress').value = total ? done / total : 0;
}
export function notify(line) {
  if (!('Notification' in window) || Notification.permission !== 'granted' || !document.hidden) return;
  new Notification(line.from ? `Parley: ${line.from}` : 'Parley', { body: line.text });
}
