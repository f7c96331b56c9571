import { admin } from '@parley/test-support/admin';
import { call, expectError, PASSWORD, uniqueName } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

const invite = withServer({ REGISTRATION: 'invite' });
const closed = withServer({ REGISTRATION: 'closed' });

const signUp = (url: string, inviteCode?: string, username = uniqueName('inv')) =>
  call(url, 'POST', '/auth/register', {
    body: {
      username,
      password: PASSWORD,
      displayName: username,
      device: { name: 'Test device' },
      ...(inviteCode === undefined ? {} : { inviteCode }),
    },
  });

const createInvite = (args: string[] = []) =>
  admin<{ code: string; id: string }>({ DATABASE_URL: invite.db.url }, ['create-invite', ...args]);

// Invites come from parley-admin, a process of its own per command: seconds on a busy machine.
describe('REGISTRATION=invite', { timeout: 180_000 }, () => {
  it('tells clients an invite is needed', async () => {
    expect((await call(invite.url, 'GET', '/auth/registration')).body).toEqual({ mode: 'invite' });
  });

  it('refuses a sign-up without a code, with a made-up code, and with a malformed one', async () => {
    expectError(await signUp(invite.url), 403, 'INVALID_INVITE');
    expectError(await signUp(invite.url, 'aaaaa-bbbbb-ccccc-ddddd'), 403, 'INVALID_INVITE');
    expectError(await signUp(invite.url, 'not a code!'), 400, 'VALIDATION_FAILED');
  });

  it('a single-use code signs up one account; used again it is refused', async () => {
    const { code } = await createInvite();
    const first = await signUp(invite.url, code);
    expect(first.status).toBe(201);
    expectError(await signUp(invite.url, code), 403, 'INVALID_INVITE');
    // Typed as read out: spaces and capitals, no hyphens.
    expectError(await signUp(invite.url, code.replaceAll('-', ' ').toUpperCase()), 403, 'INVALID_INVITE');
  });

  it('a code is accepted as typed: upper case, spaces instead of hyphens', async () => {
    const { code } = await createInvite();
    expect((await signUp(invite.url, code.replaceAll('-', ' ').toUpperCase())).status).toBe(201);
  });

  it('an N-use code signs up N accounts, then no more', async () => {
    const { code } = await createInvite(['--uses', '3']);
    for (let i = 0; i < 3; i++) expect((await signUp(invite.url, code)).status).toBe(201);
    expectError(await signUp(invite.url, code), 403, 'INVALID_INVITE');
  });

  it('an expired code is refused', async () => {
    const { code, id } = await createInvite(['--expires', '1h']);
    await invite.db.query("UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = $1", [id]);
    expectError(await signUp(invite.url, code), 403, 'INVALID_INVITE');
  });

  it('a failed sign-up (username taken) does not use the code up', async () => {
    const { code } = await createInvite();
    const taken = uniqueName('taken');
    const other = await createInvite();
    expect((await signUp(invite.url, other.code, taken)).status).toBe(201);
    expectError(await signUp(invite.url, code, taken), 409, 'USERNAME_TAKEN');
    expect((await signUp(invite.url, code)).status).toBe(201);
  });

  it('two sign-ups racing for a single-use code: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const { code } = await createInvite();
      const results = await Promise.all(Array.from({ length: 4 }, () => signUp(invite.url, code)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 403, 403, 403]);
    }
  });

  it('stores only the hash of a code', async () => {
    const { code } = await createInvite();
    const rows = await invite.db.query<{ code_hash: Buffer }>('SELECT code_hash FROM invites');
    const plain = code.replaceAll('-', '');
    for (const row of rows) expect(row.code_hash.toString('latin1')).not.toContain(plain);
    expect(JSON.stringify(rows)).not.toContain(plain);
  });
});

describe('REGISTRATION=closed', { timeout: 180_000 }, () => {
  it('tells clients, and refuses every sign-up, with or without a code', async () => {
    expect((await call(closed.url, 'GET', '/auth/registration')).body).toEqual({ mode: 'closed' });
    expectError(await signUp(closed.url), 403, 'REGISTRATION_CLOSED');
    const { code } = await admin<{ code: string }>({ DATABASE_URL: closed.db.url }, ['create-invite']);
    expectError(await signUp(closed.url, code), 403, 'REGISTRATION_CLOSED');
  });

  it('the admin still creates accounts, which sign in', async () => {
    const username = uniqueName('made');
    await admin({ DATABASE_URL: closed.db.url }, ['create-user', username, '--password-stdin'], `${PASSWORD}\n`);
    const res = await call(closed.url, 'POST', '/auth/login', {
      body: { username, password: PASSWORD, device: { name: 'Test device' } },
    });
    expect(res.status).toBe(200);
  });
});
