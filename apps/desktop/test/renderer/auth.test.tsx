// @vitest-environment happy-dom
import './support/install.js';
import { screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { renderApp, resetApp } from './support/app.js';
import { clientError, fake, SESSION } from './support/fake-bridge.js';

beforeEach(resetApp);

describe('starting the app', () => {
  it('shows a calm loading state while the session is restored, then the sign-in form when there is none', async () => {
    let finish: (value: null) => void = () => {};
    fake.override('restoreSession', () => new Promise((resolve) => (finish = resolve)));
    renderApp();
    expect(screen.getByRole('status')).toHaveProperty('textContent', 'Opening Parley…');
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
    finish(null);
    expect(await screen.findByRole('heading', { name: 'Sign in to Parley' })).toBeTruthy();
  });

  it('goes straight to the chats when the keychain has a session: no password asked', async () => {
    fake.storedSession = SESSION;
    renderApp();
    expect(await screen.findByRole('searchbox', { name: 'Search people and chats' })).toBeTruthy();
    expect(screen.queryByLabelText('Password')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
    expect(fake.callsOf('login')).toHaveLength(0);
  });

  it('explains a missing keychain on a full screen, with no way to go on without encryption', async () => {
    fake.override('restoreSession', () => Promise.reject(clientError('KEYCHAIN_UNAVAILABLE')));
    renderApp();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Parley cannot reach the system keychain');
    expect(screen.queryByLabelText('Password')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('signing in and creating an account', () => {
  it('checks fields with the shared rules as they are left, and sends nothing invalid', async () => {
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'New here? Create an account' }));
    const username = screen.getByLabelText('Username');
    await user.type(username, 'ab');
    await user.tab();
    expect(username.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('At least 3 characters')).toBeTruthy();

    await user.clear(username);
    await user.type(username, 'bad name!');
    await user.tab();
    expect(screen.getByText('Only letters a–z, digits, “_” and “.”')).toBeTruthy();

    await user.clear(username);
    await user.type(username, 'alice');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByText('At least 8 characters')).toBeTruthy();
    // The display name was never touched: the submit attempt shows that it is required.
    expect(screen.getByText('This field is required')).toBeTruthy();
    expect(fake.callsOf('register')).toHaveLength(0);
    expect(username.getAttribute('aria-invalid')).toBeNull();
  });

  it('says a wrong password in words', async () => {
    fake.override('login', () => Promise.reject(clientError('INVALID_CREDENTIALS')));
    const { user } = renderApp();
    await user.type(await screen.findByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
    expect(fake.callsOf('login')[0]?.[0]).toMatchObject({
      username: 'alice',
      deviceName: expect.stringMatching(/^Parley on /),
    });
  });

  it('counts down a rate limit and keeps the button off meanwhile', async () => {
    fake.override('login', () => Promise.reject(clientError('RATE_LIMITED', { retryAfterSeconds: 30 })));
    const { user } = renderApp();
    await user.type(await screen.findByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Too many attempts. Try again in 30 seconds.');
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveProperty('disabled', true);
  });

  it('puts a taken username on the username field, and says a network failure', async () => {
    fake.override('register', () => Promise.reject(clientError('USERNAME_TAKEN')));
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'New here? Create an account' }));
    await user.type(screen.getByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.type(screen.getByLabelText('Display name'), 'Alice');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const username = screen.getByLabelText('Username');
    await waitFor(() => expect(username.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('That username is taken. Try another one.')).toBeTruthy();

    fake.override('register', () => Promise.reject(clientError('NETWORK')));
    await user.type(username, '2');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Cannot reach the Parley server. Check your connection and try again.',
    );
  });

  it('signs in and opens the chats', async () => {
    const { user } = renderApp();
    await user.type(await screen.findByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('searchbox', { name: 'Search people and chats' })).toBeTruthy();
  });
});

describe("the server's registration mode", () => {
  it('asks for an invite code on an invite-only server, and puts a refused code on that field', async () => {
    fake.override('registrationMode', () => Promise.resolve('invite'));
    fake.override('register', () => Promise.reject(clientError('INVALID_INVITE')));
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'New here? Create an account' }));
    const code = await screen.findByLabelText('Invite code');
    await user.type(screen.getByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.type(screen.getByLabelText('Display name'), 'Alice');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    // Required here: nothing is sent without it.
    expect(code.getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsOf('register')).toHaveLength(0);

    await user.type(code, 'ABCDE FGHIJ KLMNO PQRST');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(code.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('This invite code is not valid: it may be mistyped, used up or expired.')).toBeTruthy();
    expect(fake.callsOf('register')[0]?.[0]).toMatchObject({ inviteCode: 'ABCDE FGHIJ KLMNO PQRST' });
  });

  it('an open server shows no invite field and sends no code', async () => {
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'New here? Create an account' }));
    await user.type(screen.getByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.type(screen.getByLabelText('Display name'), 'Alice');
    expect(screen.queryByLabelText('Invite code')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByRole('searchbox', { name: 'Search people and chats' })).toBeTruthy();
    expect(fake.callsOf('register')[0]?.[0]).not.toHaveProperty('inviteCode');
  });

  it('explains a closed server instead of showing the form, and still offers to sign in', async () => {
    fake.override('registrationMode', () => Promise.resolve('closed'));
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'New here? Create an account' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'This server does not take new accounts. Ask its admin to create one for you, then sign in.',
    );
    expect(screen.queryByLabelText('Password')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Create account' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Have an account? Sign in' }));
    expect(await screen.findByLabelText('Password')).toBeTruthy();
  });
});
