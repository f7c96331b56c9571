import { randomUUID } from 'node:crypto';
import { CLIENT_EVENTS } from '@parley/shared';
import { createDevice, opaqueEnvelopesFor } from '@parley/test-support/devices';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { describe, expect, it } from 'vitest';

const t = withServer();

describe('graceful shutdown', () => {
  it('SIGTERM under traffic: exit code 0, no error or stack trace, clients not kicked, no accepted message lost', {
    timeout: 60_000,
  }, async () => {
    const alice = await createDevice(t.url);
    const bob = await createDevice(t.url);
    const bobClient = await connectClient(t.url, bob.accessToken);
    const aliceClient = await connectClient(t.url, alice.accessToken);
    const reasons: string[] = [];
    for (const client of [aliceClient, bobClient]) client.socket.on('disconnect', (reason) => reasons.push(reason));
    const envelopes = await opaqueEnvelopesFor(alice, bob.user.id);

    const accepted: string[] = [];
    const sender = async () => {
      while (aliceClient.socket.connected) {
        const messageId = randomUUID();
        const answer = await aliceClient
          .request(CLIENT_EVENTS.send, { messageId, recipientUserId: bob.user.id, envelopes })
          .catch(() => null);
        if (answer?.ok) accepted.push(messageId);
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    await eventually(() => accepted.length >= 100, 10_000, 'traffic');
    const code = await t.server.kill('SIGTERM');
    await Promise.all(senders);

    expect(code).toBe(0);
    const output = t.server.output();
    expect(output).toContain('"msg":"stopped"');
    expect(output).not.toMatch(/abort\(|^\s+at |"level":(50|60)/m);
    // A transport close, not a server-side disconnect: socket.io clients reconnect by themselves.
    expect(reasons).toEqual(['transport close', 'transport close']);

    await t.server.restart();
    const bobAgain = await connectClient(t.url, bob.accessToken);
    const received = () => new Set([...bobClient.envelopes, ...bobAgain.envelopes].map((e) => e.messageId));
    await eventually(() => accepted.every((id) => received().has(id)), 10_000, 'every accepted message delivered');
    console.log(`shutdown: ${accepted.length} sends accepted before SIGTERM, all delivered after the restart`);
    bobAgain.close();
  });
});
