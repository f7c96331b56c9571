import { afterAll, describe, expect, it } from 'vitest';
import { call, expectError, login, register, uniqueName } from '../../../tests/support/http.js';
import { RELAXED_LIMITS, type ServerProcess, startServer, withServer } from '../../../tests/support/server.js';

const t = withServer({ RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME_IP: '3/600', RATE_LIMIT_SEARCH_PER_USER: '3/600' });

function expectRetryAfter(res: Awaited<ReturnType<typeof call>>, maxSeconds: number) {
  expectError(res, 429, 'RATE_LIMITED');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
}

describe('rate limits', () => {
  it('limits failed logins per username and address, even with the right password after that', async () => {
    const alice = await register(t.url);
    for (let i = 0; i < 3; i++)
      expectError(await login(t.url, alice.user.username, 'wrong password'), 401, 'INVALID_CREDENTIALS');
    expectRetryAfter(await login(t.url, alice.user.username), 600);
    // Another username from the same address is not affected.
    const bob = await register(t.url);
    expect((await login(t.url, bob.user.username)).status).toBe(200);
  });

  it('limits searches per user', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    for (let i = 0; i < 3; i++)
      expect((await call(t.url, 'GET', '/users/search?q=abc', { token: alice.accessToken })).status).toBe(200);
    expectRetryAfter(await call(t.url, 'GET', '/users/search?q=abc', { token: alice.accessToken }), 600);
    expect((await call(t.url, 'GET', '/users/search?q=abc', { token: bob.accessToken })).status).toBe(200);
  });
});

describe('per-address limits', () => {
  let strict: ServerProcess;
  afterAll(async () => strict?.stop());

  it('limits registrations and logins per IP', async () => {
    strict = await startServer({
      DATABASE_URL: t.db.url,
      ...RELAXED_LIMITS,
      RATE_LIMIT_REGISTER_PER_IP: '2/3600',
      RATE_LIMIT_LOGIN_PER_IP: '2/60',
    });
    const first = await register(strict.baseUrl);
    await register(strict.baseUrl);
    const third = await call(strict.baseUrl, 'POST', '/auth/register', {
      body: { username: uniqueName(), password: 'long enough', displayName: 'X', device: { name: 'x' } },
    });
    expectRetryAfter(third, 3600);

    for (let i = 0; i < 2; i++) expect((await login(strict.baseUrl, first.user.username)).status).toBe(200);
    expectRetryAfter(await login(strict.baseUrl, first.user.username), 60);
  });
});
