// Parley's web UI in real Chromium: two users in two browser contexts against a real
// server and two background peers. Screenshots of the main views go to
// $PARLEY_ARTIFACTS (build/browser-artifacts). Skips (exit 77) without playwright-core
// (npm ci here) or /usr/bin/chromium; ./dev.sh test installs both.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Server, WebPeer, tempDir } from '../web/fixture.mjs';

const kChromium = '/usr/bin/chromium';
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('skipped: playwright-core is not installed (cd tests/browser && npm ci)');
  process.exit(77);
}
if (!fs.existsSync(kChromium)) {
  console.log(`skipped: ${kChromium} is missing (apt-get install chromium)`);
  process.exit(77);
}

const artifacts = process.env.PARLEY_ARTIFACTS || path.resolve('browser-artifacts');
fs.mkdirSync(artifacts, { recursive: true });
const dir = tempDir('browser');
const kFileSize = 3 * 1024 * 1024;
let server, alicePeer, bobPeer, browser, alice, bob;

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

async function openAndLogIn(peer, user, password, { trust = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`${user} page error: ${e.message}`));
  await page.goto(peer.url);
  assert.equal(new URL(page.url()).search, '', 'the secret leaves the address bar');
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  if (trust) {  // a peer that pinned the server before is not asked again
    await page.locator('#trust-fingerprint').filter({ hasText: server.fingerprint }).waitFor();
    if (user === 'alice') await shot(page, '01-login-trust');
    await page.getByRole('button', { name: 'Trust' }).click();
  }
  await page.locator('#server-state', { hasText: 'connected' }).waitFor();
  await page.locator('#login').waitFor({ state: 'hidden' });
  return page;
}

const userRow = (page, user) => page.locator(`#users button[data-user="${user}"]`);
async function showFiles(page) {
  if (!(await page.locator('#files').isVisible())) await page.getByRole('button', { name: 'Files' }).click();
}
const messageText = (page, text) => page.locator('#messages .msg .text', { hasText: text });

before(async () => {
  server = await Server.start(dir);
  [alicePeer, bobPeer] = await Promise.all([
    WebPeer.start(dir, server.port, 'alice', { extra: ['--upload-limit', '1024'] }),
    WebPeer.start(dir, server.port, 'bob')]);
  fs.writeFileSync(path.join(alicePeer.share, 'holiday.jpg'), Buffer.alloc(kFileSize, 42));
  browser = await chromium.launch({ executablePath: kChromium, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await Promise.all([alicePeer?.stop(), bobPeer?.stop()]);
  await server?.stop();
});

test('two users log in and see each other appear', async () => {
  alice = await openAndLogIn(alicePeer, 'alice', 'alice123');
  bob = await openAndLogIn(bobPeer, 'bob', 'bob123');
  await userRow(alice, 'bob').locator('.presence', { hasText: 'online' }).waitFor();
  await userRow(bob, 'alice').locator('.presence', { hasText: 'online' }).waitFor();
});

test('messages go both ways, with unread counts and receipt states', async () => {
  await userRow(alice, 'bob').click();
  await alice.getByLabel('Message', { exact: true }).fill('Hello Bob!');
  await alice.keyboard.press('Enter');
  await alice.locator('#messages .msg.mine', { hasText: 'Hello Bob!' }).locator('.state.delivered').waitFor();
  await bob.locator('#conversations button[data-conv="u:alice"] .unread', { hasText: '1' }).waitFor();
  await bob.locator('#conversations button[data-conv="u:alice"]').click();
  await messageText(bob, 'Hello Bob!').waitFor();
  await bob.getByLabel('Message', { exact: true }).fill('Hi Alice, good to see you here.');
  await bob.getByRole('button', { name: 'Send' }).click();
  await messageText(alice, 'Hi Alice, good to see you here.').waitFor();
  // Up brings back the last message sent, to edit it.
  await alice.getByLabel('Message', { exact: true }).press('ArrowUp');
  assert.equal(await alice.getByLabel('Message', { exact: true }).inputValue(), 'Hello Bob!');
  await alice.getByLabel('Message', { exact: true }).fill('');
  await shot(alice, '02-chat');
});

test('a direct link opens and carries messages, marked direct', async () => {
  await alice.getByRole('button', { name: 'Open direct link' }).click();
  await alice.locator('#chat-sub', { hasText: /direct link \(direct\) · fingerprint [0-9a-f]{64}/ }).waitFor();
  await bob.locator('#conversations button[data-conv="u:alice"] .tag.direct').waitFor();
  await alice.getByLabel('Message', { exact: true }).fill('This one goes peer to peer.');
  await alice.keyboard.press('Enter');
  await bob.locator('#messages .msg.direct', { hasText: 'This one goes peer to peer.' }).waitFor();
  await bob.getByLabel('Message', { exact: true }).fill('And back the same way.');
  await bob.keyboard.press('Enter');
  await alice.locator('#messages .msg.direct', { hasText: 'And back the same way.' }).waitFor();
  await shot(alice, '03-direct-link');
});

// No button or field lies under a toast (it once hid the people list's Block buttons).
async function assertToastCoversNothing(page) {
  const covered = await page.evaluate(() => {
    const t = document.querySelector('.toast').getBoundingClientRect();
    return [...document.querySelectorAll('button, input, select, textarea')].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom;
    }).map((e) => e.getAttribute('aria-label') || e.id || e.textContent);
  });
  assert.deepEqual(covered, []);
}

test('blocking closes the link and refuses messages until unblocked', async () => {
  await bob.locator('#block-button').click();
  await userRow(bob, 'alice').locator('.tag.blocked').waitFor();
  await alice.locator('#messages .system', { hasText: 'Direct link closed' }).waitFor();
  await alice.getByLabel('Message', { exact: true }).fill('Are you there?');
  await alice.keyboard.press('Enter');
  await alice.locator('.toast.error').first().waitFor();
  await assertToastCoversNothing(alice);
  await shot(alice, '04-refused-toast');
  await alice.locator('.toast.error').first().click();  // dismissed by a click
  await alice.locator('.toast.error').waitFor({ state: 'detached' });
  await shot(bob, '04-blocked');
  assert.equal(await messageText(bob, 'Are you there?').count(), 0);
  await bob.getByRole('button', { name: 'Unblock alice' }).click();
  await userRow(bob, 'alice').locator('.tag.blocked').waitFor({ state: 'detached' });
});

test('a registered file downloads with its progress bar reaching 100 %', async () => {
  await showFiles(alice);
  await alice.getByLabel('File from the share folder').selectOption('holiday.jpg');
  await alice.getByLabel('Chunks').fill('12');
  await alice.getByRole('button', { name: 'Register' }).click();
  await alice.locator('#shared li', { hasText: 'holiday.jpg' }).locator('.sub', { hasText: '12 chunks' }).waitFor();
  await showFiles(bob);
  await bob.getByLabel('File name').fill('holiday.jpg');
  await bob.getByRole('button', { name: 'Search' }).click();
  await bob.locator('#search-result', { hasText: 'Available from alice' }).waitFor();
  await bob.locator('#search-result .chunk.have').nth(11).waitFor();
  await bob.getByRole('button', { name: 'Download holiday.jpg' }).click();
  const row = bob.locator('#downloads li[data-file="holiday.jpg"]');
  await row.locator('.sub', { hasText: 'running' }).waitFor();
  await shot(bob, '05-download-running');
  await row.locator('progress[value="100"]').waitFor({ timeout: 60000 });
  await row.locator('.sub', { hasText: 'saved to' }).waitFor();
  await shot(bob, '06-download-done');
  const saved = fs.readFileSync(path.join(bobPeer.home, 'downloads', 'holiday.jpg'));
  assert.equal(saved.length, kFileSize);
});

test('the server restarts: reconnecting, then connected, with nothing lost', async () => {
  await alice.locator('#conversations button[data-conv="u:bob"]').click();
  await server.stop();
  await alice.locator('#server-state', { hasText: 'reconnecting' }).waitFor({ timeout: 30000 });
  await bob.locator('#server-state', { hasText: 'reconnecting' }).waitFor({ timeout: 30000 });
  await alice.getByLabel('Message', { exact: true }).fill('Written while the server was away.');
  await alice.keyboard.press('Enter');
  await alice.locator('#messages .msg.mine', { hasText: 'Written while the server was away.' })
    .locator('.state.queued').waitFor();
  await shot(alice, '07-reconnecting');
  await server.restart();
  await alice.locator('#server-state', { hasText: 'connected' }).waitFor({ timeout: 60000 });
  await bob.locator('#server-state', { hasText: 'connected' }).waitFor({ timeout: 60000 });
  await messageText(bob, 'Written while the server was away.').waitFor({ timeout: 30000 });
  for (const text of ['Hello Bob!', 'Hi Alice, good to see you here.', 'This one goes peer to peer.'])
    assert.equal(await messageText(bob, text).count(), 1, text);
  await bob.getByLabel('Message', { exact: true }).fill('Welcome back.');
  await bob.keyboard.press('Enter');
  await messageText(alice, 'Welcome back.').waitFor();
  await userRow(alice, 'bob').locator('.presence', { hasText: 'online' }).waitFor();
  await userRow(bob, 'alice').locator('.presence', { hasText: 'online' }).waitFor();
  await shot(alice, '08-back');
});

test('dark theme and a narrow window', async () => {
  await alice.emulateMedia({ colorScheme: 'dark' });
  await shot(alice, '09-dark');
  await alice.setViewportSize({ width: 420, height: 760 });
  await shot(alice, '10-narrow');
  await alice.getByRole('button', { name: 'Show people' }).click();
  await userRow(alice, 'bob').waitFor();
  await shot(alice, '11-narrow-people');
});

test('users blocked in an earlier session are marked after a fresh login, offline ones too', async () => {
  let carolPeer = await WebPeer.start(dir, server.port, 'carol');
  let carol = await openAndLogIn(carolPeer, 'carol', 'carol123');
  await userRow(carol, 'bob').waitFor();
  await carol.getByRole('button', { name: 'Block bob', exact: true }).click();
  await userRow(carol, 'bob').locator('.tag.blocked').waitFor();
  // dave was never online, so no list shows him: blocked the way the page calls the API.
  const ok = await carol.evaluate(async () => {
    const res = await fetch('/api/block', { method: 'POST', headers: { 'Content-Type': 'application/json',
      'X-Parley': '1' }, body: JSON.stringify({ user: 'dave' }) });
    return (await res.json()).ok;
  });
  assert.equal(ok, true);
  await userRow(carol, 'dave').locator('.tag.blocked').waitFor();
  await carol.context().close();
  assert.equal(await carolPeer.stop(), 0);

  // A new peer process on the same data: it knows nothing of the blocks but what the server says.
  carolPeer = await WebPeer.start(dir, server.port, 'carol');
  try {
    carol = await openAndLogIn(carolPeer, 'carol', 'carol123', { trust: false });
    await userRow(carol, 'bob').locator('.tag.blocked').waitFor();
    await userRow(carol, 'dave').locator('.tag.blocked').waitFor();
    await userRow(carol, 'dave').locator('.presence', { hasText: 'offline' }).waitFor();
    await shot(carol, '12-blocked-earlier');
    await carol.getByRole('button', { name: 'Unblock dave' }).click();
    await userRow(carol, 'dave').locator('.tag.blocked').waitFor({ state: 'detached' });
    // Never online, no longer blocked: still listed, so he can be blocked again from here.
    await carol.getByRole('button', { name: 'Block dave', exact: true }).waitFor();
    await shot(carol, '13-unblocked-offline-stays');
    await userRow(carol, 'bob').locator('.tag.blocked').waitFor();
  } finally {
    await carol.context().close();
    await carolPeer.stop();
  }
});
