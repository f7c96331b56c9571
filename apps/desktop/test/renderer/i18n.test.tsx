// @vitest-environment happy-dom
import './support/install.js';
import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemLanguage } from '../../src/renderer/i18n/i18n.js';
import { renderSignedIn, resetApp } from './support/app.js';
import { BOB, CAROL, DAVE, fake } from './support/fake-bridge.js';

beforeEach(() => {
  resetApp();
  for (const [peer, unread] of [
    [BOB, 1],
    [CAROL, 3],
    [DAVE, 5],
  ] as const) {
    fake.addContactData(peer);
    for (let i = 0; i < unread; i++) fake.seed(peer, `Message ${i}`, 'in', 10 - i, { readAt: null });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('languages', () => {
  it('switches the whole UI to Russian from the settings, plurals included, and remembers it', async () => {
    const { user } = await renderSignedIn();
    expect(screen.getByText('1 unread message')).toBeTruthy();
    expect(screen.getByText('3 unread messages')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const settings = screen.getByRole('dialog', { name: 'Settings' });
    await user.selectOptions(within(settings).getByRole('combobox', { name: 'Language' }), 'ru');
    expect(screen.getByRole('dialog', { name: 'Настройки' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Закрыть настройки' }));

    expect(screen.getByRole('searchbox', { name: 'Поиск людей и чатов' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Поиск по сообщениям' })).toBeTruthy();
    // Russian has three forms: one, few, many.
    expect(screen.getByText('1 непрочитанное сообщение')).toBeTruthy();
    expect(screen.getByText('3 непрочитанных сообщения')).toBeTruthy();
    expect(screen.getByText('5 непрочитанных сообщений')).toBeTruthy();
    expect(screen.queryByText(/unread/)).toBeNull();
    expect(document.documentElement.lang).toBe('ru');
    expect(JSON.parse(localStorage.getItem('parley.settings') ?? '{}')).toMatchObject({ language: 'ru' });
  });

  it('formats times and days with the chosen language', async () => {
    fake.seed(BOB, 'Just now', 'in', 0); // today even just after midnight, when the others are yesterday's
    const { user } = await renderSignedIn();
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Language' }), 'ru');
    await user.click(screen.getByRole('button', { name: 'Закрыть настройки' }));
    await user.click(
      within(screen.getByRole('navigation')).getAllByRole('button', { name: /^Bob Builder/ })[0] as HTMLElement,
    );
    const log = await screen.findByRole('log', { name: 'Сообщения' });
    expect(within(log).getByText('Сегодня')).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Сообщение' })).toBeTruthy();
  });

  it('starts in the language of the system when it is one we have', () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['ru-RU', 'en-US']);
    expect(systemLanguage()).toBe('ru');
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['de-DE', 'en-GB']);
    expect(systemLanguage()).toBe('en');
  });
});
