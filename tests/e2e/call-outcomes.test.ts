import { startApp, withBrowser } from '@parley/test-support/browser';
import { callScreen, connectCall, lastCallEntry, startCall } from '@parley/test-support/calls';
import { befriend, type Person, person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { openChat, signIn } from '@parley/test-support/ui';
import { beforeAll, describe, expect, it } from 'vitest';

// A short ring so that the timeout test is quick.
const t = withServer({ CALL_RING_SECONDS: '4' });
const b = withBrowser();

describe('how a call ends, on every side', () => {
  let alice: Person;
  let bob: Person;
  beforeAll(async () => {
    alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    bob = await person(b.browser, t.server.baseUrl, 'bob', 'Bob');
    b.apps.push(alice.app, bob.app);
    await befriend(alice, bob);
  }, 90_000);

  it('declined: both sides say so and record it', { timeout: 60_000 }, async () => {
    await startCall(alice.page, 'Bob', 'audio');
    await callScreen(bob.page, 'Alice').getByRole('button', { name: 'Decline' }).click();
    await callScreen(alice.page, 'Bob').getByText('Call declined').waitFor();
    await callScreen(bob.page, 'Alice').getByText('Call declined').waitFor();
    await expect.poll(() => lastCallEntry(alice.page)).toBe('Outgoing audio call · Declined');
    await expect.poll(() => lastCallEntry(bob.page)).toBe('Incoming audio call · Declined');
  });

  it('no answer: the ring times out on both sides (CALL_RING_SECONDS)', { timeout: 60_000 }, async () => {
    await startCall(alice.page, 'Bob', 'video');
    await callScreen(bob.page, 'Alice').getByText('Incoming video call').waitFor();
    await callScreen(alice.page, 'Bob').getByText('No answer').waitFor({ timeout: 10_000 });
    await callScreen(bob.page, 'Alice').getByText('Missed call').waitFor({ timeout: 10_000 });
    await expect.poll(() => lastCallEntry(alice.page)).toBe('No answer');
    await expect.poll(() => lastCallEntry(bob.page)).toBe('Missed call');
  });

  it('cancelled by the caller before an answer: the callee sees a missed call', { timeout: 60_000 }, async () => {
    await startCall(alice.page, 'Bob', 'audio');
    await callScreen(bob.page, 'Alice').getByText('Incoming audio call').waitFor();
    await callScreen(alice.page, 'Bob').getByRole('button', { name: 'Cancel call' }).click();
    await callScreen(alice.page, 'Bob').getByText('Call cancelled').waitFor();
    await callScreen(bob.page, 'Alice').getByText('Missed call').waitFor({ timeout: 5_000 });
    await expect.poll(() => lastCallEntry(alice.page)).toBe('Outgoing audio call · Cancelled');
    await expect.poll(() => lastCallEntry(bob.page)).toBe('Missed call');
  });

  it('busy: a third person calling someone in a call hears busy; the call goes on', { timeout: 90_000 }, async () => {
    const carol = await person(b.browser, t.server.baseUrl, 'carol', 'Carol');
    b.apps.push(carol.app);
    await befriend(carol, bob);
    await openChat(bob.page, 'Alice');

    await connectCall(alice, bob, 'audio');

    await startCall(carol.page, 'Bob', 'audio');
    await callScreen(carol.page, 'Bob').getByText('Bob is on another call').waitFor({ timeout: 10_000 });
    await expect.poll(() => lastCallEntry(carol.page)).toBe('Outgoing audio call · Busy');
    // Alice and Bob are still talking.
    for (const page of [alice.page, bob.page]) expect(await page.getByRole('timer').isVisible()).toBe(true);
    await callScreen(bob.page, 'Alice').getByRole('button', { name: 'Hang up' }).click();
    await callScreen(alice.page, 'Bob').getByText('Bob hung up').waitFor({ timeout: 2_000 });
  });

  it('answered on one of two devices: the other stops ringing, the call connects with the one', {
    timeout: 90_000,
  }, async () => {
    const laptopApp = await startApp(t.server.baseUrl);
    b.apps.push(laptopApp);
    const laptop = await (await b.browser.newContext()).newPage();
    await signIn(laptop, laptopApp.url, bob.username);

    await startCall(alice.page, 'Bob', 'audio');
    await callScreen(bob.page, 'Alice').getByText('Incoming audio call').waitFor();
    await callScreen(laptop, 'Alice').getByRole('button', { name: 'Accept' }).click();
    await callScreen(bob.page, 'Alice').getByText('Answered on another device').waitFor({ timeout: 5_000 });
    for (const page of [alice.page, laptop]) await page.getByRole('timer').waitFor({ timeout: 20_000 });

    await callScreen(alice.page, 'Bob').getByRole('button', { name: 'Hang up' }).click();
    await callScreen(laptop, 'Alice').getByText('Alice hung up').waitFor({ timeout: 2_000 });
    await expect.poll(() => lastCallEntry(alice.page)).toMatch(/^Outgoing audio call · 0:0\d$/);
    await expect.poll(() => lastCallEntry(bob.page)).toBe('Incoming audio call · Answered on another device');
    await openChat(laptop, 'Alice');
    await expect.poll(() => lastCallEntry(laptop)).toMatch(/^Incoming audio call · 0:0\d$/);
  });
});
