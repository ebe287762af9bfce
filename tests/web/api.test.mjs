// The web UI's API over real HTTP, against a real parley-server and two parley-peer
// --no-shell --web processes: the security checks, the page's login, every command and
// its errors, and the event stream's resumption.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, Server, WebPeer, runPeer, tempDir } from './fixture.mjs';

const dir = tempDir('api');
let server, alicePeer, bobPeer, alice, bob, aliceEvents, bobEvents;

before(async () => {
  server = await Server.start(dir, { extra: ['--allow-signup'] });
  [alicePeer, bobPeer] = await Promise.all([WebPeer.start(dir, server.port, 'alice'),
                                           WebPeer.start(dir, server.port, 'bob')]);
  alice = new Client(alicePeer.url);
  bob = new Client(bobPeer.url);
});

after(async () => {
  aliceEvents?.close();
  bobEvents?.close();
  await Promise.all([alicePeer?.stop(), bobPeer?.stop()]);
  await server?.stop();
});

const errorOf = (res) => res.json.error?.message ?? res.json.events?.find((e) => e.type === 'error')?.message;

describe('security', () => {
  test('a Host that is not an address of the UI is refused with 403', async () => {
    const res = await alice.raw('GET', '/', { headers: { Host: `evil.example:${alice.port}` } });
    assert.equal(res.status, 403);
    const wrongPort = await alice.raw('GET', '/', { headers: { Host: '127.0.0.1:1' } });
    assert.equal(wrongPort.status, 403);
    assert.equal((await alice.raw('GET', '/', { headers: { Host: `localhost:${alice.port}` } })).status, 200);
  });

  test('the page carries the protective headers', async () => {
    const res = await alice.raw('GET', '/');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-security-policy'], /script-src 'self'/);
    assert.doesNotMatch(res.headers['content-security-policy'], /unsafe-inline/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const js = await alice.raw('GET', '/app.js');
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'], /javascript/);
  });

  test('API calls without a session cookie get 401', async () => {
    const res = await alice.api('GET', '/api/state');
    assert.equal(res.status, 401);
    const post = await alice.post('whoelse');
    assert.equal(post.status, 401);
  });

  test('the secret gives an HttpOnly SameSite=Strict cookie, once', async () => {
    const res = await alice.open();
    const cookie = res.headers['set-cookie'][0];
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.equal(res.headers.location, '/');
    const again = await alice.raw('GET', `/?secret=${alice.secret}`);
    assert.equal(again.status, 403);
    assert.equal(again.headers['set-cookie'], undefined);
    assert.equal((await alice.api('GET', '/api/state')).status, 200);
    assert.equal((await alice.api('GET', '/api/state', undefined, { Cookie: 'parley_1=forged' })).status, 401);
    await bob.open();
  });

  test('API calls need the X-Parley header', async () => {
    const res = await alice.raw('GET', '/api/state', { headers: { Cookie: alice.cookie } });
    assert.equal(res.status, 403);
  });

  test('a POST from another origin, or with none, is refused', async () => {
    const cross = await alice.api('POST', '/api/whoelse', {}, { Origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    const otherPort = await alice.api('POST', '/api/whoelse', {}, { Origin: `http://127.0.0.1:${bob.port}` });
    assert.equal(otherPort.status, 403);
    const none = await alice.raw('POST', '/api/whoelse', {
      body: {}, headers: { 'X-Parley': '1', Cookie: alice.cookie } });
    assert.equal(none.status, 403);
  });

  test('commands before logging in are refused', async () => {
    const res = await alice.post('whoelse');
    assert.equal(res.status, 409);
    assert.match(errorOf(res), /log in first/);
  });
});

describe('login', () => {
  test('the page is shown a new server certificate before any password is sent', async () => {
    const state = await alice.state();
    assert.equal(state.can_log_in, true);
    assert.equal(state.logged_in, false);
    const res = await alice.post('login', { user: 'alice', password: 'alice123' });
    assert.equal(res.json.ok, false);
    assert.equal(res.json.trust.fingerprint, server.fingerprint);
    const wrong = await alice.post('trust', { fingerprint: '00'.repeat(32) });
    assert.equal(wrong.status, 409);
    assert.equal((await alice.post('trust', { fingerprint: server.fingerprint })).json.ok, true);
  });

  test('a wrong password is an error; the right one logs in', async () => {
    const wrong = await alice.post('login', { user: 'alice', password: 'nope' });
    assert.equal(wrong.json.ok, false);
    assert.match(wrong.json.status, /wrong.password/);
    const missing = await alice.post('login', { user: 'alice' });
    assert.equal(missing.status, 400);
    aliceEvents = alice.events((await alice.state()).last_event_id);
    const ok = await alice.post('login', { user: 'alice', password: 'alice123' });
    assert.equal(ok.json.ok, true);
    await aliceEvents.waitFor((e) => e.type === 'login' && e.user === 'alice');
    const state = await alice.state();
    assert.equal(state.user, 'alice');
    assert.equal(state.server, 'connected');
  });

  test('bob logs in and alice sees him appear', async () => {
    bobEvents = bob.events((await bob.state()).last_event_id);
    await bob.logIn('bob', 'bob123');
    await aliceEvents.waitFor((e) => e.type === 'presence' && e.user === 'bob' && e.online);
  });

  test('a free name can sign up where the server allows it', async () => {
    const peer = await WebPeer.start(dir, server.port, 'erin');
    try {
      const erin = new Client(peer.url);
      await erin.open();
      let res = await erin.post('login', { user: 'erin', password: 'erin-password' });
      assert.ok(res.json.trust);
      await erin.post('trust', { fingerprint: res.json.trust.fingerprint });
      res = await erin.post('login', { user: 'erin', password: 'erin-password' });
      assert.equal(res.json.can_sign_up, true);
      res = await erin.post('login', { user: 'erin', password: 'erin-password', sign_up: true });
      assert.equal(res.json.ok, true);
      assert.equal(res.json.created, true);
    } finally {
      await peer.stop();
    }
  });
});

describe('commands', () => {
  test('message: both ways, with the own line and its state', async () => {
    const res = await alice.post('message', { to: 'bob', text: 'hello bob' });
    assert.equal(res.status, 200);
    assert.equal(res.json.ok, true);
    const own = res.json.events.find((e) => e.type === 'message' && e.mine);
    assert.equal(own.text, 'hello bob');
    assert.equal(own.state, 'delivered');
    assert.deepEqual(own.to, ['bob']);
    await bobEvents.waitFor((e) => e.type === 'message' && e.from === 'alice' && e.text === 'hello bob');
    await bob.post('message', { to: ['alice'], text: 'hi alice' });
    await aliceEvents.waitFor((e) => e.type === 'message' && e.from === 'bob' && e.text === 'hi alice');
  });

  test('message: errors', async () => {
    const unknown = await alice.post('message', { to: 'nobody', text: 'hi' });
    assert.equal(unknown.json.ok, false);
    assert.ok(unknown.json.events.some((e) => e.type === 'error' && e.command === 'message'));
    const noText = await alice.post('message', { to: 'bob' });
    assert.equal(noText.status, 400);
    assert.match(errorOf(noText), /'text' is missing/);
    const badName = await alice.post('message', { to: 'b@d', text: 'hi' });
    assert.equal(badName.status, 400);
    assert.match(errorOf(badName), /invalid name/);
    const twoLines = await alice.post('message', { to: 'bob', text: 'a\nb' });
    assert.equal(twoLines.status, 400);
    const notJson = await alice.api('POST', '/api/message', '{nope');
    assert.equal(notJson.status, 400);
    const unknownCommand = await alice.post('mesage', {});
    assert.equal(unknownCommand.status, 404);
  });

  test('group message, reply and me', async () => {
    const group = await alice.post('message', { to: ['bob', 'carol'], text: 'to you both' });
    const own = group.json.events.find((e) => e.type === 'message' && e.mine);
    assert.equal(own.state, 'mixed');
    await bobEvents.waitFor((e) => e.type === 'message' && e.text === 'to you both' && e.to.includes('carol'));
    assert.equal((await bob.post('reply', { text: 'replying' })).json.ok, true);
    await aliceEvents.waitFor((e) => e.type === 'message' && e.text === 'replying');
    assert.equal((await bob.post('me', { text: 'waves' })).json.ok, true);
    await aliceEvents.waitFor((e) => e.type === 'message' && e.text === 'waves' && e.action);
  });

  test('broadcast', async () => {
    const res = await alice.post('broadcast', { text: 'hello all' });
    assert.equal(res.json.ok, true);
    await bobEvents.waitFor((e) => e.type === 'broadcast' && e.text === 'hello all');
    assert.equal((await alice.post('broadcast', {})).status, 400);
  });

  test('whoelse, whoelsesince, users, ping', async () => {
    const who = await alice.post('whoelse');
    assert.deepEqual(who.json.events.find((e) => e.type === 'users').users, ['bob']);
    const since = await alice.post('whoelsesince', { seconds: 3600 });
    assert.equal(since.json.events.find((e) => e.type === 'users').command, 'whoelsesince');
    assert.equal((await alice.post('whoelsesince', { seconds: -1 })).status, 400);
    const users = await alice.post('users');
    assert.deepEqual(users.json.events.find((e) => e.type === 'users').users.sort(), ['alice', 'bob']);
    const ping = await alice.post('ping');
    assert.ok(ping.json.events.some((e) => e.type === 'pong'));
  });

  test('block and unblock', async () => {
    const blocked = await bob.post('block', { user: 'alice' });
    assert.equal(blocked.json.ok, true);
    assert.deepEqual((await bob.state()).blocked, ['alice']);
    const refused = await alice.post('message', { to: 'bob', text: 'can you hear me' });
    assert.equal(refused.json.ok, false);
    assert.equal((await bob.post('block', { user: 'alice' })).json.ok, false);  // already blocked
    assert.equal((await bob.post('unblock', { user: 'alice' })).json.ok, true);
    assert.deepEqual((await bob.state()).blocked, []);
    assert.equal((await bob.post('unblock', { user: 'alice' })).json.ok, false);
    assert.equal((await bob.post('block', {})).status, 400);
  });

  test('startprivate, private, stopprivate, fingerprint', async () => {
    const start = await alice.post('startprivate', { user: 'bob' });
    assert.equal(start.json.ok, true);
    const open = await aliceEvents.waitFor((e) => e.type === 'link' && e.user === 'bob' && e.state === 'open');
    assert.match(open.data.fingerprint, /^[0-9a-f]{64}$/);
    await bobEvents.waitFor((e) => e.type === 'link' && e.user === 'alice' && e.state === 'open');
    assert.deepEqual((await alice.state()).linked, ['bob']);
    const sent = await alice.post('private', { user: 'bob', text: 'direct hello' });
    assert.equal(sent.json.ok, true);
    const own = sent.json.events.find((e) => e.type === 'private' && e.mine);
    assert.equal(own.text, 'direct hello');
    await bobEvents.waitFor((e) => e.type === 'private' && e.from === 'alice' && e.text === 'direct hello');
    const theirs = await alice.post('fingerprint', { user: 'bob' });
    assert.equal(theirs.json.events.find((e) => e.type === 'fingerprint').fingerprint, open.data.fingerprint);
    const mine = await alice.post('fingerprint');
    assert.equal(mine.json.events.find((e) => e.type === 'fingerprint').mine, true);
    assert.equal((await alice.post('startprivate', { user: 'bob' })).json.ok, false);  // already open
    assert.equal((await alice.post('stopprivate', { user: 'bob' })).json.ok, true);
    await bobEvents.waitFor((e) => e.type === 'link' && e.user === 'alice' && e.state === 'closed');
    assert.equal((await alice.post('private', { user: 'bob', text: 'gone' })).json.ok, false);
    assert.equal((await alice.post('startprivate', { user: 'alice' })).json.ok, false);
  });

  test('register, searchFile, searchChunk, download, downloads, uploads', async () => {
    const content = Buffer.alloc(300000, 7);
    fs.writeFileSync(path.join(alicePeer.share, 'notes.bin'), content);
    const state = await alice.state();
    assert.ok(state.share_files.some((f) => f.name === 'notes.bin' && f.size === 300000));
    const reg = await alice.post('register', { file: 'notes.bin', chunks: 5 });
    assert.equal(reg.json.ok, true);
    assert.equal(reg.json.events.find((e) => e.type === 'registered').chunks, 5);
    assert.equal((await alice.post('register', { file: 'missing.bin', chunks: 2 })).json.ok, false);
    assert.equal((await alice.post('register', { file: 'notes.bin', chunks: 0 })).json.ok, false);
    assert.equal((await alice.post('register', { file: 'notes.bin', chunks: -1 })).status, 400);
    const found = await bob.post('searchFile', { file: 'notes.bin' });
    assert.deepEqual(found.json.events.find((e) => e.type === 'file').users, ['alice']);
    assert.equal((await bob.post('searchfile', { file: 'nothing.bin' })).json.ok, false);
    const chunks = await bob.post('searchChunk', { file: 'notes.bin', chunks: [1, 5] });
    assert.deepEqual(chunks.json.events.find((e) => e.type === 'chunks').chunks, { 1: ['alice'], 5: ['alice'] });
    assert.equal((await bob.post('searchChunk', { file: 'notes.bin', chunks: [6] })).json.ok, false);
    const mark = bobEvents.events.length;
    const dl = await bob.post('download', { file: 'notes.bin' });
    assert.equal(dl.json.ok, true);
    const done = await bobEvents.waitFor((e) => e.type === 'downloaded' && e.file === 'notes.bin', 30000, mark);
    assert.deepEqual(fs.readFileSync(done.data.path), content);
    const list = await bob.post('downloads');
    assert.equal(list.json.events.find((e) => e.type === 'downloads').downloads[0].state, 'finished');
    const uploads = await alice.post('uploads');
    assert.ok(uploads.json.events.some((e) => e.type === 'uploads'));
    assert.equal((await bob.post('download', { file: 'nothing.bin' })).json.ok, false);
    assert.equal((await bob.post('download', { file: 'notes.bin', chunks: 'all' })).status, 400);
  });

  test('history, help, reconnect', async () => {
    const history = await alice.post('history', { user: 'bob', count: 50 });
    const lines = history.json.events.find((e) => e.type === 'history').messages;
    assert.ok(lines.some((m) => m.text === 'hello bob' && m.mine && m.state === 'delivered'));
    assert.ok(lines.some((m) => m.text === 'direct hello' && m.kind === 'private'));
    assert.equal((await alice.post('history', { count: 5000 })).status, 400);
    const help = await alice.post('help', { topic: 'message' });
    assert.match(help.json.events.find((e) => e.type === 'help').text, /message/);
    const reconnect = await alice.post('reconnect');
    assert.equal(reconnect.status, 200);
  });
});

describe('event stream', () => {
  test('resumes after Last-Event-ID without gaps or repeats', async () => {
    const first = alice.events((await alice.state()).last_event_id);
    await bob.post('message', { to: 'alice', text: 'one' });
    const one = await first.waitFor((e) => e.text === 'one');
    first.close();
    for (const text of ['two', 'three']) await bob.post('message', { to: 'alice', text });
    await aliceEvents.waitFor((e) => e.text === 'three');
    const resumed = alice.events(one.id);
    await resumed.waitFor((e) => e.text === 'three');
    const texts = resumed.events.filter((e) => e.data.type === 'message').map((e) => e.data.text);
    assert.deepEqual(texts, ['two', 'three']);
    const ids = resumed.events.map((e) => e.id);
    assert.equal(ids[0], one.id + 1);
    ids.forEach((id, i) => i > 0 && assert.equal(id, ids[i - 1] + 1));
    resumed.close();
  });

  test('an id the log no longer has (or never had) starts with a reset', async () => {
    const stream = alice.events(999999999);
    const reset = await stream.waitFor((e) => e.type === 'reset');
    assert.equal(reset.event, 'reset');
    assert.equal(reset.id, (await alice.state()).last_event_id);
    stream.close();
  });
});

describe('options', () => {
  test('a non-loopback --web needs --web-allow-remote, and that needs a password', async () => {
    const noRemote = await runPeer(['--no-shell', '--web', '0.0.0.0:0'], dir);
    assert.equal(noRemote.code, 2);
    assert.match(noRemote.stderr, /--web-allow-remote/);
    const noPassword = await runPeer(['--no-shell', '--web', '0.0.0.0:0', '--web-allow-remote'], dir);
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /--web-password/);
    const noWeb = await runPeer(['--no-shell'], dir);
    assert.equal(noWeb.code, 2);
  });

  test('with a password, the password opens a session', async () => {
    const peer = await WebPeer.start(dir, server.port, 'remote',
                                     { extra: ['--web-allow-remote', '--web-password', 'open sesame'] });
    try {
      const client = new Client(peer.url);
      assert.equal((await client.post('auth', { password: 'wrong' })).status, 401);
      const ok = await client.post('auth', { password: 'open sesame' });
      assert.equal(ok.status, 200);
      client.cookie = ok.headers['set-cookie'][0].split(';')[0];
      assert.equal((await client.api('GET', '/api/state')).status, 200);
    } finally {
      await peer.stop();
    }
  });
});

describe('background peer', () => {
  test('with --user and a password it logs in at start', async () => {
    const peer = await WebPeer.start(dir, server.port, 'carol',
                                     { extra: ['--user', 'carol'], env: { PARLEY_PASSWORD: 'carol123' } });
    try {
      const carol = new Client(peer.url);
      await carol.open();
      const events = carol.events(0);
      await events.waitFor((e) => e.type === 'login' && e.user === 'carol');
      events.close();
      const state = await carol.state();
      assert.equal(state.user, 'carol');
      assert.equal(state.can_log_in, false);
      const again = await carol.post('login', { user: 'carol', password: 'carol123' });
      assert.equal(again.status, 200);  // logged in already: the shell's `login`, which says so
    } finally {
      await peer.stop();
    }
  });
});

describe('logout', () => {
  test('logout ends a background peer', async () => {
    const res = await bob.post('logout');
    assert.ok(res.status === 200 || res.status === 503);
    assert.equal(await bobPeer.exited(), 0);
    await aliceEvents.waitFor((e) => e.type === 'presence' && e.user === 'bob' && !e.online);
  });
});
