// npm run bench:crypto — Signal encrypt + decrypt through the core's SignalService (state in the
// encrypted SQLite store), against bare libsignal with state in memory, in the same run.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, openDatabase, SignalService } from '@parley/desktop';
import type { DeviceBundle } from '@parley/shared';
import { createSignalDevice } from '@parley/test-support/signal';
import { median, ms, now, table } from './stats.ts';

const RUNS = 5;
const MESSAGES = 200;
const SETUPS = 20;
const plaintext = randomBytes(200);
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-crypto-'));

function device(name: string) {
  const signal = new SignalService(
    new LocalStore(openDatabase(join(dir, `${name}-${randomUUID()}.db`), randomBytes(32))),
    () => {},
  );
  return { signal, userId: randomUUID(), deviceId: randomUUID() };
}

async function bundleOf(d: ReturnType<typeof device>): Promise<DeviceBundle> {
  const keys = await d.signal.createDeviceKeys();
  return {
    deviceId: d.deviceId,
    registrationId: keys.registrationId,
    identityKey: keys.identityKey,
    signedPreKey: keys.signedPreKey,
    preKey: keys.preKeys[0] ?? null,
  };
}

/** Core: first message (fetch-less session setup + encrypt + decrypt) and steady-state round trips. */
async function core(): Promise<{ setup: number; roundTrip: number }> {
  const setups: number[] = [];
  for (let i = 0; i < SETUPS; i++) {
    const alice = device('alice');
    const bob = device('bob');
    await alice.signal.createDeviceKeys();
    const bundle = await bundleOf(bob);
    const t = now();
    await alice.signal.processBundle(bob.userId, bundle);
    const first = await alice.signal.encrypt(bob.deviceId, plaintext);
    await bob.signal.decrypt(alice.userId, alice.deviceId, first, () => undefined);
    setups.push(now() - t);
  }
  const alice = device('alice');
  const bob = device('bob');
  await alice.signal.createDeviceKeys();
  await alice.signal.processBundle(bob.userId, await bundleOf(bob));
  await bob.signal.decrypt(
    alice.userId,
    alice.deviceId,
    await alice.signal.encrypt(bob.deviceId, plaintext),
    () => undefined,
  );
  const reply = await bob.signal.encrypt(alice.deviceId, plaintext); // both sides have ratcheted
  await alice.signal.decrypt(bob.userId, bob.deviceId, reply, () => undefined);
  const trips: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const t = now();
    const c = await alice.signal.encrypt(bob.deviceId, plaintext);
    await bob.signal.decrypt(alice.userId, alice.deviceId, c, () => undefined);
    trips.push(now() - t);
  }
  return { setup: median(setups), roundTrip: median(trips) };
}

/** Baseline: libsignal with its state in memory (the tests' client). */
async function bare(): Promise<{ setup: number; roundTrip: number }> {
  const setups: number[] = [];
  const text = plaintext.toString('latin1');
  for (let i = 0; i < SETUPS; i++) {
    const alice = await createSignalDevice(1);
    const bob = await createSignalDevice(1);
    const bobId = randomUUID();
    const bundle: DeviceBundle = {
      deviceId: bobId,
      registrationId: bob.upload.registrationId,
      identityKey: bob.upload.identityKey,
      signedPreKey: bob.upload.signedPreKey,
      preKey: bob.upload.preKeys[0] ?? null,
    };
    const aliceId = randomUUID();
    const t = now();
    const first = await alice.encrypt(bundle, text);
    await bob.decrypt(aliceId, first.type, first.content);
    setups.push(now() - t);
  }
  const alice = await createSignalDevice(1);
  const bob = await createSignalDevice(1);
  const [aliceId, bobId] = [randomUUID(), randomUUID()];
  const bundle: DeviceBundle = {
    deviceId: bobId,
    registrationId: bob.upload.registrationId,
    identityKey: bob.upload.identityKey,
    signedPreKey: bob.upload.signedPreKey,
    preKey: bob.upload.preKeys[0] ?? null,
  };
  const first = await alice.encrypt(bundle, text);
  await bob.decrypt(aliceId, first.type, first.content);
  const trips: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const t = now();
    const c = await alice.encrypt(bundle, text);
    await bob.decrypt(aliceId, c.type, c.content);
    trips.push(now() - t);
  }
  return { setup: median(setups), roundTrip: median(trips) };
}

const results = {
  core: [] as { setup: number; roundTrip: number }[],
  bare: [] as { setup: number; roundTrip: number }[],
};
for (let run = 0; run < RUNS; run++) {
  results.core.push(await core());
  results.bare.push(await bare());
}
const m = (xs: { setup: number; roundTrip: number }[], k: 'setup' | 'roundTrip') => median(xs.map((x) => x[k]));
console.log(
  `Signal crypto, 200-byte message, median of ${RUNS} runs (each: ${MESSAGES} round trips, ${SETUPS} session setups)`,
);
table([
  [
    'encrypt + decrypt, established session (core)',
    ms(m(results.core, 'roundTrip')),
    `${(m(results.core, 'roundTrip') / m(results.bare, 'roundTrip')).toFixed(2)}× bare`,
  ],
  ['encrypt + decrypt, established session (bare libsignal)', ms(m(results.bare, 'roundTrip'))],
  [
    'first message: session setup + encrypt + decrypt (core)',
    ms(m(results.core, 'setup')),
    `${(m(results.core, 'setup') / m(results.bare, 'setup')).toFixed(2)}× bare`,
  ],
  ['first message: session setup + encrypt + decrypt (bare)', ms(m(results.bare, 'setup'))],
]);
rmSync(dir, { recursive: true, force: true });
