import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection, createApiClient, ServerSession } from '@parley/desktop';
import { type PresenceEvent, SERVER_EVENTS, SOCKET_PATH } from '@parley/shared';
import { register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { Server } from 'socket.io';
import { afterAll, describe, expect, it, vi } from 'vitest';

const WINDOW_SECONDS = 7;
const t = withServer({ RATE_LIMIT_CONNECT_PER_USER: `1/${WINDOW_SECONDS}` });

/** Counts the connection's handshakes: each asks for a token. */
class CountingSession extends ServerSession {
  handshakes: number[] = [];
  override token(): Promise<string> {
    this.handshakes.push(Date.now());
    return super.token();
  }
}

describe('connection', () => {
  let connection: Connection | undefined;
  afterAll(() => connection?.close());

  it('waits out a RATE_LIMITED refusal instead of trying again at once', async () => {
    const auth = await register(t.url);
    // Another device of the account takes the window's only connection.
    (await connectClient(t.url, auth.accessToken)).close();

    const session = new CountingSession(
      createApiClient(t.url),
      auth.refreshToken,
      { persistRefreshToken: async () => {}, revoked: () => {} },
      auth,
    );
    let online = false;
    connection = new Connection(t.url, session, {
      state: (state) => {
        online = state === 'online';
      },
      envelopes: async () => [],
      presence: () => {},
      userUpdated: () => {},
      typing: () => {},
      signal: () => {},
      keysLow: () => {},
      sessionEnded: () => {},
      connected: () => {},
    });
    connection.open();

    // Refused once; no second try while the window lasts (a fixed 5 s retry would be one).
    await new Promise((r) => setTimeout(r, (WINDOW_SECONDS - 1) * 1_000));
    expect(session.handshakes).toHaveLength(1);
    expect(online).toBe(false);
    // Past the wait it was told, it connects on its next try.
    await eventually(() => online, WINDOW_SECONDS * 1_000, 'online');
    expect(session.handshakes).toHaveLength(2);
    const [first = 0, second = 0] = session.handshakes;
    expect(second - first).toBeGreaterThanOrEqual((WINDOW_SECONDS - 1) * 1_000);
  }, 30_000);
});

describe('connection to a server that sends what the contract does not allow', () => {
  it('drops each malformed event with a warning and goes on handling the good ones', async () => {
    const http = createServer();
    const io = new Server(http, { path: SOCKET_PATH, transports: ['websocket'] });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const good: PresenceEvent = { userId: crypto.randomUUID(), online: true, lastSeenAt: null };
    let envelopesAnswer: unknown = 'none';
    io.on('connection', (socket) => {
      socket.emit(SERVER_EVENTS.presence, { userId: 'not-a-uuid', online: 'yes' });
      socket.emit(SERVER_EVENTS.sessionEnded, { reason: 'because' });
      socket.emit(SERVER_EVENTS.signal, null);
      socket.emit(SERVER_EVENTS.envelopes, { envelopes: [{ id: 1 }] }, (answer: unknown) => {
        envelopesAnswer = answer;
      });
      socket.emit(SERVER_EVENTS.presence, good);
    });

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const seen = { presence: [] as PresenceEvent[], envelopes: 0, sessionEnded: 0, signal: 0 };
    const handlers: ConstructorParameters<typeof Connection>[2] = {
      state: () => {},
      envelopes: async () => {
        seen.envelopes++;
        return [];
      },
      presence: (e) => seen.presence.push(e),
      userUpdated: () => {},
      typing: () => {},
      signal: () => seen.signal++,
      keysLow: () => {},
      sessionEnded: () => seen.sessionEnded++,
      connected: () => {},
    };
    const session = new ServerSession(createApiClient(url), 'unused', {
      persistRefreshToken: async () => {},
      revoked: () => {},
    });
    vi.spyOn(session, 'token').mockResolvedValue('token');
    const link = new Connection(url, session, handlers);
    try {
      link.open();
      await eventually(() => seen.presence.length === 1, 5_000, 'the good presence event');
      expect(seen.presence).toEqual([good]);
      expect({ envelopes: seen.envelopes, sessionEnded: seen.sessionEnded, signal: seen.signal }).toEqual({
        envelopes: 0,
        sessionEnded: 0,
        signal: 0,
      });
      expect(envelopesAnswer).toBe('none');
      const warnings = warn.mock.calls.map(([message]) => String(message));
      for (const name of ['presence', 'session:ended', 'signal', 'envelopes']) {
        expect(warnings).toContain(`parley: dropped a malformed ${name} event from the server`);
      }
      expect(link.connected).toBe(true);
    } finally {
      warn.mockRestore();
      link.close();
      io.close();
      http.close();
    }
  });
});
