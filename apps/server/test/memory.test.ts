import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CLIENT_EVENTS, LIMITS } from '@parley/shared';
import { bundles, createDevice } from '@parley/test-support/devices';
import { call } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { describe, expect, it, onTestFailed } from 'vitest';

const HEAP_MB = 384;
/** Past the heap: code, buffers outside the heap, one page in flight per device, the allocator's slack. */
const RSS_BOUND_MB = HEAP_MB + 250;
const SILENT_DEVICES = 4;
const SENDS = 1_200;
const IN_FLIGHT = 16;

const t = withServer({ NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` });

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
}

describe('memory per connection', () => {
  it('stays bounded while several devices never acknowledge thousands of large envelopes', {
    timeout: 120_000,
  }, async () => {
    onTestFailed(() => console.log(`server output (tail):\n${t.server.output().slice(-3_000)}`));
    const bob = await createDevice(t.url);
    const others = [];
    for (let i = 1; i < SILENT_DEVICES; i++) others.push(await createDevice(t.url, bob));
    // Bob's devices take every page and never acknowledge one.
    const silent = await Promise.all(
      [bob, ...others].map((d) => connectClient(t.url, d.accessToken, { autoAck: false })),
    );
    const alice = await createDevice(t.url);
    const aliceClient = await connectClient(t.url, alice.accessToken);
    const targets = (await bundles(alice, bob.user.id)).devices;
    expect(targets).toHaveLength(SILENT_DEVICES);

    let peak = 0;
    const pid = t.server.pid();
    const sampler = setInterval(() => {
      void rssMb(pid).then(
        (mb) => (peak = Math.max(peak, mb)),
        () => {},
      );
    }, 100);
    const started = Date.now();
    try {
      let next = 0;
      let accepted = 0;
      const sender = async () => {
        while (next < SENDS) {
          const i = next++;
          // Envelopes of the largest size allowed, different per send.
          const content = Buffer.alloc(LIMITS.envelopeBytes, i % 251).toString('base64');
          const answer = await aliceClient.request(CLIENT_EVENTS.send, {
            messageId: randomUUID(),
            recipientUserId: bob.user.id,
            envelopes: targets.map((b) => ({
              deviceId: b.deviceId,
              registrationId: b.registrationId,
              type: 'whisper',
              content,
            })),
          });
          expect(answer.ok, JSON.stringify(answer)).toBe(true);
          accepted++;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
      expect(accepted).toBe(SENDS);
    } finally {
      clearInterval(sampler);
    }
    const mb = SENDS * SILENT_DEVICES * (LIMITS.envelopeBytes / 1024 / 1024);
    console.log(
      `memory: ${SENDS} sends (${mb.toFixed(0)} MB of envelopes for ${SILENT_DEVICES} silent devices) in ${Date.now() - started} ms; peak RSS ${peak.toFixed(0)} MB (bound ${RSS_BOUND_MB} MB)`,
    );

    // Still up and delivering: health answers and a newly connected device gets its message.
    expect((await call(t.url, 'GET', '/health')).status).toBe(200);
    const carol = await createDevice(t.url);
    const carolClient = await connectClient(t.url, carol.accessToken);
    const toCarol = (await bundles(alice, carol.user.id)).devices.map((b) => ({
      deviceId: b.deviceId,
      registrationId: b.registrationId,
      type: 'whisper' as const,
      content: Buffer.from('still here').toString('base64'),
    }));
    const messageId = randomUUID();
    expect(
      (await aliceClient.request(CLIENT_EVENTS.send, { messageId, recipientUserId: carol.user.id, envelopes: toCarol }))
        .ok,
    ).toBe(true);
    await eventually(() => carolClient.envelopes.some((e) => e.messageId === messageId), 10_000, 'delivery to carol');
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(RSS_BOUND_MB);
    for (const c of [...silent, aliceClient, carolClient]) c.close();
  });
});
