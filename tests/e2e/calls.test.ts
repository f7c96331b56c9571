import { withBrowser } from '@parley/test-support/browser';
import {
  callEntries,
  callScreen,
  expectMediaFlowing,
  startCall,
  trackPeerConnections,
} from '@parley/test-support/calls';
import { befriend, person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

const t = withServer();
const b = withBrowser();

describe('calls', () => {
  it('a video call carries audio and video both ways, ends on both sides within 2 s, and stays in both histories', {
    timeout: 120_000,
  }, async () => {
    const alice = await person(b.browser, t.server.baseUrl, 'alice', 'Alice');
    const bob = await person(b.browser, t.server.baseUrl, 'bob', 'Bob');
    b.apps.push(alice.app, bob.app);
    await trackPeerConnections(alice);
    await trackPeerConnections(bob);
    await befriend(alice, bob);

    await startCall(alice.page, 'Bob', 'video');
    await expect.poll(() => callScreen(alice.page, 'Bob').getByRole('status').textContent()).toBe('Calling…');
    const ringing = callScreen(bob.page, 'Alice');
    await ringing.getByText('Incoming video call').waitFor();
    await ringing.getByRole('button', { name: 'Accept' }).click();

    for (const page of [alice.page, bob.page]) await page.getByRole('timer').waitFor({ timeout: 20_000 });
    await expectMediaFlowing([alice.page, bob.page]);

    await callScreen(alice.page, 'Bob').getByRole('button', { name: 'Hang up' }).click();
    const hungUpAt = Date.now();
    await callScreen(bob.page, 'Alice').getByText('Alice hung up').waitFor({ timeout: 2_000 });
    expect(Date.now() - hungUpAt).toBeLessThan(2_000);
    await callScreen(alice.page, 'Bob').getByText('Call ended').waitFor({ timeout: 2_000 });

    await expect
      .poll(() => callEntries(alice.page).allTextContents())
      .toEqual([expect.stringMatching(/^Outgoing video call · 0:0[2-9]$/)]);
    await expect
      .poll(() => callEntries(bob.page).allTextContents())
      .toEqual([expect.stringMatching(/^Incoming video call · 0:0[2-9]$/)]);
  });
});
