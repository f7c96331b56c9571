import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLIENT_EVENTS } from '@parley/shared';
import { storeAttachment } from '@parley/test-support/attachments';
import { createDevice, opaqueEnvelopesFor } from '@parley/test-support/devices';
import { call } from '@parley/test-support/http';
import { freePort, REPO_ROOT, withServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { beforeAll, describe, expect, it } from 'vitest';

const TOKEN = randomBytes(24).toString('hex');
let metricsPort = 0;
beforeAll(async () => {
  metricsPort = await freePort();
});
const t = withServer(() => ({
  METRICS_PORT: String(metricsPort),
  METRICS_TOKEN: TOKEN,
  RATE_LIMIT_SEARCH_PER_USER: '2/600',
}));

type Samples = Map<string, number>;

/** One scrape, as `name{labels}` → value (labels as the exposition writes them). */
async function scrape(): Promise<Samples> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples: Samples = new Map();
  for (const line of (await res.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1] as string, Number(match[2]));
  }
  return samples;
}

const value = (s: Samples, key: string) => s.get(key) ?? 0;

describe('metrics', () => {
  it('answers only with the token, and only on METRICS_PORT', async () => {
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401);
    const wrong = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const onMain = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(onMain.status).toBe(404);
  });

  it('the values move with real traffic', { timeout: 60_000 }, async () => {
    const before = await scrape();
    const alice = await createDevice(t.url);
    const bob = await createDevice(t.url);
    const carol = await createDevice(t.url); // never connects: her queue fills
    const bobClient = await connectClient(t.url, bob.accessToken);
    const aliceClient = await connectClient(t.url, alice.accessToken);

    const toBob = await opaqueEnvelopesFor(alice, bob.user.id);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const messageId = randomUUID();
      const answer = await aliceClient.request(CLIENT_EVENTS.send, {
        messageId,
        recipientUserId: bob.user.id,
        envelopes: toBob,
      });
      expect(answer).toMatchObject({ ok: true });
      sent.push(messageId);
    }
    await aliceClient.request(CLIENT_EVENTS.send, {
      messageId: sent[0],
      recipientUserId: bob.user.id,
      envelopes: toBob,
    });
    const toCarol = await opaqueEnvelopesFor(alice, carol.user.id);
    for (let i = 0; i < 3; i++) {
      await aliceClient.request(CLIENT_EVENTS.send, {
        messageId: randomUUID(),
        recipientUserId: carol.user.id,
        envelopes: toCarol,
      });
    }
    // A refused send: a device that is not Bob's.
    await aliceClient.request(CLIENT_EVENTS.send, {
      messageId: randomUUID(),
      recipientUserId: bob.user.id,
      envelopes: toCarol,
    });
    for (let i = 0; i < 3; i++) await call(t.url, 'GET', '/users/search?q=zz', { token: alice.accessToken });
    const { ciphertext } = await storeAttachment(t.url, alice, bob.user.id, 2_000);
    await eventually(() => bobClient.envelopes.length >= 20, 10_000, 'Bob has his messages');

    const after = await eventually(
      async () => {
        const s = await scrape();
        return value(s, 'parley_delivery_latency_seconds_count') >= 20 ? s : null;
      },
      10_000,
      'the acks counted',
    );
    const moved = (key: string) => value(after, key) - value(before, key);
    console.log(
      `metrics: +${moved('parley_sends_total{outcome="accepted"}')} accepted sends, ` +
        `+${moved('parley_delivery_latency_seconds_count')} deliveries in ${moved('parley_delivery_latency_seconds_sum').toFixed(3)} s total`,
    );

    expect(moved('parley_sends_total{outcome="accepted"}')).toBe(23);
    expect(moved('parley_sends_total{outcome="duplicate"}')).toBe(1);
    expect(moved('parley_sends_total{outcome="MISMATCHED_DEVICES"}')).toBe(1);
    expect(moved('parley_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(20);
    expect(value(after, 'parley_sockets_connected')).toBe(2);
    expect(value(after, 'parley_devices_connected')).toBe(2);
    expect(value(after, 'parley_queued_envelopes')).toBe(3);
    expect(value(after, 'parley_queue_depth_devices{min_depth="1"}')).toBe(1);
    expect(value(after, 'parley_queue_depth_devices{min_depth="10"}')).toBe(0);
    expect(value(after, 'parley_oldest_queued_envelope_age_seconds')).toBeGreaterThan(0);
    // createDevice uploads 10 one-time prekeys, below the low-water mark of 20.
    expect(moved('parley_prekeys_low_devices')).toBe(3);
    expect(moved('parley_attachment_bytes_stored')).toBe(ciphertext.length);
    expect(moved('parley_rate_limit_refusals_total{limit="searchPerUser"}')).toBe(1);
    // Routes are labelled by their pattern, not by the path (one series per route, not per user).
    expect(
      moved('parley_http_request_duration_seconds_count{method="GET",route="/api/v1/keys/:userId",status="200"}'),
    ).toBeGreaterThanOrEqual(3);
    expect(
      moved('parley_http_request_duration_seconds_count{method="GET",route="/api/v1/users/search",status="429"}'),
    ).toBe(1);
    expect([...after.keys()].some((k) => k.includes(alice.user.id))).toBe(false);
    expect(after.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(value(after, 'parley_db_pool_connections{state="total"}')).toBeGreaterThan(0);

    bobClient.close();
    aliceClient.close();
    await eventually(async () => value(await scrape(), 'parley_sockets_connected') === 0, 5_000, 'sockets gone');
  });

  it('every series the Grafana dashboard (docs/grafana-dashboard.json) queries is one the server exposes', async () => {
    const dashboard = JSON.parse(await readFile(join(REPO_ROOT, 'docs/grafana-dashboard.json'), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exposed = new Set([...(await scrape()).keys()].map((k) => k.split('{')[0]));
    const queried = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) => t.expr.match(/\b(parley|nodejs|process)_\w+/g) ?? []),
    );
    expect(queried.length).toBeGreaterThan(10);
    expect(queried.filter((name) => !exposed.has(name))).toEqual([]);
  });
});
