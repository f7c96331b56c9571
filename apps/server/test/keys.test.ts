import { LIMITS, SERVER_EVENTS } from '@parley/shared';
import { bundles, createDevice } from '@parley/test-support/devices';
import { call, expectError, login, register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { createSignalDevice } from '@parley/test-support/signal';
import { connectClient, eventually } from '@parley/test-support/socket';
import { describe, expect, it } from 'vitest';

const t = withServer();

describe('prekeys', () => {
  it('hands out a bundle per receiving device, one-time prekeys once each, and counts what is left', async () => {
    const bob = await createDevice(t.url, undefined, 3);
    const bobLaptop = await createDevice(t.url, bob, 3);
    await login(t.url, bob.user.username); // a device without keys cannot receive: no bundle for it
    const alice = await createDevice(t.url);

    const first = await bundles(alice, bob.user.id);
    expect(first.devices.map((d) => d.deviceId).sort()).toEqual([bob.deviceId, bobLaptop.deviceId].sort());
    const own = first.devices.find((d) => d.deviceId === bob.deviceId);
    expect(own).toMatchObject({
      registrationId: bob.signal.upload.registrationId,
      identityKey: bob.signal.upload.identityKey,
      signedPreKey: bob.signal.upload.signedPreKey,
      preKey: bob.signal.upload.preKeys[0],
    });
    const taken = [own?.preKey?.keyId];
    for (let i = 0; i < 3; i++)
      taken.push((await bundles(alice, bob.user.id)).devices.find((d) => d.deviceId === bob.deviceId)?.preKey?.keyId);
    expect(taken).toEqual([1, 2, 3, undefined]); // the fourth fetch finds none left: preKey null
    expect((await call(t.url, 'GET', '/keys/count', { token: bob.accessToken })).body).toEqual({ count: 0 });

    // My own other devices, never the calling one.
    expect((await bundles(bob, bob.user.id)).devices.map((d) => d.deviceId)).toEqual([bobLaptop.deviceId]);
  });

  it('never hands out the same one-time prekey twice under 50 concurrent fetches', async () => {
    const bob = await createDevice(t.url, undefined, 30);
    const fetchers = await Promise.all(Array.from({ length: 5 }, () => createDevice(t.url)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => bundles(fetchers[i % 5] as never, bob.user.id)),
    );
    const keyIds = results.map((r) => r.devices[0]?.preKey?.keyId).filter((id) => id !== undefined);
    expect(keyIds).toHaveLength(30);
    expect(new Set(keyIds).size).toBe(30);
    expect(results.filter((r) => r.devices[0]?.preKey === null)).toHaveLength(20);
  });

  it('tells a connected device when its prekeys run low, and takes a top-up', async () => {
    const bob = await createDevice(t.url, undefined, LIMITS.preKeyLowWater + 1);
    const alice = await createDevice(t.url);
    const socket = await connectClient(t.url, bob.accessToken);
    await bundles(alice, bob.user.id);
    expect(socket.events(SERVER_EVENTS.keysLow)).toHaveLength(0);
    await bundles(alice, bob.user.id);
    await eventually(() => socket.events(SERVER_EVENTS.keysLow).length === 1, 2_000, 'keys:low');
    socket.close();

    const more = await createSignalDevice(5, 500);
    expect(
      (await call(t.url, 'POST', '/keys/prekeys', { token: bob.accessToken, body: { preKeys: more.upload.preKeys } }))
        .status,
    ).toBe(204);
    expect((await call(t.url, 'GET', '/keys/count', { token: bob.accessToken })).body).toEqual({
      count: LIMITS.preKeyLowWater - 1 + 5,
    });
  });

  it('rotates the signed prekey, signed by the identity key, but never the identity key of a device', async () => {
    const bob = await createDevice(t.url);
    const alice = await createDevice(t.url);
    const rotated = await bob.signal.newSignedPreKey(2);
    expect(
      (await call(t.url, 'PUT', '/keys/signed', { token: bob.accessToken, body: { signedPreKey: rotated } })).status,
    ).toBe(204);
    expect((await bundles(alice, bob.user.id)).devices[0]?.signedPreKey).toEqual(rotated);

    // Signed by another identity: refused, and the bundle keeps the good one.
    const other = await createSignalDevice(1);
    const forged = { ...other.upload.signedPreKey, keyId: 3 };
    expectError(
      await call(t.url, 'PUT', '/keys/signed', { token: bob.accessToken, body: { signedPreKey: forged } }),
      422,
      'INVALID_SIGNATURE',
    );
    expect((await bundles(alice, bob.user.id)).devices[0]?.signedPreKey).toEqual(rotated);

    const change = await call(t.url, 'PUT', '/keys', { token: bob.accessToken, body: other.upload });
    expectError(change, 409, 'IDENTITY_KEY_CHANGED');
    expect((await bundles(alice, bob.user.id)).devices[0]?.identityKey).toBe(bob.signal.upload.identityKey);
  });

  it('refuses bad keys, unknown users and devices without keys', async () => {
    const fresh = await register(t.url);
    const keys = (await createSignalDevice(1)).upload;
    expectError(
      await call(t.url, 'PUT', '/keys/signed', { token: fresh.accessToken, body: { signedPreKey: keys.signedPreKey } }),
      409,
      'KEYS_NOT_UPLOADED',
    );
    expectError(
      await call(t.url, 'PUT', '/keys', { token: fresh.accessToken, body: { ...keys, identityKey: 'AAAA' } }),
      400,
      'VALIDATION_FAILED',
    );
    const flipped = Buffer.from(keys.signedPreKey.signature, 'base64');
    flipped[10] = (flipped[10] as number) ^ 1;
    expectError(
      await call(t.url, 'PUT', '/keys', {
        token: fresh.accessToken,
        body: { ...keys, signedPreKey: { ...keys.signedPreKey, signature: flipped.toString('base64') } },
      }),
      422,
      'INVALID_SIGNATURE',
    );
    expectError(
      await call(t.url, 'PUT', '/keys', { token: fresh.accessToken, body: { ...keys, registrationId: 0 } }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await call(t.url, 'GET', '/keys/00000000-0000-4000-8000-000000000000', { token: fresh.accessToken }),
      404,
      'USER_NOT_FOUND',
    );
  });
});
