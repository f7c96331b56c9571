import { randomBytes } from 'node:crypto';
import { API_PREFIX, type AuthResponse, attachmentCiphertextSize, LIMITS } from '@parley/shared';
import { call, expectError, register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

/**
 * Forwarding a file without uploading it again: whoever may fetch an attachment can let one more
 * user fetch it; no one else can, and a file is shared with a bounded number of people.
 */
const t = withServer();

const share = (by: AuthResponse, id: string, to: string) =>
  call(t.server.baseUrl, 'POST', `/attachments/${id}/shares`, {
    token: by.accessToken,
    body: { recipientUserId: to },
  });

async function download(who: AuthResponse, id: string) {
  const res = await fetch(`${t.server.baseUrl}${API_PREFIX}/attachments/${id}`, {
    headers: { authorization: `Bearer ${who.accessToken}` },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Alice's file for Bob, uploaded (opaque bytes stand in for ciphertext). */
async function uploaded(alice: AuthResponse, bob: AuthResponse): Promise<{ id: string; bytes: Buffer }> {
  const bytes = randomBytes(attachmentCiphertextSize(1000));
  const announced = await call<{ id: string }>(t.server.baseUrl, 'POST', '/attachments', {
    token: alice.accessToken,
    body: { recipientUserId: bob.user.id, size: bytes.length },
  });
  const put = await fetch(`${t.server.baseUrl}${API_PREFIX}/attachments/${announced.body.id}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${alice.accessToken}`,
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
    },
    body: bytes,
  });
  expect(put.status).toBe(204);
  return { id: announced.body.id, bytes };
}

describe('sharing an attachment (forwarding)', () => {
  it('the recipient forwards it to Carol, who then fetches the same bytes; strangers cannot share it to themselves', async () => {
    const [alice, bob, carol, mallory] = await Promise.all([
      register(t.server.baseUrl),
      register(t.server.baseUrl),
      register(t.server.baseUrl),
      register(t.server.baseUrl),
    ]);
    const file = await uploaded(alice, bob);
    expect((await download(carol, file.id)).status).toBe(404);

    // Mallory, who may not fetch it, cannot give herself (or anyone) access: the same 404 as a missing file.
    expectError(await share(mallory, file.id, mallory.user.id), 404, 'NOT_FOUND');
    expectError(await share(carol, file.id, carol.user.id), 404, 'NOT_FOUND');
    expect((await download(mallory, file.id)).status).toBe(404);

    expect((await share(bob, file.id, carol.user.id)).status).toBe(204);
    expect((await share(bob, file.id, carol.user.id)).status).toBe(204); // again: nothing changes
    const got = await download(carol, file.id);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(file.bytes)).toBe(true);
    // Carol may forward it in turn; the uploader may too.
    expect((await share(carol, file.id, mallory.user.id)).status).toBe(204);
    expect((await share(alice, file.id, alice.user.id)).status).toBe(204);

    // A file not uploaded yet, an unknown recipient, a malformed body.
    const pending = await call<{ id: string }>(t.server.baseUrl, 'POST', '/attachments', {
      token: alice.accessToken,
      body: { recipientUserId: bob.user.id, size: attachmentCiphertextSize(10) },
    });
    expectError(await share(alice, pending.body.id, carol.user.id), 404, 'NOT_FOUND');
    expectError(await share(bob, file.id, '00000000-0000-4000-8000-000000000000'), 404, 'USER_NOT_FOUND');
    const bad = await call(t.server.baseUrl, 'POST', `/attachments/${file.id}/shares`, {
      token: bob.accessToken,
      body: { recipientUserId: 'carol' },
    });
    expectError(bad, 400, 'VALIDATION_FAILED');
  });

  it(`a file is shared with at most ${LIMITS.attachmentShares} people`, { timeout: 120_000 }, async () => {
    const [alice, bob] = await Promise.all([register(t.server.baseUrl), register(t.server.baseUrl)]);
    const file = await uploaded(alice, bob);
    const people: AuthResponse[] = [];
    for (let i = 0; i <= LIMITS.attachmentShares; i += 10)
      people.push(...(await Promise.all(Array.from({ length: 10 }, () => register(t.server.baseUrl)))));
    const results = [];
    for (const person of people.slice(0, LIMITS.attachmentShares))
      results.push((await share(bob, file.id, person.user.id)).status);
    expect(results.every((s) => s === 204)).toBe(true);
    const past = people[LIMITS.attachmentShares] as AuthResponse;
    expectError(await share(bob, file.id, past.user.id), 409, 'ATTACHMENT_SHARE_LIMIT');
    expect((await download(past, file.id)).status).toBe(404);
    // Those already in keep it, and sharing with them again still answers as done.
    expect((await share(bob, file.id, (people[0] as AuthResponse).user.id)).status).toBe(204);
  });
});
