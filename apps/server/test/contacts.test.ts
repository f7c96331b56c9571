import { call, expectError, register, uniqueName } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

const t = withServer();

const list = async (token: string, q?: string) =>
  (await call(t.url, 'GET', `/contacts${q ? `?q=${encodeURIComponent(q)}` : ''}`, { token })).body.items.map(
    (c: { username: string }) => c.username,
  );

describe('contacts', () => {
  it('adds by id and by username, idempotently, with what the UI needs', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url, uniqueName('bob'), 'Боб Builder');
    const carol = await register(t.url);

    const byId = await call(t.url, 'POST', '/contacts', { token: alice.accessToken, body: { userId: bob.user.id } });
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ userId: bob.user.id, username: bob.user.username, displayName: 'Боб Builder' });

    const again = await call(t.url, 'POST', '/contacts', { token: alice.accessToken, body: { userId: bob.user.id } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(byId.body);

    const byName = await call(t.url, 'POST', '/contacts', {
      token: alice.accessToken,
      body: { username: carol.user.username.toUpperCase() },
    });
    expect(byName.status).toBe(200);
    expect(byName.body.userId).toBe(carol.user.id);

    expect((await list(alice.accessToken)).sort()).toEqual([bob.user.username, carol.user.username].sort());
    expect(await list(alice.accessToken, 'боб')).toEqual([bob.user.username]);
  });

  it('refuses adding yourself or an unknown user with a clear 4xx', async () => {
    const alice = await register(t.url);
    expectError(
      await call(t.url, 'POST', '/contacts', { token: alice.accessToken, body: { userId: alice.user.id } }),
      400,
      'CANNOT_ADD_SELF',
    );
    expectError(
      await call(t.url, 'POST', '/contacts', {
        token: alice.accessToken,
        body: { userId: '00000000-0000-4000-8000-000000000000' },
      }),
      404,
      'USER_NOT_FOUND',
    );
    expectError(
      await call(t.url, 'POST', '/contacts', { token: alice.accessToken, body: { username: 'no_such_user_x' } }),
      404,
      'USER_NOT_FOUND',
    );
    expectError(
      await call(t.url, 'POST', '/contacts', {
        token: alice.accessToken,
        body: { userId: alice.user.id, username: 'x' },
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('removes idempotently', async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    await call(t.url, 'POST', '/contacts', { token: alice.accessToken, body: { userId: bob.user.id } });
    expect((await call(t.url, 'DELETE', `/contacts/${bob.user.id}`, { token: alice.accessToken })).status).toBe(204);
    expect((await call(t.url, 'DELETE', `/contacts/${bob.user.id}`, { token: alice.accessToken })).status).toBe(204);
    expect(await list(alice.accessToken)).toEqual([]);
  });

  it("no user can read or change another user's address book", async () => {
    const alice = await register(t.url);
    const bob = await register(t.url);
    const mallory = await register(t.url);
    await call(t.url, 'POST', '/contacts', { token: alice.accessToken, body: { userId: bob.user.id } });

    // Mallory's view and actions only ever touch Mallory's own book.
    expect(await list(mallory.accessToken)).toEqual([]);
    expect((await call(t.url, 'DELETE', `/contacts/${bob.user.id}`, { token: mallory.accessToken })).status).toBe(204);
    expect(await list(alice.accessToken)).toEqual([bob.user.username]);
    // Bob being in Alice's book does not put Alice in Bob's.
    expect(await list(bob.accessToken)).toEqual([]);
    // There is no route that names another owner.
    expectError(
      await call(t.url, 'GET', `/contacts/${alice.user.id}`, { token: mallory.accessToken }),
      404,
      'NOT_FOUND',
    );
  });
});
