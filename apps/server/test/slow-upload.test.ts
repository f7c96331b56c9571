import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { API_PREFIX, type AuthResponse } from '@parley/shared';
import { call, register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient } from '@parley/test-support/socket';
import { beforeAll, describe, expect, it } from 'vitest';

const IDLE_SECONDS = 2;
const t = withServer({ HTTP_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) });

/**
 * Uploads `body` in `chunks` pieces, `everyMs` apart (stopping after `stopAfter` pieces, the
 * connection left open); resolves with the answer's status, or 'closed' if the server hung up.
 */
function throttledUpload(
  from: AuthResponse,
  id: string,
  body: Buffer,
  { chunks, everyMs, stopAfter = chunks }: { chunks: number; everyMs: number; stopAfter?: number },
): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const req = request(`${t.url}${API_PREFIX}/attachments/${id}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${from.accessToken}`,
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
      },
    });
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', () => resolve('closed'));
    const size = Math.ceil(body.length / chunks);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent === stopAfter) return clearInterval(timer); // stalls, connection open
      req.write(body.subarray(sent * size, (sent + 1) * size));
      if (++sent === chunks) {
        clearInterval(timer);
        req.end();
      }
    }, everyMs);
  });
}

describe('uploads on a slow link', () => {
  let alice: AuthResponse;
  let bob: AuthResponse;
  beforeAll(async () => {
    [alice, bob] = [await register(t.url), await register(t.url)];
  });
  const announce = async (size: number): Promise<string> =>
    (
      await call(t.url, 'POST', '/attachments', {
        token: alice.accessToken,
        body: { recipientUserId: bob.user.id, size },
      })
    ).body.id;

  it('an upload taking far longer than the idle timeout gets through while it keeps sending', {
    timeout: 30_000,
  }, async () => {
    const body = randomBytes(64 * 1024);
    const id = await announce(body.length);
    const started = Date.now();
    expect(await throttledUpload(alice, id, body, { chunks: 16, everyMs: 300 })).toBe(204);
    expect(Date.now() - started).toBeGreaterThan(2 * IDLE_SECONDS * 1000);
  });

  it('an upload that stalls is dropped after the idle timeout, and stores nothing', { timeout: 30_000 }, async () => {
    const body = randomBytes(64 * 1024);
    const id = await announce(body.length);
    const started = Date.now();
    expect(await throttledUpload(alice, id, body, { chunks: 16, everyMs: 100, stopAfter: 4 })).toBe('closed');
    expect(Date.now() - started).toBeLessThan(15_000);
    const download = await fetch(`${t.url}${API_PREFIX}/attachments/${id}`, {
      headers: { authorization: `Bearer ${bob.accessToken}` },
    });
    expect(download.status).toBe(404);
  });

  it('a quiet live connection (WebSocket) is not an idle HTTP request: it stays up', { timeout: 30_000 }, async () => {
    const client = await connectClient(t.url, alice.accessToken);
    await new Promise((r) => setTimeout(r, 3 * IDLE_SECONDS * 1000));
    expect(client.socket.connected).toBe(true);
    client.close();
  });
});
