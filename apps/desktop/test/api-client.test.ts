import { ApiError, createApiClient } from '@parley/desktop';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

const t = withServer();

describe('core API client against a real server', () => {
  it('registers, finds and adds a contact through the typed routes', async () => {
    const api = createApiClient(t.server.baseUrl);
    const suffix = Date.now().toString(36);
    const alice = await api('register', {
      body: {
        username: `alice_${suffix}`,
        password: 'long password',
        displayName: 'Alice',
        device: { name: 'Desktop' },
      },
    });
    const bob = await api('register', {
      body: { username: `bob_${suffix}`, password: 'long password', displayName: 'Боб', device: { name: 'Desktop' } },
    });
    const found = await api('searchUsers', { query: { q: `bob_${suffix}` }, accessToken: alice.accessToken });
    expect(found.items.map((u) => u.id)).toEqual([bob.user.id]);

    await api('addContact', { body: { userId: bob.user.id }, accessToken: alice.accessToken });
    const contacts = await api('listContacts', { query: {}, accessToken: alice.accessToken });
    expect(contacts.items).toMatchObject([{ userId: bob.user.id, displayName: 'Боб' }]);

    await api('removeContact', { params: { userId: bob.user.id }, accessToken: alice.accessToken });
    expect((await api('listContacts', { query: {}, accessToken: alice.accessToken })).items).toEqual([]);
  });

  it('surfaces server errors with their stable code', async () => {
    const api = createApiClient(t.server.baseUrl);
    const error = await api('login', {
      body: { username: 'nobody_here', password: 'whatever1', device: { name: 'x' } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
  });

  it('reports an unreachable server as a network error', async () => {
    const api = createApiClient('http://127.0.0.1:1');
    await expect(api('me', { accessToken: 'x' })).rejects.toMatchObject({ code: 'NETWORK', status: 0 });
  });
});
