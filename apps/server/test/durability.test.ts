import { randomUUID } from 'node:crypto';
import { CLIENT_EVENTS, SERVER_EVENTS } from '@parley/shared';
import { createDevice, opaqueEnvelopesFor } from '@parley/test-support/devices';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { describe, expect, it } from 'vitest';

const t = withServer();

describe('durability', () => {
  it('delivers every acked send exactly once after the server is killed (SIGKILL) mid-storm', {
    timeout: 90_000,
  }, async () => {
    const dave = await createDevice(t.url);
    const carol = await createDevice(t.url);
    const envelopes = await opaqueEnvelopesFor(dave, carol.user.id);
    const sender = await connectClient(t.url, dave.accessToken);

    const acked: string[] = [];
    const attempted: string[] = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const messageId = randomUUID();
        attempted.push(messageId);
        try {
          const answer = await sender.socket
            .timeout(3_000)
            .emitWithAck(CLIENT_EVENTS.send, { messageId, recipientUserId: carol.user.id, envelopes });
          if (answer.ok) acked.push(messageId);
        } catch {
          return; // no answer: the server is gone
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await eventually(() => acked.length >= 300, 30_000, '300 acked sends');
    killed = true;
    await t.server.kill('SIGKILL');
    await Promise.all(workers);
    sender.close();
    console.log(`storm: ${attempted.length} attempted, ${acked.length} acked before SIGKILL`);

    await t.server.restart();
    // A client resends what it never saw acked; the server recognises what it already stored.
    const resender = await connectClient(t.url, dave.accessToken);
    const unacked = attempted.filter((id) => !acked.includes(id));
    for (const messageId of unacked) {
      const answer = await resender.request(CLIENT_EVENTS.send, {
        messageId,
        recipientUserId: carol.user.id,
        envelopes,
      });
      expect(answer.ok).toBe(true);
    }
    resender.close();

    const receiver = await connectClient(t.url, carol.accessToken);
    await eventually(() => receiver.events(SERVER_EVENTS.queueEmpty).length === 1, 30_000, 'queue:empty');
    const received = receiver.envelopes.filter((e) => e.kind === 'message').map((e) => e.messageId);
    expect(new Set(received).size).toBe(received.length); // none twice
    expect(received.filter((id) => acked.includes(id))).toHaveLength(acked.length); // every acked one
    expect(received).toHaveLength(attempted.length); // and the resent ones, once
    receiver.close();
  });
});
