// The web UI's block list across sessions of the peer (issue 16): users blocked in an
// earlier session are in /api/state and in a `blocked` event right after login, offline
// ones included, and every block or unblock after that sends the whole list again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, Server, WebPeer, tempDir } from './fixture.mjs';

const dir = tempDir('blocks');
let server, peer;

// dave, a background peer logged in at start; the same data folder each time.
async function startDave() {
  peer = await WebPeer.start(dir, server.port, 'dave',
                             { extra: ['--user', 'dave'], env: { PARLEY_PASSWORD: 'dave123' } });
  const dave = new Client(peer.url);
  await dave.open();
  const events = dave.events(0);
  await events.waitFor((e) => e.type === 'login' && e.user === 'dave');
  return { dave, events };
}

before(async () => {
  server = await Server.start(dir);
});

after(async () => {
  await peer?.stop();
  await server?.stop();
});

test('blocks of an earlier session are known after a fresh login, and kept current', async () => {
  {
    const { dave, events } = await startDave();
    assert.equal((await dave.post('block', { user: 'carol' })).json.ok, true);  // never online
    assert.equal((await dave.post('block', { user: 'bob' })).json.ok, true);
    await events.waitFor((e) => e.type === 'blocked' && e.users.length === 2);
    const listed = await dave.post('blocked');
    assert.equal(listed.json.ok, true);
    assert.deepEqual(listed.json.events.find((e) => e.type === 'blocked').users, ['bob', 'carol']);
    events.close();
    assert.equal(await peer.stop(), 0);
  }
  const { dave, events } = await startDave();
  const learned = await events.waitFor((e) => e.type === 'blocked');
  assert.deepEqual(learned.data.users, ['bob', 'carol']);
  const state = await dave.state();
  assert.deepEqual(state.blocked, ['bob', 'carol']);
  assert.deepEqual(state.online, []);  // neither is online: the page lists them as offline

  const from = events.events.length;
  assert.equal((await dave.post('unblock', { user: 'carol' })).json.ok, true);
  const changed = await events.waitFor((e) => e.type === 'blocked', 15000, from);
  assert.deepEqual(changed.data.users, ['bob']);
  assert.deepEqual((await dave.state()).blocked, ['bob']);
  events.close();
});
