import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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
  let bridge: Socket;

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
    bridge = io(host.origin, {
      path: '/bridge',
      transports: ['websocket'],
      extraHeaders: { cookie, origin: host.origin },
    });
    await new Promise<void>((ok, fail) => {
      bridge.once('connect', ok);
      bridge.once('connect_error', fail);
    });
  });
  afterAll(async () => {
    bridge?.close();
    await host?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, args: unknown[]) => bridge.timeout(10_000).emitWithAck('parley:call', method, args);

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
