import {
  ERROR_CODES,
  ERROR_STATUS,
  ErrorBody,
  LIMITS,
  REGISTRATION_ID_MAX,
  RetryAfterDetails,
  ROUTES,
  type RouteDef,
  toFieldIssues,
} from '@parley/shared';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';

/**
 * The REST contract itself: every route's inputs refuse what is not an object, and each schema
 * accepts its edges and rejects one past them. That the server answers each refusal with a typed
 * VALIDATION_FAILED is the server tests per route (auth, keys, messaging…); socket payloads are
 * apps/server/test/socket-events.test.ts.
 */
const routes = Object.entries(ROUTES) as [string, RouteDef][];
const notObjects = [undefined, null, 42, 'text', [], true];

const id = crypto.randomUUID();
// Base64 of 33 and of 64 bytes (a public key, a signature); this package's code uses no Node built-ins.
const key33 = 'B'.repeat(44);
const sig64 = `${'B'.repeat(86)}==`;
const device = { name: 'Laptop' };
const register = { username: 'ann', password: 'x'.repeat(LIMITS.password.min), displayName: 'Ann', device };
const envelope = { deviceId: id, registrationId: 1, type: 'whisper', content: 'AAAA' };
const send = { messageId: id, recipientUserId: id, envelopes: [envelope] };
const keys = {
  registrationId: REGISTRATION_ID_MAX,
  identityKey: key33,
  signedPreKey: { keyId: 0, publicKey: key33, signature: sig64 },
};
const now = new Date().toISOString();
/** Base64 characters of the largest ciphertext an envelope may carry. */
const maxCiphertext = Math.ceil(LIMITS.envelopeBytes / 3) * 4;

/** [route, which schema, input, accepted]: each edge, and one step past it. */
const cases: [keyof typeof ROUTES, 'body' | 'query' | 'params' | 'response', unknown, boolean][] = [
  ['register', 'body', register, true],
  ['register', 'body', { ...register, username: 'x'.repeat(LIMITS.username.max) }, true],
  ['register', 'body', { ...register, username: 'ab' }, false],
  ['register', 'body', { ...register, username: 'x'.repeat(LIMITS.username.max + 1) }, false],
  ['register', 'body', { ...register, username: 'ann-b' }, false],
  ['register', 'body', { ...register, password: 'x'.repeat(LIMITS.password.max) }, true],
  ['register', 'body', { ...register, password: 'x'.repeat(LIMITS.password.min - 1) }, false],
  ['register', 'body', { ...register, password: 'x'.repeat(LIMITS.password.max + 1) }, false],
  ['register', 'body', { ...register, displayName: '🦊'.repeat(LIMITS.displayName.max) }, true],
  ['register', 'body', { ...register, displayName: '🦊'.repeat(LIMITS.displayName.max + 1) }, false],
  ['register', 'body', { ...register, displayName: '   ' }, false],
  ['register', 'body', { ...register, displayName: 'Ann\u0000' }, false],
  ['register', 'body', { ...register, isAdmin: true }, false],
  ['login', 'body', { username: 'ann', password: 'x'.repeat(LIMITS.password.min) }, false],
  ['refresh', 'body', { refreshToken: 'x'.repeat(LIMITS.tokenLength) }, true],
  ['refresh', 'body', { refreshToken: '' }, false],
  ['refresh', 'body', { refreshToken: 'x'.repeat(LIMITS.tokenLength + 1) }, false],
  ['revokeDevice', 'params', { id: 'not-a-uuid' }, false],
  ['searchUsers', 'query', { q: 'an', limit: String(LIMITS.page.max) }, true],
  ['searchUsers', 'query', { q: '   ' }, false],
  ['searchUsers', 'query', { q: 'an', limit: '0' }, false],
  ['searchUsers', 'query', { q: 'an', limit: String(LIMITS.page.max + 1) }, false],
  ['listContacts', 'query', {}, true],
  ['addContact', 'body', { userId: id }, true],
  ['addContact', 'body', { username: 'Ann' }, true],
  ['addContact', 'body', { userId: id, username: 'ann' }, false],
  ['addContact', 'body', {}, false],
  ['uploadKeys', 'body', { ...keys, preKeys: [] }, true],
  ['uploadKeys', 'body', { ...keys, registrationId: REGISTRATION_ID_MAX + 1, preKeys: [] }, false],
  ['uploadKeys', 'body', { ...keys, identityKey: sig64, preKeys: [] }, false],
  ['addPreKeys', 'body', { preKeys: Array(LIMITS.preKeysPerUpload).fill({ keyId: 1, publicKey: key33 }) }, true],
  ['addPreKeys', 'body', { preKeys: Array(LIMITS.preKeysPerUpload + 1).fill({ keyId: 1, publicKey: key33 }) }, false],
  ['addPreKeys', 'body', { preKeys: [] }, false],
  ['sendMessage', 'body', { ...send, envelopes: Array(LIMITS.devicesPerSend).fill(envelope) }, true],
  ['sendMessage', 'body', { ...send, envelopes: Array(LIMITS.devicesPerSend + 1).fill(envelope) }, false],
  ['sendMessage', 'body', { ...send, envelopes: [{ ...envelope, type: 'plaintext' }] }, false],
  ['sendMessage', 'body', { ...send, envelopes: [{ ...envelope, content: 'not base64!' }] }, false],
  ['sendMessage', 'body', { ...send, envelopes: [{ ...envelope, content: 'A'.repeat(maxCiphertext) }] }, true],
  ['sendMessage', 'body', { ...send, envelopes: [{ ...envelope, content: 'A'.repeat(maxCiphertext + 4) }] }, false],
  ['sendMessage', 'response', { messageId: id, serverTimestamp: now, duplicate: false }, true],
  ['sendMessage', 'response', { messageId: id, serverTimestamp: 'yesterday', duplicate: false }, false],
  ['searchUsers', 'response', { items: [], nextCursor: null }, true],
  ['searchUsers', 'response', { items: [{ id, username: 'ann' }], nextCursor: null }, false],
  ['refresh', 'response', { accessToken: 'a', accessTokenExpiresAt: now, refreshToken: 'r' }, true],
  ['refresh', 'response', { accessToken: 'a', refreshToken: 'r' }, false],
];

describe('ROUTES', () => {
  it('refuses a body, query or params that is not an object, on every route', () => {
    for (const [name, route] of routes) {
      for (const schema of [route.body, route.query, route.params]) {
        for (const input of notObjects) {
          if (schema) expect(schema.safeParse(input).success, `${name} ${JSON.stringify(input)}`).toBe(false);
        }
      }
    }
  });

  it.each(cases)('%s %s: %j → accepted %s', (route, part, input, accepted) => {
    const schema = (ROUTES[route] as RouteDef)[part] as z.ZodType;
    expect(schema.safeParse(input).success).toBe(accepted);
  });

  it('normalises what it accepts: usernames lowercased, names trimmed, page size defaulted', () => {
    expect(ROUTES.register.body.parse({ ...register, username: 'Ann.B_1', displayName: '  Ann  ' })).toMatchObject({
      username: 'ann.b_1',
      displayName: 'Ann',
    });
    expect(ROUTES.searchUsers.query.parse({ q: ' an ' })).toEqual({ q: 'an', limit: LIMITS.page.default });
  });

  it('reports a refusal as field issues with dotted paths', () => {
    const result = ROUTES.sendMessage.body.safeParse({ ...send, envelopes: [{ ...envelope, registrationId: 0 }] });
    expect(result.success || toFieldIssues(result.error)).toEqual([
      expect.objectContaining({ path: 'envelopes.0.registrationId', code: 'too_small' }),
    ]);
  });
});

describe('errors', () => {
  it('maps every code to one 4xx or 5xx status', () => {
    for (const code of ERROR_CODES) expect(ERROR_STATUS[code], code).toBeGreaterThanOrEqual(400);
    for (const code of ERROR_CODES) expect(ERROR_STATUS[code], code).toBeLessThan(600);
  });

  it.each([
    [{ error: { code: 'NOT_FOUND', message: 'No such user' } }, true],
    [{ error: { code: 'RATE_LIMITED', message: 'Slow down', details: { retryAfterSeconds: 3 } } }, true],
    [{ error: { code: 'TEAPOT', message: 'Short and stout' } }, false],
    [{ error: { code: 'NOT_FOUND' } }, false],
    [{ code: 'NOT_FOUND', message: 'No such user' }, false],
  ])('ErrorBody %j → accepted %s', (body, accepted) => {
    expect(ErrorBody.safeParse(body).success).toBe(accepted);
  });

  it.each([
    [{ retryAfterSeconds: 1 }, true],
    [{ retryAfterSeconds: 0 }, false],
    [{ retryAfterSeconds: 1.5 }, false],
    [{ retryAfterSeconds: '5' }, false],
    [{}, false],
  ])('RetryAfterDetails %j → accepted %s', (details, accepted) => {
    expect(RetryAfterDetails.safeParse(details).success).toBe(accepted);
  });
});
