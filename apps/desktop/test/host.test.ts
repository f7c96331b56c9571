import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningHost, startHost } from '@parley/desktop/host';
import { ATTACHMENT_APPEND_BYTES } from '@parley/shared';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, withServer } from '../../../tests/support/server.js';

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
