import { randomUUID } from 'node:crypto';
import { type Ack, CLIENT_EVENTS, type ErrorCode, RetryAfterDetails, type SendMessageResponse } from '@parley/shared';
import { createDevice, opaqueEnvelopesFor, type TestDevice } from '@parley/test-support/devices';
import { call } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually, type TestClient } from '@parley/test-support/socket';
import { describe, expect, it } from 'vitest';

// A bound small enough that a burst from a few clients is sure to pass it, on any machine.
const t = withServer({ SENDS_MAX_IN_FLIGHT: '2' });

type Outcome = { ok: true } | { ok: false; code: ErrorCode; retryAfterSeconds?: number };

describe('admission control: a server past its capacity refuses at once, and loses nothing', () => {
  it('a burst past SENDS_MAX_IN_FLIGHT: the excess gets SERVER_BUSY with retryAfterSeconds over sockets and REST, every accepted send is delivered exactly once, no error is logged', {
    timeout: 90_000,
  }, async () => {
    const bob = await createDevice(t.url);
    const bobClient = await connectClient(t.url, bob.accessToken);
    const senders: { device: TestDevice; client: TestClient }[] = [];
    for (let i = 0; i < 4; i++) {
      const device = await createDevice(t.url);
      senders.push({ device, client: await connectClient(t.url, device.accessToken) });
    }

    const refusals = new Map<string, number>();
    const accepted: string[] = [];
    const record = (messageId: string, outcome: Outcome) => {
      if (outcome.ok) {
        accepted.push(messageId);
        return;
      }
      const key = `${outcome.code}${outcome.retryAfterSeconds ? ` retryAfter=${outcome.retryAfterSeconds}` : ''}`;
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    };

    type Sender = (typeof senders)[number];
    const overSocket = async ({ client }: Sender, messageId: string, envelopes: unknown): Promise<Outcome> => {
      const answer = await client.request<SendMessageResponse>(CLIENT_EVENTS.send, {
        messageId,
        recipientUserId: bob.user.id,
        envelopes,
      });
      if (answer.ok) return { ok: true };
      const error = (answer as Extract<Ack<unknown>, { ok: false }>).error;
      return { ok: false, code: error.code as ErrorCode, ...RetryAfterDetails.safeParse(error.details).data };
    };
    const overRest = async ({ device }: Sender, messageId: string, envelopes: unknown): Promise<Outcome> => {
      const res = await call(t.url, 'POST', '/messages', {
        token: device.accessToken,
        body: { messageId, recipientUserId: bob.user.id, envelopes },
      });
      if (res.status === 200) return { ok: true };
      const seconds = RetryAfterDetails.safeParse(res.body?.error?.details).data;
      if (res.body?.error?.code === 'SERVER_BUSY') {
        // The REST answer says it twice: in the body and in the standard header.
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe(String(seconds?.retryAfterSeconds));
      }
      return { ok: false, code: res.body?.error?.code, ...seconds };
    };

    // Every sender fires 40 sends at once, half over its socket and half over REST; a refused send
    // is retried as a client should: after the pause the server asked for.
    const sendAll = async (sender: Sender) => {
      const envelopes = await opaqueEnvelopesFor(sender.device, bob.user.id);
      await Promise.all(
        Array.from({ length: 40 }, async (_, n) => {
          const messageId = randomUUID();
          for (;;) {
            const outcome = await (n % 2 ? overSocket : overRest)(sender, messageId, envelopes);
            record(messageId, outcome);
            if (outcome.ok || outcome.code !== 'SERVER_BUSY' || !outcome.retryAfterSeconds) return;
            const pause = outcome.retryAfterSeconds * 1_000 * (1 + Math.random() * 0.5);
            await new Promise((r) => setTimeout(r, pause));
          }
        }),
      );
    };
    await Promise.all(senders.map(sendAll));

    // The excess was refused, with nothing but SERVER_BUSY asking for a second's pause.
    const busy = refusals.get('SERVER_BUSY retryAfter=1') ?? 0;
    expect(busy).toBeGreaterThan(0);
    expect([...refusals.keys()]).toEqual(['SERVER_BUSY retryAfter=1']);
    expect(accepted).toHaveLength(160);

    // Every accepted send reached Bob, once.
    await eventually(() => bobClient.envelopes.length >= 160, 30_000, 'every accepted message delivered');
    await new Promise((r) => setTimeout(r, 500));
    const delivered = bobClient.envelopes.map((e) => e.messageId);
    expect(delivered).toHaveLength(160);
    expect(new Set(delivered)).toEqual(new Set(accepted));

    // Load is not a fault: nothing at error level (pino's 50 and 60) and no stack trace.
    expect(t.server.output()).not.toMatch(/"level":(50|60)|^\s+at /m);
    console.log(
      `overload: ${busy} of ${busy + 160} attempts refused with SERVER_BUSY, all 160 accepted delivered once`,
    );
    for (const client of [bobClient, ...senders.map((s) => s.client)]) client.close();
  });
});
