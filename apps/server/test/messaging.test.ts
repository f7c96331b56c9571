import { randomUUID } from 'node:crypto';
import { CLIENT_EVENTS, type Envelope, SERVER_EVENTS, type SendMessageResponse } from '@parley/shared';
import { dumpDatabase } from '@parley/test-support/database';
import { createDevice, encryptFor, opaqueEnvelopesFor, type TestDevice } from '@parley/test-support/devices';
import { call, expectError } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { connectClient, eventually, type TestClient } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const t = withServer();

const messagesOf = (client: TestClient) => client.envelopes.filter((e) => e.kind === 'message');
const receiptsOf = (client: TestClient, kind: Envelope['kind']) => client.envelopes.filter((e) => e.kind === kind);

describe('store and forward', () => {
  let alice: TestDevice;
  let alice2: TestDevice;
  let bob: TestDevice;
  let bob2: TestDevice;
  let sockets: Record<string, TestClient>;

  beforeAll(async () => {
    alice = await createDevice(t.url);
    alice2 = await createDevice(t.url, alice);
    bob = await createDevice(t.url);
    bob2 = await createDevice(t.url, bob);
    sockets = {};
    for (const [name, device] of Object.entries({ alice, alice2, bob, bob2 })) {
      sockets[name] = await connectClient(t.url, device.accessToken);
    }
  });

  afterAll(() => {
    for (const s of Object.values(sockets)) s.close();
  });

  it("delivers a real Signal message once to each of Bob's devices and Alice's other device, with receipts back", async () => {
    const marker = `plaintext-marker-${randomUUID()}`;
    const messageId = randomUUID();
    const envelopes = await encryptFor(alice, bob.user.id, marker);
    expect(envelopes).toHaveLength(3);

    const ack = await sockets.alice?.request<SendMessageResponse>(CLIENT_EVENTS.send, {
      messageId,
      recipientUserId: bob.user.id,
      envelopes,
    });
    expect(ack).toMatchObject({ ok: true, data: { messageId, duplicate: false } });

    for (const [name, device] of [
      ['bob', bob],
      ['bob2', bob2],
      ['alice2', alice2],
    ] as const) {
      const client = sockets[name] as TestClient;
      await eventually(() => messagesOf(client).length === 1, 5_000, `${name}'s message`);
      const [envelope] = messagesOf(client);
      expect(envelope).toMatchObject({
        messageId,
        senderUserId: alice.user.id,
        senderDeviceId: alice.deviceId,
        type: 'prekey',
      });
      expect(await device.signal.decrypt(alice.deviceId, envelope?.type as 'prekey', envelope?.content as string)).toBe(
        marker,
      );
    }
    // The server stored only ciphertext: the marker is nowhere in the database.
    expect(await dumpDatabase(t.db)).not.toContain(marker);

    // Acks deleted every copy; both of Alice's devices got a delivered receipt.
    await eventually(
      async () => (await t.db.query("SELECT 1 FROM envelopes WHERE kind = 'message'")).length === 0,
      5_000,
      'acks',
    );
    for (const name of ['alice', 'alice2'] as const) {
      await eventually(
        () => receiptsOf(sockets[name] as TestClient, 'delivered').length > 0,
        5_000,
        `${name}'s delivered receipt`,
      );
      expect(receiptsOf(sockets[name] as TestClient, 'delivered')[0]).toMatchObject({
        messageId,
        senderUserId: bob.user.id,
      });
    }
    expect(messagesOf(sockets.alice as TestClient)).toHaveLength(0); // the sending device gets no copy
    // Give stray duplicates a moment to show up, then check there are none.
    await new Promise((r) => setTimeout(r, 300));
    for (const name of ['bob', 'bob2', 'alice2']) expect(messagesOf(sockets[name] as TestClient)).toHaveLength(1);

    // Bob reads it: Alice's devices learn it was read, and Bob's other device that he read it.
    const read = await sockets.bob?.request(CLIENT_EVENTS.read, {
      receipts: [{ messageId, senderUserId: alice.user.id }],
    });
    expect(read).toEqual({ ok: true, data: { accepted: 1 } });
    for (const name of ['alice', 'alice2', 'bob2'] as const) {
      await eventually(
        () => receiptsOf(sockets[name] as TestClient, 'read').length === 1,
        5_000,
        `${name}'s read receipt`,
      );
    }
    expect(receiptsOf(sockets.bob as TestClient, 'read')).toHaveLength(0);
  });

  it('treats a repeated message id as the same send', async () => {
    const messageId = randomUUID();
    const envelopes = await opaqueEnvelopesFor(alice, bob.user.id);
    const first = await call(t.url, 'POST', '/messages', {
      token: alice.accessToken,
      body: { messageId, recipientUserId: bob.user.id, envelopes },
    });
    const again = await call(t.url, 'POST', '/messages', {
      token: alice.accessToken,
      body: { messageId, recipientUserId: bob.user.id, envelopes },
    });
    expect(first.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    await eventually(() => messagesOf(sockets.bob as TestClient).some((e) => e.messageId === messageId), 5_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(messagesOf(sockets.bob as TestClient).filter((e) => e.messageId === messageId)).toHaveLength(1);
  });

  it('rejects a stale device list naming the missing and extra devices', async () => {
    const envelopes = await opaqueEnvelopesFor(alice, bob.user.id);
    const withoutBob2 = envelopes.filter((e) => e.deviceId !== bob2.deviceId);
    const missing = await call(t.url, 'POST', '/messages', {
      token: alice.accessToken,
      body: { messageId: randomUUID(), recipientUserId: bob.user.id, envelopes: withoutBob2 },
    });
    expectError(missing, 409, 'MISMATCHED_DEVICES');
    expect(missing.body.error.details).toEqual({
      missingDevices: [{ userId: bob.user.id, deviceId: bob2.deviceId }],
      extraDevices: [],
    });

    const carol = await createDevice(t.url);
    const extra = [...envelopes, { ...(envelopes[0] as (typeof envelopes)[0]), deviceId: carol.deviceId }];
    const res = await sockets.alice?.request(CLIENT_EVENTS.send, {
      messageId: randomUUID(),
      recipientUserId: bob.user.id,
      envelopes: extra,
    });
    expect(res).toMatchObject({
      ok: false,
      error: {
        code: 'MISMATCHED_DEVICES',
        details: { missingDevices: [], extraDevices: [{ userId: carol.user.id, deviceId: carol.deviceId }] },
      },
    });

    const stale = envelopes.map((e) =>
      e.deviceId === bob.deviceId ? { ...e, registrationId: (e.registrationId % 16000) + 1 } : e,
    );
    const staleRes = await call(t.url, 'POST', '/messages', {
      token: alice.accessToken,
      body: { messageId: randomUUID(), recipientUserId: bob.user.id, envelopes: stale },
    });
    expectError(staleRes, 410, 'STALE_DEVICES');
    expect(staleRes.body.error.details).toEqual({ staleDevices: [{ userId: bob.user.id, deviceId: bob.deviceId }] });
  });

  it('refuses an envelope over the size limit', async () => {
    const envelopes = await opaqueEnvelopesFor(alice, bob.user.id);
    const big = envelopes.map((e) => ({ ...e, content: Buffer.alloc(64 * 1024 + 3).toString('base64') }));
    const res = await call(t.url, 'POST', '/messages', {
      token: alice.accessToken,
      body: { messageId: randomUUID(), recipientUserId: bob.user.id, envelopes: big },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
  });
});

describe('offline queue', () => {
  it('drains 1,000 envelopes to a device that connects later: all, in order, once each', {
    timeout: 60_000,
  }, async () => {
    const dave = await createDevice(t.url);
    const carol = await createDevice(t.url);
    const sender = await connectClient(t.url, dave.accessToken);
    const template = await opaqueEnvelopesFor(dave, carol.user.id);
    const sent: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const messageId = randomUUID();
      const ack = await sender.request(CLIENT_EVENTS.send, {
        messageId,
        recipientUserId: carol.user.id,
        envelopes: template,
      });
      expect(ack.ok).toBe(true);
      sent.push(messageId);
    }
    sender.close();

    const receiver = await connectClient(t.url, carol.accessToken);
    await eventually(() => receiver.events(SERVER_EVENTS.queueEmpty).length === 1, 30_000, 'queue:empty');
    expect(receiver.envelopes.map((e) => e.messageId)).toEqual(sent);
    expect(
      (
        await t.db.query('SELECT count(*)::int AS n FROM envelopes WHERE destination_device_id = $1', [carol.deviceId])
      )[0]?.n,
    ).toBe(0);
    receiver.close();
  });

  it('keeps unacked envelopes and delivers them again on the next connection', async () => {
    const dave = await createDevice(t.url);
    const carol = await createDevice(t.url);
    const messageId = randomUUID();
    const envelopes = await opaqueEnvelopesFor(dave, carol.user.id);
    expect(
      (
        await call(t.url, 'POST', '/messages', {
          token: dave.accessToken,
          body: { messageId, recipientUserId: carol.user.id, envelopes },
        })
      ).status,
    ).toBe(200);

    const forgetful = await connectClient(t.url, carol.accessToken, { autoAck: false });
    await eventually(() => forgetful.envelopes.length === 1, 5_000);
    forgetful.close();
    const again = await connectClient(t.url, carol.accessToken);
    await eventually(() => again.envelopes.length === 1, 5_000);
    expect(again.envelopes[0]?.messageId).toBe(messageId);
    again.close();
  });
});
