import { Connection, createApiClient, ServerSession } from '@parley/desktop';
import { afterAll, describe, expect, it } from 'vitest';
import { register } from '../../../tests/support/http.js';
import { withServer } from '../../../tests/support/server.js';
import { connectClient, eventually } from '../../../tests/support/socket.js';

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
