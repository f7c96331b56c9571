import { call, expectError, login, PASSWORD, register, uniqueName } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

const t = withServer();
const refresh = (refreshToken: string) => call(t.url, 'POST', '/auth/refresh', { body: { refreshToken } });

describe('register and login', () => {
  it('registers an account with its first device and signs in', async () => {
    const username = uniqueName('Mixed');
    const res = await call(t.url, 'POST', '/auth/register', {
      body: { username, password: PASSWORD, displayName: '  Анна Каренина  ', device: { name: 'Laptop' } },
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ username: username.toLowerCase(), displayName: 'Анна Каренина' });
    expect(res.body.refreshToken.length).toBeGreaterThanOrEqual(43); // 256 random bits
    expect(Date.parse(res.body.accessTokenExpiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);

    const me = await call(t.url, 'GET', '/users/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
  });

  it('each login registers a new device of the same user', async () => {
    const alice = await register(t.url);
    const second = await login(t.url, alice.user.username.toUpperCase());
    expect(second.status).toBe(200);
    expect(second.body.user.id).toBe(alice.user.id);
    expect(second.body.deviceId).not.toBe(alice.deviceId);

    const devices = await call(t.url, 'GET', '/devices', { token: second.body.accessToken });
    expect(devices.status).toBe(200);
    expect(devices.body.items.map((d: { id: string }) => d.id).sort()).toEqual(
      [alice.deviceId, second.body.deviceId].sort(),
    );
    expect(devices.body.items.find((d: { current: boolean }) => d.current).id).toBe(second.body.deviceId);
  });

  it('refuses a username taken in any letter case with 409', async () => {
    const name = uniqueName('taken');
    await register(t.url, name);
    const again = await call(t.url, 'POST', '/auth/register', {
      body: { username: name.toUpperCase(), password: PASSWORD, displayName: 'Other', device: { name: 'x' } },
    });
    expectError(again, 409, 'USERNAME_TAKEN');
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const alice = await register(t.url);
    const wrongPassword = await login(t.url, alice.user.username, 'not the password');
    const unknownUser = await login(t.url, uniqueName('nobody'), 'not the password');
    expectError(wrongPassword, 401, 'INVALID_CREDENTIALS');
    expect(unknownUser.status).toBe(wrongPassword.status);
    expect(unknownUser.body).toEqual(wrongPassword.body);
  });

  it('stores passwords only as argon2id hashes', async () => {
    const alice = await register(t.url);
    const [row] = await t.db.query('SELECT password_hash FROM users WHERE id = $1', [alice.user.id]);
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
  });
});

describe('refresh tokens', () => {
  it('rotates: the new pair works and the old refresh token stops working', async () => {
    const alice = await register(t.url);
    const first = await refresh(alice.refreshToken);
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(alice.refreshToken);
    expect((await call(t.url, 'GET', '/users/me', { token: first.body.accessToken })).status).toBe(200);

    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
  });

  it('revokes the device when a rotated token is presented again (reuse detection)', async () => {
    const alice = await register(t.url);
    const other = await login(t.url, alice.user.username);
    const first = await refresh(alice.refreshToken);
    // Its successor was used: the answer arrived, so the old token is a copy, even within the grace period.
    const rotated = await refresh(first.body.refreshToken);
    expect(rotated.status).toBe(200);

    const reuse = await refresh(alice.refreshToken);
    expectError(reuse, 401, 'SESSION_REVOKED');
    // Ended by the server, not the user: the device keeps its encrypted store for the next sign-in.
    expect(reuse.body.error.details).toEqual({ by: 'server' });
    // The whole device session is gone: its newest refresh token and its access tokens too.
    const newest = await refresh(rotated.body.refreshToken);
    expectError(newest, 401, 'SESSION_REVOKED');
    expect(newest.body.error.details).toEqual({ by: 'server' });
    const after = await call(t.url, 'GET', '/users/me', { token: rotated.body.accessToken });
    expectError(after, 401, 'SESSION_REVOKED');
    expect(after.body.error.details).toEqual({ by: 'server' });
    // Other devices of the account are untouched.
    expect((await call(t.url, 'GET', '/users/me', { token: other.body.accessToken })).status).toBe(200);
  });

  it('accepts the previous token once more shortly after a rotation whose answer was lost', async () => {
    const alice = await register(t.url);
    const lost = await refresh(alice.refreshToken);
    expect(lost.status).toBe(200);
    // The client never got `lost`, and retries with the token it kept.
    const retry = await refresh(alice.refreshToken);
    expect(retry.status).toBe(200);
    expect((await call(t.url, 'GET', '/users/me', { token: retry.body.accessToken })).status).toBe(200);
    // The successor it never received is dropped.
    expectError(await refresh(lost.body.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
    // Only once: a third presentation is reuse.
    expectError(await refresh(alice.refreshToken), 401, 'SESSION_REVOKED');
    expectError(await call(t.url, 'GET', '/users/me', { token: retry.body.accessToken }), 401, 'SESSION_REVOKED');
  });

  it('treats the previous token as reuse once the grace period is over', async () => {
    const alice = await register(t.url);
    const rotated = await refresh(alice.refreshToken);
    expect(rotated.status).toBe(200);
    await t.db.query(
      "UPDATE refresh_tokens SET rotated_at = now() - interval '61 seconds' WHERE device_id = $1 AND rotated_at IS NOT NULL",
      [alice.deviceId],
    );
    expectError(await refresh(alice.refreshToken), 401, 'SESSION_REVOKED');
    expectError(await call(t.url, 'GET', '/users/me', { token: rotated.body.accessToken }), 401, 'SESSION_REVOKED');
  });

  it('accepts only the immediately previous token, not an older one', async () => {
    const alice = await register(t.url);
    const first = await refresh(alice.refreshToken);
    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
    expectError(await refresh(alice.refreshToken), 401, 'SESSION_REVOKED');
  });

  it('stores refresh tokens only as hashes', async () => {
    const alice = await register(t.url);
    const rows = await t.db.query("SELECT encode(token_hash, 'hex') AS hash FROM refresh_tokens");
    const dump = JSON.stringify(rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(dump).not.toContain(alice.refreshToken);
    expect(dump).not.toContain(Buffer.from(alice.refreshToken).toString('hex'));
  });

  it('rejects an unknown refresh token', async () => {
    expectError(await refresh('x'.repeat(43)), 401, 'INVALID_REFRESH_TOKEN');
  });
});

describe('logout and devices', () => {
  it('logout revokes the calling device at once', async () => {
    const alice = await register(t.url);
    const other = await login(t.url, alice.user.username);
    const out = await call(t.url, 'POST', '/auth/logout', { token: alice.accessToken });
    expect(out.status).toBe(204);
    expectError(await call(t.url, 'GET', '/users/me', { token: alice.accessToken }), 401, 'SESSION_REVOKED');
    // Its tokens are gone, yet the device is told who ended its session (and so to erase its data).
    const again = await refresh(alice.refreshToken);
    expectError(again, 401, 'SESSION_REVOKED');
    expect(again.body.error.details).toEqual({ by: 'user' });
    const devices = await call(t.url, 'GET', '/devices', { token: other.body.accessToken });
    expect(devices.body.items.map((d: { id: string }) => d.id)).toEqual([other.body.deviceId]);
  });

  it('revokes another of my devices', async () => {
    const alice = await register(t.url);
    const laptop = await login(t.url, alice.user.username);
    const res = await call(t.url, 'DELETE', `/devices/${laptop.body.deviceId}`, { token: alice.accessToken });
    expect(res.status).toBe(204);
    expectError(await call(t.url, 'GET', '/users/me', { token: laptop.body.accessToken }), 401, 'SESSION_REVOKED');
    expect((await call(t.url, 'GET', '/users/me', { token: alice.accessToken })).status).toBe(200);
    const back = await refresh(laptop.body.refreshToken);
    expectError(back, 401, 'SESSION_REVOKED');
    expect(back.body.error.details).toEqual({ by: 'user' });
    // Only the token it held says so: anything else is simply not valid.
    expectError(await refresh(`${laptop.body.refreshToken}x`), 401, 'INVALID_REFRESH_TOKEN');
  });

  it("cannot see or revoke another user's devices", async () => {
    const alice = await register(t.url);
    const mallory = await register(t.url);
    const attempt = await call(t.url, 'DELETE', `/devices/${alice.deviceId}`, { token: mallory.accessToken });
    expectError(attempt, 404, 'DEVICE_NOT_FOUND');
    expect((await call(t.url, 'GET', '/users/me', { token: alice.accessToken })).status).toBe(200);
    const list = await call(t.url, 'GET', '/devices', { token: mallory.accessToken });
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([mallory.deviceId]);
  });

  it('refuses requests without a valid token', async () => {
    expectError(await call(t.url, 'GET', '/users/me'), 401, 'UNAUTHENTICATED');
    expectError(await call(t.url, 'GET', '/users/me', { token: 'not-a-jwt' }), 401, 'UNAUTHENTICATED');
    const alice = await register(t.url);
    const [header, payload] = alice.accessToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    expectError(await call(t.url, 'GET', '/users/me', { token: forged }), 401, 'UNAUTHENTICATED');
  });
});

describe('validation', () => {
  const valid = () => ({
    username: uniqueName('valid'),
    password: PASSWORD,
    displayName: 'Valid',
    device: { name: 'x' },
  });
  const cases: [string, (b: ReturnType<typeof valid>) => unknown, string][] = [
    ['username too short', (b) => ({ ...b, username: 'ab' }), 'username'],
    ['username too long', (b) => ({ ...b, username: 'a'.repeat(33) }), 'username'],
    ['username with a space', (b) => ({ ...b, username: 'bad name' }), 'username'],
    ['username with a dash', (b) => ({ ...b, username: 'bad-name' }), 'username'],
    ['username in Cyrillic', (b) => ({ ...b, username: 'иван' }), 'username'],
    ['password too short', (b) => ({ ...b, password: '1234567' }), 'password'],
    ['password too long', (b) => ({ ...b, password: 'p'.repeat(257) }), 'password'],
    ['display name only spaces', (b) => ({ ...b, displayName: '    ' }), 'displayName'],
    ['display name too long', (b) => ({ ...b, displayName: 'Я'.repeat(65) }), 'displayName'],
    ['display name with a control character', (b) => ({ ...b, displayName: 'bad\u0007name' }), 'displayName'],
    ['device name missing', (b) => ({ ...b, device: {} }), 'device.name'],
    ['device missing', ({ device: _, ...b }) => b, 'device'],
    ['extra field', (b) => ({ ...b, admin: true }), ''],
    ['username of the wrong type', (b) => ({ ...b, username: 42 }), 'username'],
  ];

  it.each(cases)('rejects %s with 400 VALIDATION_FAILED naming the field', async (_, mutate, path) => {
    const res = await call(t.url, 'POST', '/auth/register', { body: mutate(valid()) });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('accepts the edges of every rule', async () => {
    const edges = [
      { ...valid(), username: 'a.b' },
      { ...valid(), username: `z${uniqueName('e')}_`.slice(0, 32).padEnd(32, '9') },
      { ...valid(), password: 'p'.repeat(8), displayName: 'Я' },
      { ...valid(), password: 'p'.repeat(256), displayName: '😀'.repeat(64) },
    ];
    for (const body of edges) {
      const res = await call(t.url, 'POST', '/auth/register', { body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });
});
