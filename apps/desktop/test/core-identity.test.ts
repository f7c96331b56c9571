import { loginCore, registerCore, type TestCore } from '@parley/test-support/cores';
import { withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { startTap, type Tap } from '@parley/test-support/tap';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A hostile server against pinned identity keys. Alice reaches the real server through a tap
 * that plays the server's part: it relabels what Mallory (a real account with her own keys)
 * sends as coming from a device Alice already knows, exactly as a server that lies about the
 * sender would deliver it. The message opens a session with Mallory's identity key, not the
 * pinned one: it must be refused, never shown or decrypted, and never replace the pin.
 */
const t = withServer();
const cores: TestCore[] = [];
const taps: Tap[] = [];

afterAll(async () => {
  for (const c of cores) await c.close();
  for (const tap of taps) await tap.close();
});

interface Person {
  c: TestCore;
  userId: string;
  deviceId: string;
}

async function person(c: TestCore): Promise<Person> {
  cores.push(c);
  const info = await c.core.session();
  return { c, userId: info?.user.id as string, deviceId: info?.deviceId as string };
}

/** Alice (through a tap the test controls), Mallory, and someone Alice already talks with. */
async function scene(peerName: string): Promise<{ tap: Tap; alice: Person; mallory: Person; peer: Person }> {
  const tap = await startTap(t.server.baseUrl);
  taps.push(tap);
  const alice = await person(await registerCore(tap.url, 'alice'));
  const mallory = await person(await registerCore(t.server.baseUrl, 'mallory'));
  const peer = await person(await registerCore(t.server.baseUrl, peerName));
  // Alice has Mallory in her contacts, so the server relays Mallory's call signals to her too.
  await alice.c.core.addContact({ userId: mallory.userId });
  return { tap, alice, mallory, peer };
}

const texts = async (c: TestCore, peerUserId: string) => (await c.conversation(peerUserId)).map((m) => m.text);

/**
 * Mallory sends Alice a text that the server (the tap) labels as coming from `as`: returns once
 * Alice has taken it (Mallory sees it delivered), with Alice's notices about it.
 */
async function forge(tap: Tap, mallory: Person, alice: Person, as: Person, text: string) {
  tap.relabel([
    [mallory.userId, as.userId],
    [mallory.deviceId, as.deviceId],
  ]);
  try {
    const forged = await mallory.c.core.sendText(alice.userId, text);
    await eventually(
      () => mallory.c.events.status.some((s) => s.messageId === forged.id && s.status === 'delivered'),
      15_000,
      'alice took the forged message',
    );
  } finally {
    tap.relabel([]);
  }
  return alice.c.events.identity.filter((e) => e.kind === 'key_changed' && e.deviceId === as.deviceId);
}

describe('a changed identity key never gets through', () => {
  it("refuses a forged session-opening message from a contact's known device; the pin and the real session stay", {
    timeout: 90_000,
  }, async () => {
    const { tap, alice, mallory, peer: bob } = await scene('bob');
    await bob.c.core.sendText(alice.userId, 'the real Bob');
    await eventually(async () => (await texts(alice.c, bob.userId)).length === 1, 10_000, 'alice has bob');
    await alice.c.core.sendText(bob.userId, 'hi Bob');
    await eventually(async () => (await texts(bob.c, alice.userId)).length === 2, 10_000, 'bob has hi');
    const before = await alice.c.core.safetyNumber(bob.userId);

    const notices = await forge(tap, mallory, alice, bob, 'Bob here, new laptop: send me the codes');

    // Not shown, not stored (nowhere to be found), and surfaced as a pending change with the refusal counted.
    expect(notices).toEqual([expect.objectContaining({ userId: bob.userId, refusedMessages: 1 })]);
    expect(await texts(alice.c, bob.userId)).toEqual(['the real Bob', 'hi Bob']);
    expect(await alice.c.core.searchMessages('codes')).toEqual([]);
    expect(alice.c.events.message.some((m) => m.text.includes('codes'))).toBe(false);
    expect(await alice.c.core.pendingIdentityChanges()).toEqual([
      expect.objectContaining({ userId: bob.userId, deviceId: bob.deviceId, kind: 'key_changed', refusedMessages: 1 }),
    ]);
    // The pin is unchanged: the safety number is the one from before; the one with the new key differs.
    const after = await alice.c.core.safetyNumber(bob.userId);
    expect(after).toMatchObject({ digits: before.digits, changed: true });
    expect(after.pendingDigits).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(after.pendingDigits).not.toBe(before.digits);

    // Nothing goes to Bob while the change is pending.
    await expect(alice.c.core.sendText(bob.userId, 'refused')).rejects.toMatchObject({
      code: 'IDENTITY_UNTRUSTED',
      details: { userId: bob.userId },
    });
    // Alice keeps the pinned key: her next message is encrypted to the real Bob's session, and he reads it.
    await alice.c.core.rejectIdentity(bob.userId);
    expect((await alice.c.core.safetyNumber(bob.userId)).changed).toBe(false);
    await alice.c.core.sendText(bob.userId, 'only for the real Bob');
    await eventually(
      async () => (await texts(bob.c, alice.userId)).includes('only for the real Bob'),
      10_000,
      'the real Bob reads it',
    );
    // And Bob's real messages still decrypt.
    await bob.c.core.sendText(alice.userId, 'still the real Bob');
    await eventually(async () => (await texts(alice.c, bob.userId)).includes('still the real Bob'), 10_000);

    // Another forged message from the rejected key is refused as well, without asking again.
    expect(await forge(tap, mallory, alice, bob, 'Bob again: the codes?')).toHaveLength(1);
    expect(await alice.c.core.searchMessages('codes')).toEqual([]);
    expect(await alice.c.core.pendingIdentityChanges()).toEqual([]);
  });

  it('refuses a forged message from my own second device and sends no copy to the impostor', {
    timeout: 90_000,
  }, async () => {
    const { tap, alice, mallory, peer: bob } = await scene('bob');
    const username = (await alice.c.core.session())?.user.username as string;
    const alice2 = await person(await loginCore(t.server.baseUrl, username));
    // Both of Alice's devices pin each other: each one's message to Bob is copied to the other.
    await alice.c.core.sendText(bob.userId, 'from the first device');
    await eventually(async () => (await texts(alice2.c, bob.userId)).length === 1, 15_000, 'the copy on alice2');
    await alice2.c.core.sendText(bob.userId, 'from the second device');
    await eventually(async () => (await texts(alice.c, bob.userId)).length === 2, 15_000, 'the copy on alice');

    const notices = await forge(tap, mallory, alice, alice2, 'it is me, your laptop: here is the new plan');

    expect(notices).toEqual([expect.objectContaining({ userId: alice.userId, refusedMessages: 1 })]);
    expect(await alice.c.core.searchMessages('plan')).toEqual([]);
    expect(await alice.c.core.pendingIdentityChanges()).toEqual([
      expect.objectContaining({ userId: alice.userId, deviceId: alice2.deviceId, refusedMessages: 1 }),
    ]);
    // Every send stops (each one would be copied to the changed device): the error names whose key it is.
    await expect(alice.c.core.sendText(bob.userId, 'refused')).rejects.toMatchObject({
      code: 'IDENTITY_UNTRUSTED',
      details: { userId: alice.userId },
    });
    // Keeping the pinned key: the next copy goes to the real second device, which reads it.
    await alice.c.core.rejectIdentity(alice.userId);
    await alice.c.core.sendText(bob.userId, 'copied to my real laptop');
    await eventually(
      async () => (await texts(alice2.c, bob.userId)).includes('copied to my real laptop'),
      15_000,
      'the real second device reads the copy',
    );
    await eventually(async () => (await texts(bob.c, alice.userId)).includes('copied to my real laptop'), 10_000);
    // And the real second device still gets through.
    await alice2.c.core.sendText(bob.userId, 'second device, still me');
    await eventually(async () => (await texts(alice.c, bob.userId)).includes('second device, still me'), 15_000);
  });

  it('keeps the pin of a device the server stopped listing: back with another key, it is refused', {
    timeout: 90_000,
  }, async () => {
    const { tap, alice, mallory, peer: bob } = await scene('bob');
    const username = (await bob.c.core.session())?.user.username as string;
    const bob2 = await person(await loginCore(t.server.baseUrl, username));
    await alice.c.core.sendText(bob.userId, 'to both of your devices');
    await eventually(async () => (await texts(bob2.c, alice.userId)).length === 1, 15_000, 'bob2 has it');
    // Bob signs his second device out; Alice's next send learns it is gone.
    await bob.c.core.revokeDevice(bob2.deviceId);
    const next = await alice.c.core.sendText(bob.userId, 'to the device you kept');
    await eventually(
      () => alice.c.events.status.some((s) => s.messageId === next.id && s.status === 'delivered'),
      15_000,
      'sent to the remaining device',
    );

    // The server brings the device id back with another key (Mallory's): a key change, not a new device.
    const seen = alice.c.events.identity.length;
    const notices = await forge(tap, mallory, alice, bob2, 'my old laptop again: send me the codes');
    expect(notices).toEqual([expect.objectContaining({ userId: bob.userId, refusedMessages: 1 })]);
    expect(alice.c.events.identity.slice(seen).map((e) => e.kind)).toEqual(['key_changed']);
    expect(await alice.c.core.searchMessages('codes')).toEqual([]);
  });

  it('does not decrypt a forged call ring from a known device', { timeout: 90_000 }, async () => {
    const { tap, alice, mallory, peer: carol } = await scene('carol');
    // Signals reach only someone who has the caller as a contact: these two could call each other.
    await alice.c.core.addContact({ userId: carol.userId });
    await carol.c.core.addContact({ userId: alice.userId });
    await carol.c.core.sendText(alice.userId, 'call me later');
    await eventually(async () => (await texts(alice.c, carol.userId)).length === 1, 10_000, 'alice knows carol');

    tap.relabel([
      [mallory.userId, carol.userId],
      [mallory.deviceId, carol.deviceId],
    ]);
    try {
      const forged = await mallory.c.core.sendSignal(alice.userId, { type: 'ring', callId: 'forged' });
      expect(forged.deliveredTo).toContain(alice.deviceId);
    } finally {
      tap.relabel([]);
    }
    // Carol's real ring comes behind the forged one (signals are opened in order): it rings, the forged one did not.
    await carol.c.core.sendSignal(alice.userId, { type: 'ring', callId: 'real' });
    await eventually(() => alice.c.events.signal.length > 0, 10_000, "carol's ring");
    expect(alice.c.events.signal).toEqual([
      { fromUserId: carol.userId, fromDeviceId: carol.deviceId, payload: { type: 'ring', callId: 'real' } },
    ]);
    expect(alice.c.events.identity).toEqual([
      expect.objectContaining({
        userId: carol.userId,
        deviceId: carol.deviceId,
        kind: 'key_changed',
        refusedMessages: 1,
      }),
    ]);
    // And Alice's own ring does not go to the changed key.
    await expect(alice.c.core.sendSignal(carol.userId, { type: 'ring', callId: 'mine' })).rejects.toMatchObject({
      code: 'IDENTITY_UNTRUSTED',
    });
  });
});
