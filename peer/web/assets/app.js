// Parley's page: one more front end of the peer engine. State comes from GET /api/state
// and the event stream (GET /api/events, resumed with Last-Event-ID); commands go out as
// POST /api/<command> with the shell's names and fields. No framework: the DOM is
// rebuilt per panel from the state below, which is small.
'use strict';

const $ = (id) => document.getElementById(id);
const S = {
  me: '', server: 'offline', started: false, canLogIn: false,
  online: new Set(), lastSeen: new Map(), blocked: new Set(), links: new Map(),
  convs: new Map(), current: '', lastId: 0, files: [], shareFiles: [], downloads: new Map(),
  historyCount: new Map(), registered: new Map(),
};

// ---- talking to the peer -------------------------------------------------------------

async function api(command, body = {}) {
  const res = await fetch(`/api/${command}`, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Parley': '1' }, body: JSON.stringify(body),
  });
  if (res.status === 401) { showUnlock(); throw new Error('no session'); }
  const json = await res.json().catch(() => ({ ok: false }));
  const error = json.error || (json.events || []).find((e) => e.type === 'error');
  if (error && !json.trust) toast(error.message, true);
  return json;
}

async function loadState(fromNow = false) {
  const res = await fetch('/api/state', { headers: { 'X-Parley': '1' }, credentials: 'same-origin' });
  if (res.status === 401) { showUnlock(); return null; }
  const st = await res.json();
  const first = fromNow || !S.started;
  S.me = st.user; S.started = st.started; S.canLogIn = st.can_log_in;
  if (fromNow) S.lastId = st.last_event_id;  // else the stream goes on from where it is
  // Presence after a first load comes from events: while peers come back from a server
  // restart, the engine's list lags what it has shown.
  if (first) S.online = new Set(st.online);
  S.blocked = new Set(st.blocked);
  S.shareFiles = st.share_files;
  for (const u of st.linked) if (!S.links.has(u)) S.links.set(u, '');
  for (const u of [...S.links.keys()]) if (!st.linked.includes(u)) S.links.delete(u);
  setServer(st.server);
  $('login-server').textContent = `Server ${st.server_address}`;
  return st;
}

// The stream, read with fetch so it carries the X-Parley header like every API call.
async function streamEvents() {
  for (;;) {
    try {
      const res = await fetch('/api/events', {
        headers: { 'X-Parley': '1', 'Last-Event-ID': String(S.lastId) }, credentials: 'same-origin',
      });
      if (res.status === 401) { showUnlock(); return; }
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      if (S.server === 'stopped') setServer(S.started ? 'connected' : 'offline');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          await onBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) { /* the peer went away or restarts: try again below */ }
    setServer('stopped');
    await new Promise((r) => setTimeout(r, 1500));
  }
}

async function onBlock(block) {
  let id = null, kind = 'message', data = null;
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) id = Number(line.slice(4));
    else if (line.startsWith('event: ')) kind = line.slice(7);
    else if (line.startsWith('data: ')) data = JSON.parse(line.slice(6));
  }
  if (id !== null) S.lastId = id;
  if (kind === 'reset') { await reload(); return; }
  if (data) onEvent(data, true);
}

// ---- conversations -------------------------------------------------------------------

function convKey(others) {
  const list = [...new Set(others)].filter((u) => u && u !== S.me).sort();
  if (list.length === 0) return '';
  return list.length === 1 ? `u:${list[0]}` : `g:${list.join(',')}`;
}

function conv(key) {
  if (!S.convs.has(key)) {
    const members = key.startsWith('u:') || key.startsWith('g:') ? key.slice(2).split(',') : [];
    const title = key === 'broadcast' ? 'Broadcasts and announcements' : members.join(', ');
    S.convs.set(key, { key, members, title, messages: new Map(), unread: 0, last: 0 });
  }
  return S.convs.get(key);
}

function keyOfLine(m) {
  if (m.kind === 'broadcast' || m.kind === 'announcement') return 'broadcast';
  const to = Array.isArray(m.to) ? m.to : m.to ? [m.to] : [];
  return convKey(m.mine ? to : [m.from, ...to]);
}

function addLine(key, line, live) {
  if (!key) return;
  const c = conv(key);
  if (!line.time) line.time = new Date().toISOString();
  const id = line.id || `${line.kind}:${line.time}:${line.text}`;
  const old = c.messages.get(id);
  c.messages.set(id, { ...old, ...line, id });
  const t = Date.parse(line.time) || Date.now();
  c.last = Math.max(c.last, t);
  if (live && !line.mine && !old) {
    if (key !== S.current || document.hidden) {
      if (key !== S.current) c.unread += 1;
      notify(line);
    }
  }
  renderConvs();
  if (key === S.current) renderMessages();
}

function systemLine(key, text) {
  addLine(key, { id: `sys:${Date.now()}:${Math.random()}`, kind: 'system', text, time: new Date().toISOString() }, false);
}

function openConv(key) {
  S.current = key;
  const c = conv(key);
  c.unread = 0;
  $('people').classList.remove('open');
  renderAll();
  $('text').focus();
  if (key.startsWith('u:') && !S.historyCount.has(key)) loadHistory(key, 50);
}

async function loadHistory(key, count) {
  S.historyCount.set(key, count);
  const user = key.startsWith('u:') ? key.slice(2) : undefined;
  const res = await api('history', user ? { user, count } : { count });
  const h = (res.events || []).find((e) => e.type === 'history');
  if (!h) return 0;
  for (const m of h.messages) addLine(keyOfLine(m), m, false);
  return h.messages.length;
}

// ---- events --------------------------------------------------------------------------

function onEvent(e) {
  switch (e.type) {
    case 'login':
      S.me = e.user; setServer('connected'); hideLogin(); afterLogin();  // afterLogin loads the state
      break;
    case 'logout':
      setServer(e.can_log_in ? 'logged out' : 'stopped');
      toast(`Logged out: ${e.reason}`);
      break;
    case 'server':
      setServer(e.state === 'back' ? 'connected' : 'reconnecting');
      if (e.state === 'back') refreshState();
      break;
    case 'message': {
      const line = { ...e, kind: 'message' };
      addLine(keyOfLine(line), line, true);
      break;
    }
    case 'private': {
      const line = { ...e, kind: 'private', to: e.mine ? e.to : S.me };
      addLine(convKey([e.mine ? e.to : e.from]), line, true);
      break;
    }
    case 'broadcast': addLine('broadcast', { ...e, kind: 'broadcast', mine: e.mine || e.from === S.me }, true); break;
    case 'announcement': addLine('broadcast', { ...e, kind: 'announcement', from: 'server' }, true); break;
    case 'receipt': onReceipt(e); break;
    case 'presence':
      if (e.online) S.online.add(e.user); else { S.online.delete(e.user); S.lastSeen.set(e.user, e.time); }
      renderUsers();
      break;
    case 'users': {
      // The server's answer is who is online now: whoelsesince gives a time only to
      // those who are not.
      const seen = e.last_seen || {};
      S.online = new Set(e.users.filter((u) => !seen[u] && u !== S.me));
      for (const [u, t] of Object.entries(seen)) S.lastSeen.set(u, t);
      renderUsers();
      break;
    }
    case 'link': onLink(e); break;
    case 'registered':
      S.registered.set(e.file, e);
      renderFiles();
      break;
    case 'progress': case 'downloaded': onDownload(e); break;
    case 'info':
      if (e.state === 'started' && e.file) onDownload({ type: 'started', file: e.file });
      if (e.idle_logout_in) toast(e.message);
      break;
    case 'error':
      if (['login', 'connect', 'server', 'download'].includes(e.command)) toast(e.message, true);
      break;
    default: break;
  }
}

function onReceipt(e) {
  for (const c of S.convs.values()) {
    const m = c.messages.get(e.id);
    if (!m) continue;
    const states = { ...(m.states || {}), [e.to]: e.state };
    const values = new Set(Object.values(states));
    m.states = states;
    m.state = values.size === 1 ? [...values][0] : 'mixed';
    if (c.key === S.current) renderMessages();
  }
}

function onLink(e) {
  const key = convKey([e.user]);
  if (e.state === 'open') S.links.set(e.user, e.fingerprint || '');
  else S.links.delete(e.user);
  systemLine(key, e.state === 'open' ? `Direct link open (${e.reason})` : `Direct link closed: ${e.reason}`);
  renderAll();
}

function onDownload(e) {
  const d = S.downloads.get(e.file) || { file: e.file, state: 'starting', bytes: 0, total_bytes: 0 };
  if (e.type === 'progress') Object.assign(d, e, { state: 'running' });
  if (e.type === 'downloaded') Object.assign(d, e, { state: 'finished', total_bytes: e.bytes, done: e.chunks, total: e.chunks });
  S.downloads.set(e.file, d);
  renderDownloads();
  if (e.type === 'downloaded') { toast(`Downloaded ${e.file}`); refreshDownloads(); }
}

async function afterLogin() {
  await refreshState();
  await loadHistory('', 200);
  await api('whoelsesince', { seconds: 30 * 24 * 3600 });
  await refreshDownloads();
  if ('Notification' in window && Notification.permission === 'default') $('notify').hidden = false;
  $('logout').hidden = false;
  renderAll();
}

async function refreshState() { if (await loadState()) renderAll(); }

async function refreshDownloads() {
  const res = await api('downloads');
  const list = (res.events || []).find((e) => e.type === 'downloads');
  if (!list) return;
  for (const d of list.downloads) S.downloads.set(d.file, { ...S.downloads.get(d.file), ...d });
  renderDownloads();
}

async function reload() {
  S.started = false;
  const st = await loadState();
  if (st && st.started) await afterLogin();
}

// ---- rendering -----------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function ago(iso) {
  const t = Date.parse(iso);
  if (!t) return 'offline';
  const s = Math.max(0, (Date.now() - t) / 1000);
  if (s < 60) return 'last seen just now';
  if (s < 3600) return `last seen ${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `last seen ${Math.floor(s / 3600)} h ago`;
  return `last seen ${new Date(t).toLocaleDateString()}`;
}

function setServer(state) {
  S.server = state;
  const badge = $('server-state');
  badge.textContent = state === 'stopped' ? 'peer unreachable' : state;
  badge.className = `badge state-${state.replace(' ', '-')}`;
}

function renderAll() {
  $('me').textContent = S.me;
  renderConvs(); renderUsers(); renderChatHead(); renderMessages(); renderFiles(); renderDownloads();
}

function knownUsers() {
  const names = new Set([...S.online, ...S.lastSeen.keys(), ...S.blocked, ...S.links.keys()]);
  for (const c of S.convs.values()) if (c.key.startsWith('u:')) names.add(c.members[0]);
  names.delete(S.me);
  return [...names].sort((a, b) => (S.online.has(b) - S.online.has(a)) || a.localeCompare(b));
}

function renderUsers() {
  const list = $('users');
  list.replaceChildren(...knownUsers().map((u) => {
    const online = S.online.has(u);
    const blocked = S.blocked.has(u);
    return el('li', { class: 'user-row' },
      el('button', { onclick: () => openConv(`u:${u}`), 'aria-label': `Chat with ${u}`, 'data-user': u },
        el('span', { class: `dot${online ? ' online' : ''}`, 'aria-hidden': 'true' }),
        el('span', { class: 'grow' }, el('span', { class: 'name' }, u),
          el('span', { class: 'detail presence' }, online ? 'online' : ago(S.lastSeen.get(u)))),
        S.links.has(u) ? el('span', { class: 'tag direct' }, 'direct') : null,
        blocked ? el('span', { class: 'tag blocked' }, 'blocked') : null),
      el('button', { class: 'ghost small', onclick: () => toggleBlock(u),
        'aria-label': `${blocked ? 'Unblock' : 'Block'} ${u}` }, blocked ? 'Unblock' : 'Block'));
  }));
}

function renderConvs() {
  const convs = [...S.convs.values()].sort((a, b) => b.last - a.last);
  $('conversations').replaceChildren(...convs.map((c) => el('li', {},
    el('button', { onclick: () => openConv(c.key), 'aria-current': c.key === S.current ? 'true' : false,
      'aria-label': `${c.title}${c.unread ? `, ${c.unread} unread` : ''}`, 'data-conv': c.key },
      el('span', { class: 'grow name' }, c.title),
      c.members.length === 1 && S.links.has(c.members[0]) ? el('span', { class: 'tag direct' }, 'direct') : null,
      c.unread ? el('span', { class: 'unread' }, String(c.unread)) : null))));
}

function renderChatHead() {
  const c = S.current ? conv(S.current) : null;
  $('chat-title').textContent = c ? c.title : 'No conversation';
  const user = c && c.members.length === 1 ? c.members[0] : '';
  let sub = '';
  if (user) {
    sub = S.online.has(user) ? 'online' : ago(S.lastSeen.get(user));
    if (S.links.has(user)) sub += ` · direct link · fingerprint ${S.links.get(user) || '(ask with fingerprint)'}`;
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

function renderMessages() {
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
  if (c.key.startsWith('u:')) items.unshift(el('li', { class: 'older' }, el('button', { class: 'ghost', onclick: loadOlder }, 'Load older messages')));
  list.replaceChildren(...items);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

async function loadOlder() {
  const key = S.current;
  const before = conv(key).messages.size;
  const list = $('messages');
  const height = list.scrollHeight;
  await loadHistory(key, Math.min(1000, (S.historyCount.get(key) || 50) + 100));
  list.scrollTop = list.scrollHeight - height;
  if (conv(key).messages.size === before) toast('No older messages');
}

function renderFiles() {
  const select = $('register-file');
  const chosen = select.value;
  select.replaceChildren(...S.shareFiles.map((f) => el('option', { value: f.name }, `${f.name} (${size(f.size)})`)));
  if (chosen) select.value = chosen;
  $('shared').replaceChildren(...[...S.registered.values()].map((f) => el('li', {},
    el('div', { class: 'name' }, f.file), el('div', { class: 'sub' }, `${size(f.size)} in ${f.chunks} chunks, shared`))));
}

function size(bytes) {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function renderDownloads() {
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

function toast(text, error = false) {
  const node = el('div', { class: `toast${error ? ' error' : ''}`, role: error ? 'alert' : 'status' }, text);
  $('toasts').append(node);
  setTimeout(() => node.remove(), error ? 8000 : 4000);
}

function notify(line) {
  if (!('Notification' in window) || Notification.permission !== 'granted' || !document.hidden) return;
  new Notification(line.from ? `Parley: ${line.from}` : 'Parley', { body: line.text });
}

// ---- actions -------------------------------------------------------------------------

async function send(text) {
  const c = conv(S.current);
  if (c.key === 'broadcast') return api('broadcast', { text });
  if (c.members.length === 1 && S.links.has(c.members[0])) return api('private', { user: c.members[0], text });
  return api('message', { to: c.members, text });
}

async function toggleBlock(user) {
  const res = await api(S.blocked.has(user) ? 'unblock' : 'block', { user });
  if (res.ok) await refreshState();
}

async function searchFile(file) {
  const out = $('search-result');
  const res = await api('searchFile', { file });
  const found = (res.events || []).find((e) => e.type === 'file');
  if (!found) { out.replaceChildren(el('div', { class: 'error' }, res.events?.find((e) => e.type === 'error')?.message || 'Not found')); return; }
  const parts = [el('div', {}, found.available ? `Available from ${found.users.join(', ')}` : 'Not available: no holder is online')];
  // The number of chunks is only told by the out-of-range answer for the highest one.
  const probe = await fetch('/api/searchChunk', { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Parley': '1' }, body: JSON.stringify({ file, chunks: [1024] }) })
    .then((r) => r.json()).catch(() => ({}));
  const m = /chunks 1 to (\d+)/.exec(probe.events?.find((e) => e.type === 'error')?.message || '');
  const count = m ? Number(m[1]) : probe.ok ? 1024 : 0;
  if (count > 0) {
    const numbers = Array.from({ length: count }, (_, i) => i + 1);
    const chunks = (await api('searchChunk', { file, chunks: numbers })).events?.find((e) => e.type === 'chunks');
    if (chunks) {
      parts.push(el('div', { class: 'chunks', 'aria-label': 'Chunk availability' }, numbers.map((n) => {
        const holders = chunks.chunks[n] || [];
        return el('span', { class: `chunk${holders.length ? ' have' : ''}`, title: `chunk ${n}: ${holders.join(', ') || 'nobody online'}` }, String(n));
      })));
    }
  }
  parts.push(el('button', { onclick: () => api('download', { file }), disabled: !found.available }, `Download ${file}`));
  out.replaceChildren(...parts);
}

function showLogin() {
  $('login').hidden = false;
  $('login-user').focus();
}
function hideLogin() { $('login').hidden = true; }

function showUnlock() {
  $('unlock').hidden = false;
  $('unlock-label').hidden = false;
  $('unlock-submit').hidden = false;
  $('unlock-text').textContent = 'Open the link parley-peer printed when it started, or give the web UI password if it has one.';
}

let signUp = false;
async function submitLogin(event) {
  event?.preventDefault();
  $('login-error').textContent = '';
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  $('login-submit').disabled = true;
  try {
    const res = await api('login', { user, password, sign_up: signUp });
    signUp = false;
    if (res.ok) { S.me = res.user; hideLogin(); return; }
    if (res.trust) {
      $('trust').hidden = false;
      $('trust-fingerprint').textContent = res.trust.fingerprint;
      $('trust-yes').dataset.fingerprint = res.trust.fingerprint;
      $('trust-yes').focus();
      return;
    }
    $('signup').hidden = !res.can_sign_up;
    $('login-error').textContent = res.error?.message || 'Login failed';
  } finally {
    $('login-submit').disabled = false;
  }
}

function wire() {
  $('login-form').addEventListener('submit', submitLogin);
  $('trust-yes').addEventListener('click', async () => {
    const res = await api('trust', { fingerprint: $('trust-yes').dataset.fingerprint });
    $('trust').hidden = true;
    if (res.ok) submitLogin();
  });
  $('trust-no').addEventListener('click', () => {
    $('trust').hidden = true;
    $('login-error').textContent = 'Server not trusted: nothing was sent to it.';
  });
  $('signup').addEventListener('click', () => { signUp = true; $('signup').hidden = true; submitLogin(); });
  $('unlock-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const res = await fetch('/api/auth', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Parley': '1' },
      body: JSON.stringify({ password: $('unlock-password').value }) });
    if (res.ok) location.reload(); else $('unlock-error').textContent = 'Wrong password';
  });
  $('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('text').value.trim();
    if (!text || !S.current) return;
    $('text').value = '';
    S.lastSent = text;
    const res = await send(text);
    if (res && !res.ok && !$('text').value) $('text').value = text;  // keep what failed to go out
  });
  $('text').addEventListener('keydown', (event) => {
    if (event.key === 'ArrowUp' && !$('text').value && S.lastSent) {
      event.preventDefault();
      $('text').value = S.lastSent;
    }
  });
  $('new-chat').addEventListener('submit', (event) => {
    event.preventDefault();
    const names = $('new-chat-to').value.split(',').map((s) => s.trim()).filter(Boolean);
    const key = convKey(names);
    if (!key) return;
    $('new-chat-to').value = '';
    openConv(key);
  });
  $('link-button').addEventListener('click', async () => {
    const user = conv(S.current).members[0];
    if (S.links.has(user)) await api('stopprivate', { user });
    else await api('startprivate', { user });
    const fp = await api('fingerprint', { user });
    const found = (fp.events || []).find((e) => e.type === 'fingerprint');
    if (found && S.links.has(user)) { S.links.set(user, found.fingerprint); renderChatHead(); }
  });
  $('block-button').addEventListener('click', () => toggleBlock(conv(S.current).members[0]));
  $('register').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = $('register-file').value;
    if (!file) return;
    const res = await api('register', { file, chunks: Number($('register-chunks').value) });
    if (res.ok) toast(`Registered ${file}`);
  });
  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const file = $('search-file').value.trim();
    if (file) searchFile(file);
  });
  $('notify').addEventListener('click', async () => {
    await Notification.requestPermission();
    $('notify').hidden = true;
  });
  $('logout').addEventListener('click', () => api('logout'));
  $('toggle-people').addEventListener('click', () => $('people').classList.toggle('open'));
  $('toggle-files').addEventListener('click', () => {
    const app = document.querySelector('.app');
    const narrow = matchMedia('(max-width: 900px)').matches;
    if (narrow) $('files').classList.toggle('open');
    else app.classList.toggle('no-files');
    $('toggle-files').setAttribute('aria-expanded', String(narrow ? $('files').classList.contains('open') : !app.classList.contains('no-files')));
  });
  setInterval(renderUsers, 60000);  // "last seen" ages
}

async function main() {
  wire();
  conv('broadcast');
  const st = await loadState(true);
  if (!st) return;
  renderAll();
  if (st.started) await afterLogin();
  else if (st.can_log_in) showLogin();
  else toast('Log in at the terminal where parley-peer runs.');
  streamEvents();
}

main();
