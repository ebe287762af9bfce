// Talking to the peer: commands as POST /api/<command>, the state, and the event stream.
import { S, setBlocked } from './state.js';
import { setServer } from './view.js';
import { $, showUnlock, toast } from './util.js';

export async function api(command, body = {}) {
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

export async function loadState(fromNow = false) {
  const res = await fetch('/api/state', { headers: { 'X-Parley': '1' }, credentials: 'same-origin' });
  if (res.status === 401) { showUnlock(); return null; }
  const st = await res.json();
  const first = fromNow || !S.started;
  S.me = st.user; S.started = st.started; S.canLogIn = st.can_log_in;
  if (fromNow) S.lastId = st.last_event_id;  // else the stream goes on from where it is
  // Presence after a first load comes from events: while peers come back from a server
  // restart, the engine's list lags what it has shown.
  if (first) S.online = new Set(st.online);
  // A `blocked` event newer than this snapshot (read while it was on its way) wins.
  if (!(S.blockedAt > st.last_event_id)) setBlocked(st.blocked, st.last_event_id);
  S.shareFiles = st.share_files;
  for (const u of st.linked) if (!S.links.has(u)) S.links.set(u, '');
  for (const u of [...S.links.keys()]) if (!st.linked.includes(u)) S.links.delete(u);
  setServer(st.server);
  $('login-server').textContent = `Server ${st.server_address}`;
  return st;
}

// The stream, read with fetch so it carries the X-Parley header like every API call.
export async function streamEvents(on) {
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
          await onBlock(buffer.slice(0, end), on);
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) { /* the peer went away or restarts: try again below */ }
    setServer('stopped');
    await new Promise((r) => setTimeout(r, 1500));
  }
}

async function onBlock(block, on) {
  let id = null, kind = 'message', data = null;
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) id = Number(line.slice(4));
    else if (line.startsWith('event: ')) kind = line.slice(7);
    else if (line.startsWith('data: ')) data = JSON.parse(line.slice(6));
  }
  if (id !== null) S.lastId = id;
  if (kind === 'reset') { await on.reload(); return; }
  if (data) on.onEvent(data);
}
