// What the page knows: filled from GET /api/state and the event stream.
export const S = {
  me: '', server: 'offline', started: false, canLogIn: false,
  online: new Set(), lastSeen: new Map(), blocked: new Set(), blockedAt: 0, links: new Map(),
  // Everyone the block list named this session: unblocked, they stay listed (a user never
  // online would otherwise vanish under the pointer that just unblocked them).
  listed: new Set(),
  convs: new Map(), current: '', lastId: 0, files: [], shareFiles: [], downloads: new Map(),
  historyCount: new Map(), registered: new Map(), linkPaths: new Map(),
};

// The block list as the peer last said it (`since`: the event id it came with, or the
// snapshot's); everyone named stays listed for the session.
export function setBlocked(users, since) {
  S.blocked = new Set(users);
  for (const u of S.blocked) S.listed.add(u);
  S.blockedAt = since;
}

export function convKey(others) {
  const list = [...new Set(others)].filter((u) => u && u !== S.me).sort();
  if (list.length === 0) return '';
  return list.length === 1 ? `u:${list[0]}` : `g:${list.join(',')}`;
}

export function conv(key) {
  if (!S.convs.has(key)) {
    const members = key.startsWith('u:') || key.startsWith('g:') ? key.slice(2).split(',') : [];
    const title = key === 'broadcast' ? 'Broadcasts and announcements' : members.join(', ');
    S.convs.set(key, { key, members, title, messages: new Map(), unread: 0, last: 0 });
  }
  return S.convs.get(key);
}

export function keyOfLine(m) {
  if (m.kind === 'broadcast' || m.kind === 'announcement') return 'broadcast';
  const to = Array.isArray(m.to) ? m.to : m.to ? [m.to] : [];
  return convKey(m.mine ? to : [m.from, ...to]);
}
