import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { API_PREFIX, attachmentCiphertextSize, CLIENT_EVENTS } from '@parley/shared';
import { createDevice, opaqueEnvelopesFor } from '@parley/test-support/devices';
import { call } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { describe, expect, it } from 'vitest';

const t = withServer();
// A short grace, and no idle timeout to end a stalled request before it does.
const quick = withServer({ SHUTDOWN_GRACE_SECONDS: '1', HTTP_IDLE_TIMEOUT_SECONDS: '3600' });

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

  it('a request that never finishes does not hold the shutdown: cut after the grace, exit 0', {
    timeout: 60_000,
  }, async () => {
    const alice = await createDevice(quick.url);
    const size = attachmentCiphertextSize(100_000);
    const announced = await call(quick.url, 'POST', '/attachments', {
      token: alice.accessToken,
      body: { recipientUserId: alice.user.id, size },
    });
    // Half the body, then nothing: the server waits for the rest.
    const upload = request(`${quick.url}${API_PREFIX}/attachments/${announced.body.id}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${alice.accessToken}`,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
      },
    });
    const answered = new Promise<string>((resolve) => {
      upload.on('response', (res) => resolve(String(res.statusCode)));
      upload.on('error', () => resolve('cut'));
    });
    upload.write(randomBytes(Math.floor(size / 2)));
    await new Promise((r) => setTimeout(r, 500));

    expect(await quick.server.kill('SIGTERM')).toBe(0);
    expect(await answered).toBe('cut');
    expect(quick.server.output()).toContain('"msg":"stopped"');
  });
});
