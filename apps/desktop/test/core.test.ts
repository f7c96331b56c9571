import { loginCore, registerCore, type TestCore } from '@parley/test-support/cores';
import { withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, describe, expect, it } from 'vitest';

const t = withServer();
const cores: TestCore[] = [];

afterAll(async () => {
  for (const c of cores) await c.close();
});

const texts = async (c: TestCore, peer: string) => (await c.conversation(peer)).map((m) => m.text);

describe('cores talking through a real server', () => {
  it('Alice (one device) and Bob (two devices) chat both ways; every device shows it all, in order', {
    timeout: 60_000,
  }, async () => {
    const alice = await registerCore(t.server.baseUrl, 'alice');
    const bob = await registerCore(t.server.baseUrl, 'bob');
    cores.push(alice, bob);
    const bobInfo = await bob.core.session();
    const bob2 = await loginCore(t.server.baseUrl, bobInfo?.user.username as string);
    cores.push(bob2);
    const aliceId = (await alice.core.session())?.user.id as string;
    const bobId = bobInfo?.user.id as string;

    const first = await alice.core.sendText(bobId, 'Привет, Боб! 👋');
    expect(first.status).toBe('pending');
    await eventually(async () => (await texts(bob, aliceId)).length === 1, 10_000, 'bob receives');
    await eventually(async () => (await texts(bob2, aliceId)).length === 1, 10_000, 'bob2 receives');
    // A message event carries its conversation as now stored and the unread total: no one refetches the list.
    expect(alice.events.message[0]).toMatchObject({
      id: first.id,
      conversation: { peer: { id: bobId }, lastMessage: { id: first.id, status: 'pending' }, unreadCount: 0 },
      unreadTotal: 0,
    });
    expect(bob.events.message.find((m) => m.id === first.id)).toMatchObject({
      conversation: { peer: { id: aliceId }, lastMessage: { id: first.id, direction: 'in' }, unreadCount: 1 },
      unreadTotal: 1,
    });
    await bob.core.sendText(aliceId, 'Hi Alice, both my devices got it');
    await eventually(async () => (await texts(alice, bobId)).length === 2, 10_000, 'alice receives');
    await alice.core.sendText(bobId, 'Great — see https://example.com/parley-docs');

    const expected = [
      'Привет, Боб! 👋',
      'Hi Alice, both my devices got it',
      'Great — see https://example.com/parley-docs',
    ];
    for (const [name, c, peer] of [
      ['alice', alice, bobId],
      ['bob', bob, aliceId],
      ['bob2', bob2, aliceId],
    ] as const) {
      await eventually(async () => (await texts(c, peer)).length === 3, 10_000, `${name} has all three`);
      expect(await texts(c, peer), name).toEqual(expected);
    }
    // Bob's second device shows Bob's own message as his (a sync copy), not as incoming.
    expect((await bob2.conversation(aliceId))[1]).toMatchObject({ direction: 'out', senderUserId: bobId });

    // Bob reads: Alice sees sent → delivered → read for her first message.
    await bob.core.markRead(aliceId);
    await eventually(
      () => alice.events.status.some((s) => s.messageId === first.id && s.status === 'read'),
      10_000,
      'read receipt',
    );
    expect(alice.events.status.filter((s) => s.messageId === first.id).map((s) => s.status)).toEqual([
      'sent',
      'delivered',
      'read',
    ]);
    // …and Bob's other device learns that he read it.
    await eventually(
      async () => (await bob2.core.conversations())[0]?.unreadCount === 0,
      10_000,
      'read synced to bob2',
    );
    expect(bob.events.read).toEqual([{ peerUserId: aliceId, unreadCount: 0, unreadTotal: 0 }]);
    expect(bob2.events.read.at(-1)).toEqual({ peerUserId: aliceId, unreadCount: 0, unreadTotal: 0 });
  });
});
