// Fixtures for the web UI's tests: the built parley-server and parley-peer --no-shell
// --web processes in a temporary folder, an HTTP client that keeps the session cookie
// and sends what the page sends, and a reader of the event stream.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const kAccounts = 'alice alice123\nbob bob123\ncarol carol123\ndave dave123\n';

export function tempDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `parley-web-${name}-`));
}

function binary(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through meson test`);
  return value;
}

// Resolves with the match of the first stdout line that matches `pattern`.
function awaitLine(child, pattern, what, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${what}: no line matching ${pattern}`)), timeoutMs);
    lines.on('line', (line) => {
      const m = line.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}`));
    });
  });
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export class Server {
  static async start(dir, { port = 0, extra = [] } = {}) {
    fs.writeFileSync(path.join(dir, 'credentials.txt'), kAccounts);
    const args = ['--port', String(port), '--credentials', path.join(dir, 'credentials.txt'),
                  '--data-dir', path.join(dir, 'server-data'), ...extra];
    const log = fs.openSync(path.join(dir, 'server.log'), 'a');
    const child = spawn(binary('PARLEY_SERVER_BIN'), args, { stdio: ['ignore', 'pipe', log] });
    const m = await awaitLine(child, /listening on [0-9.]+:(\d+) fingerprint ([0-9a-f]{64})/, 'parley-server');
    const server = new Server();
    Object.assign(server, { dir, child, extra, port: Number(m[1]), fingerprint: m[2] });
    return server;
  }

  async stop() {
    this.child.kill('SIGTERM');
    await exited(this.child);
  }

  // The same server again, on the same port and data (so the same certificate).
  async restart() {
    await this.stop();
    const again = await Server.start(this.dir, { port: this.port, extra: this.extra });
    this.child = again.child;
  }
}

export class WebPeer {
  static async start(dir, serverPort, name, { extra = [], env = {} } = {}) {
    const home = path.join(dir, `peer-${name}`);
    const share = path.join(home, 'share');
    fs.mkdirSync(share, { recursive: true });
    const args = ['--no-shell', '--web', '127.0.0.1:0', '--server', `127.0.0.1:${serverPort}`,
                  '--data-dir', home, '--share-dir', share, '--download-dir', path.join(home, 'downloads'),
                  ...extra];
    const log = fs.openSync(path.join(dir, `peer-${name}.log`), 'a');
    const child = spawn(binary('PARLEY_PEER_BIN'), args, {
      stdio: ['ignore', 'pipe', log],
      env: { ...process.env, ...env, XDG_CONFIG_HOME: path.join(dir, 'no-settings') },
    });
    const m = await awaitLine(child, /^web UI: (http:\/\/\S+)$/, `parley-peer ${name}`);
    const peer = new WebPeer();
    Object.assign(peer, { child, url: m[1], home, share, name });
    return peer;
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return exited(this.child);
  }

  exited() {
    return exited(this.child);
  }
}

// Runs parley-peer with `args` and resolves with its exit code and stderr.
export function runPeer(args, dir) {
  return new Promise((resolve) => {
    const child = spawn(binary('PARLEY_PEER_BIN'), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'no-settings') },
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

// Speaks to one peer's web UI as its page does (Host, Origin, X-Parley, the cookie).
export class Client {
  constructor(url) {
    const u = new URL(url);
    this.host = u.host;
    this.port = Number(u.port);
    this.secret = u.searchParams.get('secret');
    this.cookie = '';
  }

  raw(method, urlPath, { body, headers = {} } = {}) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = http.request({
        host: '127.0.0.1', port: this.port, method, path: urlPath,
        headers: { Host: this.host, ...(data ? { 'Content-Type': 'application/json' } : {}), ...headers },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => {
          let json;
          try { json = JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  // Exchanges the link's secret for the session cookie.
  async open() {
    const res = await this.raw('GET', `/?secret=${this.secret}`);
    const set = res.headers['set-cookie'];
    if (res.status !== 303 || !set) throw new Error(`the secret was refused: ${res.status}`);
    this.cookie = set[0].split(';')[0];
    return res;
  }

  api(method, urlPath, body, headers = {}) {
    return this.raw(method, urlPath, {
      body,
      headers: { 'X-Parley': '1', Origin: `http://${this.host}`, Cookie: this.cookie, ...headers },
    });
  }

  async post(command, body = {}) {
    return this.api('POST', `/api/${command}`, body);
  }

  async state() {
    return (await this.api('GET', '/api/state')).json;
  }

  // Logs in through the page's flow, trusting the server's certificate if asked.
  async logIn(user, password) {
    let res = await this.post('login', { user, password });
    if (res.json.trust) {
      const trusted = await this.post('trust', { fingerprint: res.json.trust.fingerprint });
      if (!trusted.json.ok) throw new Error(`trust failed: ${trusted.text}`);
      res = await this.post('login', { user, password });
    }
    if (!res.json.ok) throw new Error(`login failed: ${res.text}`);
    return res.json;
  }

  events(lastEventId) {
    return new EventStream(this, lastEventId);
  }
}

// The event stream of one client, parsed as the page parses it.
export class EventStream {
  constructor(client, lastEventId) {
    this.events = [];
    this.waiters = [];
    const headers = { 'X-Parley': '1', Cookie: client.cookie, Host: client.host };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    this.req = http.get({ host: '127.0.0.1', port: client.port, path: '/api/events', headers }, (res) => {
      this.status = res.statusCode;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      });
    });
    this.req.on('error', () => {});
  }

  parse(block) {
    const event = { id: undefined, event: 'message', data: undefined };
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) event.id = Number(line.slice(4));
      else if (line.startsWith('event: ')) event.event = line.slice(7);
      else if (line.startsWith('data: ')) event.data = JSON.parse(line.slice(6));
    }
    if (event.data === undefined) return;
    this.events.push(event);
    for (const w of [...this.waiters]) w();
  }

  // The first event (after index `from`) whose data satisfies `predicate`.
  waitFor(predicate, timeoutMs = 15000, from = 0) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find((e) => predicate(e.data, e));
        if (!found) return false;
        this.waiters = this.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no such event; got ${JSON.stringify(this.events.map((e) => e.data))}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(check);
    });
  }

  close() {
    this.req.destroy();
  }
}
