import { admin } from '@parley/test-support/admin';
import { openCore, type TestCore } from '@parley/test-support/cores';
import { PASSWORD, uniqueName } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterEach, describe, expect, it } from 'vitest';

const t = withServer({ REGISTRATION: 'invite' });
const opened: TestCore[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
});

async function core(): Promise<TestCore> {
  const c = await openCore(t.url);
  opened.push(c);
  return c;
}

const account = () => ({
  username: uniqueName('core'),
  password: PASSWORD,
  displayName: 'Core',
  deviceName: 'Test desktop',
});

describe('the core on an invite-only server', () => {
  it('reports the mode, refuses a sign-up without a valid code, and signs up with one', {
    timeout: 60_000,
  }, async () => {
    const c = await core();
    expect(await c.core.registrationMode()).toBe('invite');
    await expect(c.core.register(account())).rejects.toMatchObject({ code: 'INVALID_INVITE' });
    await expect(c.core.register({ ...account(), inviteCode: 'aaaaa-bbbbb-ccccc-ddddd' })).rejects.toMatchObject({
      code: 'INVALID_INVITE',
    });
    const { code } = await admin<{ code: string }>({ DATABASE_URL: t.db.url }, ['create-invite']);
    const session = await c.core.register({ ...account(), inviteCode: code });
    expect(session.user.username).toMatch(/^core_/);
    await eventually(async () => (await c.core.connectionState()) === 'online', 10_000, 'online');
  });

  it('a disabled account cannot sign in: ACCOUNT_DISABLED reaches the app', { timeout: 60_000 }, async () => {
    const username = uniqueName('off');
    await admin({ DATABASE_URL: t.db.url }, ['create-user', username, '--password-stdin'], `${PASSWORD}\n`);
    await admin({ DATABASE_URL: t.db.url }, ['disable', username]);
    const c = await core();
    await expect(c.core.login({ username, password: PASSWORD, deviceName: 'Test desktop' })).rejects.toMatchObject({
      code: 'ACCOUNT_DISABLED',
    });
  });
});
