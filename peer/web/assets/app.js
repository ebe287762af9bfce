// Parley's page: one more front end of the peer engine. State comes from GET /api/state
// and the event stream (GET /api/events, resumed with Last-Event-ID); commands go out as
// POST /api/<command> with the shell's names and fields. No framework: the DOM is
// rebuilt per panel from the state in state.js, which is small.
import { api, loadState, streamEvents } from './api.js';
import { S, conv, convKey, keyOfLine, setBlocked } from './state.js';
import { $, el, showUnlock, toast } from './util.js';
import {
  actions, notify, renderAll, renderChatHead, renderConvs, renderDownloads, renderFiles, renderMessages,
  renderUsers, setServer,
} from './view.js';

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
    case 'blocked':
      // The peer's whole list (learned from the server after each login, then after every
      // block and unblock): marks users blocked in earlier sessions, offline ones too.
      setBlocked(e.users, S.lastId);
      renderUsers(); renderChatHead();
      break;
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
  if (e.state === 'open') {
    S.links.set(e.user, e.fingerprint || '');
    if (e.path) S.linkPaths.set(e.user, e.path);  // direct, reverse or relay, where the peer says
  } else {
    S.links.delete(e.user);
  }
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
async function loadOlder() {
  const key = S.current;
  const before = conv(key).messages.size;
  const list = $('messages');
  const height = list.scrollHeight;
  await loadHistory(key, Math.min(1000, (S.historyCount.get(key) || 50) + 100));
  list.scrollTop = list.scrollHeight - height;
  if (conv(key).messages.size === before) toast('No older messages');
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

function wireLogin() {
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
}

function wireChat() {
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
}

function wireRest() {
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
  Object.assign(actions, { openConv, toggleBlock, loadOlder });
  wireLogin();
  wireChat();
  wireRest();
  conv('broadcast');
  const st = await loadState(true);
  if (!st) return;
  renderAll();
  if (st.started) await afterLogin();
  else if (st.can_log_in) showLogin();
  else toast('Log in at the terminal where parley-peer runs.');
  streamEvents({ onEvent, reload });
}

main();
