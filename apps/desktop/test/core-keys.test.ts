import { randomUUID } from 'node:crypto';
import { PREKEY_BATCH } from '@parley/desktop';
import { type DeviceBundle, LIMITS, type UserBundles } from '@parley/shared';
import { registerCore, type TestCore } from '@parley/test-support/cores';
import { createDevice, type TestDevice } from '@parley/test-support/devices';
import { call } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, describe, expect, it } from 'vitest';

const t = withServer();
const cores: TestCore[] = [];

afterAll(async () => {
  for (const c of cores) await c.close();
});

async function bundleOf(from: TestDevice, userId: string): Promise<DeviceBundle> {
  const res = await call<UserBundles>(t.url, 'GET', `/keys/${userId}`, { token: from.accessToken });
  expect(res.status).toBe(200);
  return res.body.devices[0] as DeviceBundle;
}

describe('one-time prekeys', () => {
  it('the core tops them up within seconds of being drained, with keys that really are its own', async () => {
    const victim = await registerCore(t.url, 'victim');
    cores.push(victim);
    const session = await victim.core.session();
    const [userId, deviceId] = [session?.user.id as string, session?.deviceId as string];
    const left = async () => {
      const [row] = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM one_time_prekeys WHERE device_id = $1', [
        deviceId,
      ]);
      return Number(row?.n);
    };
    await eventually(async () => (await left()) === PREKEY_BATCH, 10_000, 'the first batch');

    // Someone takes them in bursts, well below the low-water mark: the server says `keys:low` again and again.
    const drainer = await createDevice(t.url);
    const taken: DeviceBundle[] = [];
    for (let i = 0; i < 19; i++) {
      taken.push(...(await Promise.all(Array.from({ length: 5 }, () => bundleOf(drainer, userId)))));
    }
    expect(taken.every((b) => b.preKey !== null)).toBe(true);
    await eventually(async () => (await left()) >= PREKEY_BATCH, 5_000, 'a new batch uploaded');
    expect(await left()).toBeLessThan(PREKEY_BATCH + LIMITS.preKeyLowWater + PREKEY_BATCH);

    // A stranger sets up a session with one of the new prekeys (handed out in id order, after the
    // old ones left): the core can decrypt it, so the uploaded public keys match its private ones.
    const stranger = await createDevice(t.url);
    let bundle = await bundleOf(stranger, userId);
    while ((bundle.preKey?.keyId ?? 0) <= PREKEY_BATCH) bundle = await bundleOf(stranger, userId);
    const text = `hello ${randomUUID()}`;
    const envelope = await stranger.signal.encrypt(
      bundle,
      JSON.stringify({ kind: 'text', text, sentAt: new Date().toISOString(), to: userId }),
    );
    const sent = await call(t.url, 'POST', '/messages', {
      token: stranger.accessToken,
      body: {
        messageId: randomUUID(),
        recipientUserId: userId,
        envelopes: [{ deviceId, registrationId: bundle.registrationId, ...envelope }],
      },
    });
    expect(sent.status).toBe(200);
    await eventually(() => victim.events.message.some((m) => m.text === text), 10_000, 'the message decrypted');
  });
});
