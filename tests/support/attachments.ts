import { randomBytes } from 'node:crypto';
import { API_PREFIX, attachmentCiphertextSize } from '@parley/shared';
import { expect } from 'vitest';
import { call } from './http.js';

/** An attachment announced and uploaded whole (random bytes as its ciphertext), from a signed-in device. */
export async function storeAttachment(
  baseUrl: string,
  from: { accessToken: string },
  recipientUserId: string,
  plaintextBytes = 1_000,
): Promise<{ id: string; ciphertext: Buffer }> {
  const size = attachmentCiphertextSize(plaintextBytes);
  const announced = await call(baseUrl, 'POST', '/attachments', {
    token: from.accessToken,
    body: { recipientUserId, size },
  });
  expect(announced.status).toBe(201);
  const ciphertext = randomBytes(size);
  const put = await fetch(`${baseUrl}${API_PREFIX}/attachments/${announced.body.id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${from.accessToken}`, 'content-type': 'application/octet-stream' },
    body: ciphertext,
  });
  expect(put.status).toBe(204);
  return { id: announced.body.id as string, ciphertext };
}
