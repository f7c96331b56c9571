import { withBrowser } from '@parley/test-support/browser';
import {
  callScreen,
  connectCall,
  expectMediaFlowing,
  lastCallEntry,
  selectedCandidateTypes,
  trackPeerConnections,
} from '@parley/test-support/calls';
import { dumpDatabase } from '@parley/test-support/database';
import { befriend, type Person, person } from '@parley/test-support/pair';
import { withServer } from '@parley/test-support/server';
import { startTap, type Tap } from '@parley/test-support/tap';
import { type Coturn, startCoturn } from '@parley/test-support/turn';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let coturn: Coturn;
beforeAll(async () => {
  coturn = await startCoturn();
});
afterAll(async () => {
  await coturn?.stop();
});
// Trace logging, so that any log line the server could write about a signal is in its output.
const t = withServer(() => ({ TURN_URLS: coturn.url, TURN_SECRET: coturn.secret, LOG_LEVEL: 'trace' }));
const b = withBrowser();

/** Someone whose host reaches the server through a tap that records everything the server sends. */
async function tappedPerson(name: string, displayName: string, tap: Tap): Promise<Person> {
  const someone = await person(b.browser, tap.url, name, displayName);
  b.apps.push(someone.app);
  await trackPeerConnections(someone);
  return someone;
}

async function alwaysRelay(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('checkbox', { name: 'Always relay calls' }).check();
  await page.getByRole('button', { name: 'Close settings' }).click();
}

/** The SDP the page's newest peer connection produced itself. */
const localSdp = (page: Page) => page.evaluate<string>('window.__pcs[window.__pcs.length - 1].localDescription.sdp');

describe('a call forced through TURN', () => {
  let tap: Tap;
  let alice: Person;
  let bob: Person;
  beforeAll(async () => {
    tap = await startTap(t.url);
    alice = await tappedPerson('alice', 'Alice', tap);
    bob = await tappedPerson('bob', 'Bob', tap);
    await befriend(alice, bob);
    for (const page of [alice.page, bob.page]) await alwaysRelay(page);
  }, 90_000);
  afterAll(async () => {
    await tap?.close();
  });

  it('connects through coturn on the short-lived credentials and carries audio and video both ways', {
    timeout: 60_000,
  }, async () => {
    await connectCall(alice, bob, 'video');

    // A relay candidate exists only if coturn accepted the server's short-lived credentials, and
    // with relay-only gathering it is the only kind of pair there is.
    for (const page of [alice.page, bob.page]) {
      await expect.poll(() => selectedCandidateTypes(page)).toEqual({ local: 'relay', remote: 'relay' });
    }
    await expectMediaFlowing([alice.page, bob.page]);

    await callScreen(alice.page, 'Bob').getByRole('button', { name: 'Hang up' }).click();
    await callScreen(bob.page, 'Alice').getByText('Alice hung up').waitFor({ timeout: 2_000 });
  });

  it('the server relays signals it cannot read: no SDP in what it sent, logged or stored', {
    timeout: 60_000,
  }, async () => {
    const signalsBefore = countSignals(tap.fromServer());
    await connectCall(alice, bob, 'audio');
    // Both ends did produce SDP with a DTLS fingerprint, and it crossed the server as signals …
    for (const page of [alice.page, bob.page]) expect(await localSdp(page)).toContain('a=fingerprint');
    await callScreen(bob.page, 'Alice').getByRole('button', { name: 'Hang up' }).click();
    await callScreen(alice.page, 'Bob').getByText('Bob hung up').waitFor({ timeout: 2_000 });
    // ring, accept, offer, answer, candidates, hang-up
    expect(countSignals(tap.fromServer()) - signalsBefore).toBeGreaterThanOrEqual(5);

    // … but never readable there.
    expect(tap.fromServer().toString('latin1')).not.toContain('a=fingerprint');
    expect(t.server.output()).not.toContain('a=fingerprint');
    expect(await dumpDatabase(t.db)).not.toContain('a=fingerprint');
  });

  // Last: it stops coturn.
  it('when the relay goes away mid-call, one ICE restart is tried, then both sides end with the reason', {
    timeout: 90_000,
  }, async () => {
    await connectCall(alice, bob, 'audio');
    const firstUfrag = iceUfrag(await localSdp(alice.page));

    await coturn.stop();
    // The caller restarts ICE (new credentials in a new offer) …
    await expect.poll(async () => iceUfrag(await localSdp(alice.page)), { timeout: 30_000 }).not.toBe(firstUfrag);
    // … which cannot succeed without the relay: the call ends, and both sides say why.
    for (const [page, peer] of [
      [alice.page, 'Bob'],
      [bob.page, 'Alice'],
    ] as const) {
      await callScreen(page, peer).getByText('The connection failed').waitFor({ timeout: 30_000 });
    }
    await expect.poll(() => lastCallEntry(alice.page)).toBe('Outgoing audio call · Failed');
    await expect.poll(() => lastCallEntry(bob.page)).toBe('Incoming audio call · Failed');
  });
});

const iceUfrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];

/** Socket.IO event frames named `signal` in the bytes a server sent. */
function countSignals(bytes: Buffer): number {
  return bytes.toString('latin1').split('["signal",').length - 1;
}
