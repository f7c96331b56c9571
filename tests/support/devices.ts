import type { AuthResponse, OutgoingEnvelope, UserBundles } from '@parley/shared';
import { expect } from 'vitest';
import { call, login, register } from './http.js';
import { createSignalDevice, type TestSignalDevice } from './signal.js';

export interface TestDevice {
  baseUrl: string;
  user: AuthResponse['user'];
  deviceId: string;
  accessToken: string;
  refreshToken: string;
  signal: TestSignalDevice;
}

/** A signed-in device with its Signal keys uploaded: the first of a new account, or another of `of`. */
export async function createDevice(baseUrl: string, of?: TestDevice, preKeys = 10): Promise<TestDevice> {
  const auth = of ? (await login(baseUrl, of.user.username)).body : await register(baseUrl);
  const signal = await createSignalDevice(preKeys);
  const res = await call(baseUrl, 'PUT', '/keys', { token: auth.accessToken, body: signal.upload });
  expect(res.status, JSON.stringify(res.body)).toBe(204);
  return {
    baseUrl,
    user: auth.user,
    deviceId: auth.deviceId,
    accessToken: auth.accessToken,
    refreshToken: auth.refreshToken,
    signal,
  };
}

export async function bundles(from: TestDevice, userId: string): Promise<UserBundles> {
  const res = await call<UserBundles>(from.baseUrl, 'GET', `/keys/${userId}`, { token: from.accessToken });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Really encrypted envelopes of `text` for every device of the recipient and my other devices. */
export async function encryptFor(from: TestDevice, recipientUserId: string, text: string): Promise<OutgoingEnvelope[]> {
  const targets = [...(await bundles(from, recipientUserId)).devices];
  if (recipientUserId !== from.user.id) targets.push(...(await bundles(from, from.user.id)).devices);
  return Promise.all(
    targets.map(async (b) => ({
      deviceId: b.deviceId,
      registrationId: b.registrationId,
      ...(await from.signal.encrypt(b, text)),
    })),
  );
}

/** Envelopes with opaque test bytes (for tests where the ciphertext's content does not matter). */
export async function opaqueEnvelopesFor(from: TestDevice, recipientUserId: string): Promise<OutgoingEnvelope[]> {
  const targets = [...(await bundles(from, recipientUserId)).devices];
  if (recipientUserId !== from.user.id) targets.push(...(await bundles(from, from.user.id)).devices);
  return targets.map((b) => ({
    deviceId: b.deviceId,
    registrationId: b.registrationId,
    type: 'whisper' as const,
    content: Buffer.from(`opaque for ${b.deviceId}`).toString('base64'),
  }));
}
