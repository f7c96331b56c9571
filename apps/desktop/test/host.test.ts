import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CoreThread } from '@parley/desktop';
import { type RunningHost, startHost } from '@parley/desktop/host';
import { ATTACHMENT_APPEND_BYTES, type LocalMessage } from '@parley/shared';
import { registerCore, type TestCore } from '@parley/test-support/cores';
import { PASSWORD, uniqueName } from '@parley/test-support/http';
import { REPO_ROOT, withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const t = withServer();

/**
 * The browser host as a page would meet it, and as a hostile page or a renderer bug would: its
 * cookie guards the attachment route, and the bridge refuses malformed calls with a typed error.
 */
describe('the browser host', () => {
  let host: RunningHost;
  let dir: string;
  let cookie: string;
  let key: string;
  let bridge: Socket;

  /** Opens the bridge as a client choosing its own headers and handshake; resolves with the socket or the refusal. */
  const openBridge = (headers: Record<string, string>, auth: Record<string, unknown>) =>
    new Promise<Socket>((ok, fail) => {
      const socket = io(host.origin, {
        path: '/bridge',
        transports: ['websocket'],
        extraHeaders: headers,
        auth,
        reconnection: false,
        forceNew: true,
      });
      socket.once('connect', () => ok(socket));
      socket.once('connect_error', (error) => {
        socket.close();
        fail(error);
      });
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-host-'));
    host = await startHost({
      dataDir: dir,
      serverUrl: t.url,
      port: 0,
      rendererDir: join(REPO_ROOT, 'apps/desktop/dist/renderer'),
    });
    const welcome = await fetch(host.url, { redirect: 'manual' });
    cookie = (welcome.headers.get('set-cookie') ?? '').split(';')[0] as string;
    // The key goes on to the page in the fragment, never to a server again.
    key = new URLSearchParams(new URL(welcome.headers.get('location') ?? '', host.origin).hash.slice(1)).get(
      'key',
    ) as string;
    expect(key).toBe(new URL(host.url).searchParams.get('key'));
    expect(cookie).not.toContain(key);
    bridge = await openBridge({ cookie, origin: host.origin }, { key });
  });
  afterAll(async () => {
    bridge?.close();
    await host?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, args: unknown[]) => bridge.timeout(10_000).emitWithAck('parley:call', method, args);

  it('opens the bridge only with the key as well as the cookie (any server on 127.0.0.1 gets the cookie)', async () => {
    await expect(openBridge({ cookie, origin: host.origin }, {})).rejects.toThrow(/address the Parley host printed/);
    await expect(openBridge({ cookie, origin: host.origin }, { key: `${key.slice(1)}x` })).rejects.toThrow(
      /address the Parley host printed/,
    );
    await expect(openBridge({ origin: host.origin }, { key })).rejects.toThrow();
    (await openBridge({ cookie, origin: host.origin }, { key })).close();
  });

  it('refuses any other Host (DNS rebinding), on every file and on the bridge', async () => {
    const port = new URL(host.origin).port;
    const get = (hostHeader: string) =>
      new Promise<number>((ok, fail) =>
        httpGet(`${host.origin}/`, { headers: { host: hostHeader, cookie } }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        }).once('error', fail),
      );
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`)).toBe(200);
    for (const other of [`rebind.example:${port}`, '127.0.0.1', `127.0.0.1:${Number(port) + 1}`]) {
      expect(await get(other)).toBe(421);
    }
    const rebound = `rebind.example:${port}`;
    await expect(openBridge({ cookie, host: rebound, origin: `http://${rebound}` }, { key })).rejects.toThrow();
  });

  it('serves attachments only with its cookie, and 404 for what is not there', async () => {
    const id = crypto.randomUUID();
    expect((await fetch(`${host.origin}/attachments/${id}`)).status).toBe(403);
    const missing = await fetch(`${host.origin}/attachments/${id}`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe('sandbox');
    expect((await fetch(`${host.origin}/attachments/..%2Fparley.db`, { headers: { cookie } })).status).toBe(404);
  });

  it('refuses malformed file chunks with VALIDATION_FAILED, and unknown drafts with NOT_FOUND', async () => {
    const id = crypto.randomUUID();
    for (const bad of [
      [id, 'not bytes'],
      [id, randomBytes(ATTACHMENT_APPEND_BYTES + 1)],
      ['nope', randomBytes(4)],
    ]) {
      expect(await call('appendAttachment', bad)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await call('startAttachment', [id, { name: '', contentType: 'text/plain', size: 1 }])).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    // Well-formed, but no session: the core says so.
    expect(await call('appendAttachment', [id, randomBytes(4)])).toMatchObject({
      ok: false,
      error: { code: 'NOT_SIGNED_IN' },
    });
  });
});

/**
 * The core runs in its own thread behind the host: everything the page does crosses it. These
 * check what must survive the crossing (answers, typed errors with their details, events, file
 * bytes both ways) and that the thread's end is clean (closed by the host) or reported (a crash).
 */
describe("the browser host's core thread", () => {
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const start = (dataDir: string) =>
    startHost({ dataDir, serverUrl: t.url, port: 0, rendererDir: join(REPO_ROOT, 'apps/desktop/dist/renderer') });
  let dir: string;
  let host: RunningHost;
  let bob: TestCore;
  let aliceId: string;
  let bobId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-host-thread-'));
    host = await start(dir);
    bob = await registerCore(t.url, 'bob');
    bobId = (await bob.core.session())?.user.id as string;
  });
  afterAll(async () => {
    await host?.close();
    await bob?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs up in the thread (keychain and encrypted store load there) and chats both ways, with events', async () => {
    const session = await host.core.register({
      username: uniqueName('alice'),
      password: PASSWORD,
      displayName: 'Alice',
      deviceName: 'Browser host',
    });
    aliceId = session.user.id;
    expect(await host.core.session()).toEqual(session);
    await eventually(async () => (await host.core.connectionState()) === 'online', 10_000, 'alice online');

    const arrived: LocalMessage[] = [];
    const stop = host.core.on('message', (message) => arrived.push(message));
    const sent = await host.core.sendText(bobId, 'Hello from the thread');
    await eventually(
      async () => (await bob.conversation(aliceId)).some((m) => m.id === sent.id),
      10_000,
      'bob gets it',
    );
    await bob.core.sendText(aliceId, 'And back to the page');
    await eventually(() => arrived.some((m) => m.direction === 'in'), 10_000, 'the message event');
    stop();
    expect(arrived.map((m) => [m.direction, m.text])).toEqual([
      ['out', 'Hello from the thread'],
      ['in', 'And back to the page'],
    ]);
    expect((await host.core.history(bobId)).messages.map((m) => m.text)).toEqual([
      'Hello from the thread',
      'And back to the page',
    ]);
  });

  it('answers a core error with its code and details, and a call the thread refuses with VALIDATION_FAILED', async () => {
    await expect(
      host.core.startAttachment(bobId, { name: 'huge.bin', contentType: 'application/octet-stream', size: 2 ** 40 }),
    ).rejects.toMatchObject({ code: 'ATTACHMENT_TOO_LARGE', details: { maxBytes: expect.any(Number) } });
    await expect(host.core.sendText('not-a-user', 'x')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(host.core.login({ username: 'alice', password: PASSWORD, deviceName: 'x' })).rejects.toMatchObject({
      code: 'ALREADY_SIGNED_IN',
    });
  });

  it('takes a file in chunks across the thread and serves its bytes back, whole and as a range', async () => {
    const bytes = randomBytes(ATTACHMENT_APPEND_BYTES + 300_000);
    const id = await host.core.startAttachment(bobId, {
      name: 'notes.bin',
      contentType: 'application/octet-stream',
      size: bytes.length,
    });
    for (let at = 0; at < bytes.length; at += ATTACHMENT_APPEND_BYTES) {
      await host.core.appendAttachment(id, bytes.subarray(at, at + ATTACHMENT_APPEND_BYTES));
    }
    await host.core.sendAttachment(id, '');
    const welcome = await fetch(host.url, { redirect: 'manual' });
    const cookie = (welcome.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const whole = await fetch(`${host.origin}/attachments/${id}?download`, { headers: { cookie } });
    expect(whole.status).toBe(200);
    expect(sha256(new Uint8Array(await whole.arrayBuffer()))).toBe(sha256(bytes));
    const part = await fetch(`${host.origin}/attachments/${id}`, { headers: { cookie, range: 'bytes=70000-1100000' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(70000, 1100001))).toBe(true);
    await eventually(
      async () => (await bob.conversation(aliceId)).some((m) => m.id === id),
      10_000,
      'bob gets the file',
    );
  });

  it('close ends the core cleanly (the next host restores the session), and later calls answer that it stopped', async () => {
    const stopped = host;
    await stopped.close();
    await expect(stopped.core.session()).rejects.toMatchObject({ code: 'INTERNAL', message: 'The core has stopped' });
    host = await start(dir);
    expect((await host.core.restoreSession())?.user.id).toBe(aliceId);
    expect((await host.core.history(bobId)).messages.map((m) => m.text)).toContain('And back to the page');
  });

  it('starts core threads one after another in a process that has not loaded keytar itself', {
    timeout: 60_000,
  }, async () => {
    // libsecret (under keytar) cannot be loaded again once a thread's unload dropped it, so
    // CoreThread keeps keytar loaded on the shell's thread. This process has loaded it already
    // (the test cores): a fresh one shows it.
    const script = `
      import { mkdtemp } from 'node:fs/promises';
      import { CoreThread } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'apps/desktop/dist/core/core-thread.js')).href)};
      for (let i = 0; i < 2; i++) {
        const thread = new CoreThread({ dataDir: await mkdtemp(${JSON.stringify(join(dir, 'fresh-'))}), serverUrl: ${JSON.stringify(t.url)} });
        const signedUp = await thread.invoke('register', [{ username: 'fresh' + i + '_' + process.pid, password: ${JSON.stringify(PASSWORD)}, displayName: 'Fresh', deviceName: 'x' }]);
        await thread.close();
        if (!signedUp.ok) throw new Error(JSON.stringify(signedUp));
      }`;
    const file = join(dir, 'fresh-process.mjs');
    await writeFile(file, script);
    const { stderr } = await promisify(execFile)(process.execPath, [file], { timeout: 50_000 });
    // Loaded twice, libsecret fails GLib's type registration: warned about, then a hang or a crash, or not.
    expect(stderr).not.toMatch(/GLib/);
  });

  it('reports a core thread that dies, and answers calls to it with a typed error', async () => {
    const thread = new CoreThread({ dataDir: '', serverUrl: 'not a url' });
    // The options fail the thread's own check as it starts: the reason comes back with its stack.
    expect((await thread.crashed).stack).toMatch(/ZodError[\s\S]*dataDir/);
    expect(await thread.invoke('session', [])).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'The core has stopped' },
    });
    await thread.close();
  });
});
