import type { DeviceList } from '@parley/shared';
import { withBrowser } from '@parley/test-support/browser';
import { callScreen, connectCall, lastCallEntry, localTracks, trackLocalMedia } from '@parley/test-support/calls';
import { call, login } from '@parley/test-support/http';
import { befriend, person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

describe('a call when its device is signed out', () => {
  it('revoked from another device mid-call: the sign-in screen, camera and microphone released, and the call ends for the other side', {
    timeout: 120_000,
  }, async () => {
    const alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    const bob = await person(b.browser, t.server.baseUrl, 'bob', 'Bob');
    b.apps.push(alice.app, bob.app);
    await trackLocalMedia(bob);
    await befriend(alice, bob);
    await connectCall(alice, bob, 'video');
    expect(await localTracks(bob.page)).toEqual(['audio live', 'video live']);

    // Bob signs in on his phone and signs the browser out from there.
    const phone = (await login(t.server.baseUrl, bob.username)).body;
    const devices = await call<DeviceList>(t.server.baseUrl, 'GET', '/devices', { token: phone.accessToken });
    const browser = devices.body.items.find((device) => device.id !== phone.deviceId);
    expect(browser).toBeDefined();
    const revoked = await call(t.server.baseUrl, 'DELETE', `/devices/${browser?.id}`, { token: phone.accessToken });
    expect(revoked.status).toBe(204);
    const revokedAt = Date.now();

    await bob.page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor({ timeout: 10_000 });
    await bob.page.getByText('This device was signed out from another of your devices.').waitFor();
    expect(await callScreen(bob.page, 'Alice').count()).toBe(0);
    // The camera and the microphone are free again: every track the call obtained has ended.
    await expect.poll(() => localTracks(bob.page), { timeout: 2_000 }).toEqual(['audio ended', 'video ended']);

    // Bob's side cannot say goodbye any more; Alice's sees the connection close and ends the call.
    await callScreen(alice.page, 'Bob').getByText('The connection failed').waitFor({ timeout: 10_000 });
    expect(Date.now() - revokedAt).toBeLessThan(10_000);
    await expect.poll(() => lastCallEntry(alice.page)).toBe('Outgoing video call · Failed');
    expect(await alice.page.getByRole('timer').count()).toBe(0);
  });
});
