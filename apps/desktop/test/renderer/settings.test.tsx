// @vitest-environment happy-dom
import './support/install.js';
import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderSignedIn, resetApp } from './support/app.js';
import { fake } from './support/fake-bridge.js';

/** A prefers-color-scheme the test can flip, as the OS would. */
function stubColorScheme() {
  const scheme = { dark: false, listeners: new Set<() => void>() };
  vi.spyOn(window, 'matchMedia').mockImplementation(
    (media: string) =>
      ({
        media,
        get matches() {
          return scheme.dark;
        },
        addEventListener: (_: string, listener: () => void) => scheme.listeners.add(listener),
        removeEventListener: (_: string, listener: () => void) => scheme.listeners.delete(listener),
      }) as unknown as MediaQueryList,
  );
  return {
    setDark(dark: boolean) {
      scheme.dark = dark;
      act(() => {
        for (const listener of scheme.listeners) listener();
      });
    },
  };
}

const now = new Date().toISOString();
beforeEach(() => {
  resetApp();
  fake.deviceList = [
    { id: 'device-1', name: 'Parley on Linux', createdAt: now, lastSeenAt: now, current: true },
    { id: 'device-2', name: 'Work laptop', createdAt: now, lastSeenAt: now, current: false },
  ];
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function openSettings() {
  const app = await renderSignedIn();
  await app.user.click(screen.getByRole('button', { name: 'Settings' }));
  return { ...app, dialog: screen.getByRole('dialog', { name: 'Settings' }) };
}

describe('settings', () => {
  it('follows the system theme live, until a theme is chosen', async () => {
    const scheme = stubColorScheme();
    const { user, dialog } = await openSettings();
    expect(document.documentElement.dataset.theme).toBe('light');
    scheme.setDark(true);
    expect(document.documentElement.dataset.theme).toBe('dark');

    await user.click(within(dialog).getByRole('radio', { name: 'Light' }));
    expect(document.documentElement.dataset.theme).toBe('light');
    scheme.setDark(false);
    scheme.setDark(true);
    expect(document.documentElement.dataset.theme).toBe('light');
    expect(JSON.parse(localStorage.getItem('parley.settings') ?? '{}')).toMatchObject({ theme: 'light' });
  });

  it('changes the display name, checked with the shared rule', async () => {
    const { user, dialog } = await openSettings();
    const field = within(dialog).getByRole('textbox', { name: 'Display name' });
    await user.clear(field);
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(within(dialog).getByText('This field is required')).toBeTruthy();
    expect(fake.callsOf('updateProfile')).toHaveLength(0);

    await user.type(field, '  Alice L.  ');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(fake.callsOf('updateProfile')).toEqual([[{ displayName: 'Alice L.' }]]);
    expect(await within(dialog).findByText('Saved')).toBeTruthy();
  });

  it('lists my devices with this one marked, and signs another out after confirming', async () => {
    const { user, dialog } = await openSettings();
    expect(await within(dialog).findByText('This device')).toBeTruthy();
    await user.click(within(dialog).getByRole('button', { name: 'Sign out Work laptop' }));
    const confirm = screen.getByRole('dialog', { name: 'Sign out “Work laptop”?' });
    await user.click(within(confirm).getByRole('button', { name: 'Sign out device' }));
    expect(fake.callsOf('revokeDevice')).toEqual([['device-2']]);
    await waitFor(() => expect(within(dialog).queryByText('Work laptop')).toBeNull());
    // Only the confirmation closed: the settings are still open.
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeTruthy();
  });

  it('signs out after confirming, back to the sign-in screen, with nothing of the account left', async () => {
    fake.seed(
      { id: '00000000-0000-4000-8000-000000000002', username: 'bob', displayName: 'Bob Builder' },
      'Hi',
      'in',
      1,
    );
    const { user, dialog } = await openSettings();
    await user.click(within(dialog).getByRole('button', { name: 'Sign out of Parley' }));
    const confirm = screen.getByRole('dialog', { name: 'Sign out of Parley?' });
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog', { name: 'Sign out of Parley?' })).toBeNull();
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeTruthy();
    expect(confirm.isConnected).toBe(false);

    await user.click(within(dialog).getByRole('button', { name: 'Sign out of Parley' }));
    await user.click(
      within(screen.getByRole('dialog', { name: 'Sign out of Parley?' })).getByRole('button', {
        name: 'Sign out',
      }),
    );
    expect(fake.callsOf('logout')).toHaveLength(1);
    expect(await screen.findByRole('heading', { name: 'Sign in to Parley' })).toBeTruthy();
    expect(screen.queryByText('Bob Builder')).toBeNull();
  });

  it('says so on the sign-in screen when this device was signed out from another', async () => {
    await renderSignedIn();
    act(() => fake.emit('signedOut', { reason: 'revoked' }));
    expect(await screen.findByText('This device was signed out from another of your devices.')).toBeTruthy();
  });

  it('says the history is kept when the server ended the session', async () => {
    await renderSignedIn();
    act(() => fake.emit('signedOut', { reason: 'ended' }));
    expect(
      await screen.findByText('Your session on this device has ended. Sign in again: your history here is kept.'),
    ).toBeTruthy();
  });
});
