// @vitest-environment happy-dom
import './support/install.js';
import { LIMITS } from '@parley/shared';
import { act, screen, waitFor, within } from '@testing-library/react';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEmoji } from '../../src/renderer/emoji/emoji-data.js';
import { useSettings } from '../../src/renderer/stores/settings.js';
import { parseFormatting, plainText } from '../../src/renderer/text/formatting.js';
import { emit, openChat, renderSignedIn, resetApp } from './support/app.js';
import { BOB, CAROL, fake } from './support/fake-bridge.js';

// The emoji data is a lazily loaded chunk: loaded once here, not inside each test's timeouts.
beforeAll(() => loadEmoji(), 60_000);

beforeEach(() => {
  resetApp();
  useSettings.getState().update({ recentEmoji: [], emojiTone: 0, linkPreviews: false, language: 'en' });
  fake.addContactData(BOB);
  fake.addContactData(CAROL);
});

const composer = () => screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
const history = () => screen.getByRole('log', { name: 'Messages' });
const picker = () => screen.getByRole('dialog', { name: 'Emoji' });

describe('the emoji picker', () => {
  it('finds emoji by English and Russian names, folding ё, and puts the pick at the caret', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), 'Hi there');
    composer().setSelectionRange(2, 2);
    await user.click(screen.getByRole('button', { name: 'Insert emoji' }));
    const search = within(picker()).getByRole('searchbox', { name: 'Search emoji' });
    expect(document.activeElement).toBe(search);

    await user.type(search, 'grinning face');
    await within(picker()).findByRole('button', { name: 'grinning face' });
    await user.clear(search);
    await user.type(search, 'ЕЛКА'); // "ёлка": the Christmas tree, by its Russian name, typed without ё
    const tree = await within(picker()).findByRole('button', { name: 'Christmas tree' });
    expect(tree.textContent).toBe('🎄');
    await user.click(tree);
    expect(composer().value).toBe('Hi🎄 there');

    await user.clear(search);
    await user.type(search, 'nothing like this at all');
    await within(picker()).findByText('No emoji found');
  });

  it('works by keyboard alone: arrows through the grid, Enter picks, Escape closes back to the message', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    composer().focus();
    await user.keyboard('{Tab}');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Insert emoji');
    await user.keyboard('{Enter}');
    const grid = await within(picker()).findByRole('group', { name: 'Smileys and emotion' });
    await waitFor(() => expect(within(grid).getAllByRole('button').length).toBeGreaterThan(50));
    await user.keyboard('{ArrowDown}'); // from the search field into the grid
    const buttons = within(grid).getAllByRole('button');
    expect(document.activeElement).toBe(buttons[0]);
    await user.keyboard('{ArrowRight}{ArrowDown}');
    expect(document.activeElement).toBe(buttons[9]); // eight to a row
    await user.keyboard('{ArrowUp}');
    expect(document.activeElement).toBe(buttons[1]);
    await user.keyboard('{Enter}');
    expect(composer().value).toBe(buttons[1]?.textContent);

    // Categories are tabs, moved through with the arrows.
    const tabs = within(picker()).getByRole('tablist', { name: 'Emoji categories' });
    within(tabs).getByRole('tab', { name: 'Recent' }).focus();
    await user.keyboard('{ArrowRight}{ArrowRight}');
    expect(within(tabs).getByRole('tab', { name: 'People and body' }).getAttribute('aria-selected')).toBe('true');
    expect(within(picker()).getByRole('group', { name: 'People and body' })).toBeTruthy();

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog', { name: 'Emoji' })).toBeNull();
    expect(document.activeElement).toBe(composer());
  });

  it('keeps recent emoji first and applies the chosen skin tone, both remembered', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.click(screen.getByRole('button', { name: 'Insert emoji' }));
    await user.selectOptions(within(picker()).getByRole('combobox', { name: 'Skin tone' }), '4');
    await user.type(within(picker()).getByRole('searchbox', { name: 'Search emoji' }), 'машет');
    const wave = await within(picker()).findByRole('button', { name: 'waving hand' });
    expect(wave.textContent).toBe('👋🏾');
    await user.click(wave);
    await user.keyboard('{Escape}');
    expect(composer().value).toBe('👋🏾');
    expect(useSettings.getState()).toMatchObject({ emojiTone: 4, recentEmoji: ['👋🏾'] });

    // Opened again: Recent is the first tab, with the pick in it.
    await user.click(screen.getByRole('button', { name: 'Insert emoji' }));
    const recent = within(picker()).getByRole('tab', { name: 'Recent' });
    expect(recent.getAttribute('aria-selected')).toBe('true');
    expect(within(picker()).getByRole('group', { name: 'Recent' }).textContent).toBe('👋🏾');
  });

  it('speaks Russian in a Russian window', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    act(() => useSettings.getState().update({ language: 'ru' }));
    await user.click(screen.getByRole('button', { name: 'Вставить эмодзи' }));
    const dialog = screen.getByRole('dialog', { name: 'Эмодзи' });
    // Its Russian name is written "новогодняя елка": found when typed with ё.
    await user.type(within(dialog).getByRole('searchbox', { name: 'Поиск эмодзи' }), 'новогодняя ёлка');
    expect((await within(dialog).findByRole('button', { name: 'новогодняя елка' })).textContent).toBe('🎄');
    expect(within(dialog).getByRole('combobox', { name: 'Оттенок кожи' })).toBeTruthy();
  });
});

describe('formatting', () => {
  it('parses bold, italic, strike, spoiler, monospace and links, leaving underscores in links alone', () => {
    expect(parseFormatting('**a __b__** `c **d**` ||e|| https://x.org/a__b__c.')).toEqual([
      {
        type: 'bold',
        children: [
          { type: 'text', text: 'a ' },
          { type: 'italic', children: [{ type: 'text', text: 'b' }] },
        ],
      },
      { type: 'text', text: ' ' },
      { type: 'code', text: 'c **d**' },
      { type: 'text', text: ' ' },
      { type: 'spoiler', children: [{ type: 'text', text: 'e' }] },
      { type: 'text', text: ' ' },
      { type: 'link', url: 'https://x.org/a__b__c', text: 'https://x.org/a__b__c' },
      { type: 'text', text: '.' },
    ]);
    // Not formatting: markers around spaces, or without a partner.
    expect(parseFormatting('2 ** 3 ** 4 and __init')).toEqual([{ type: 'text', text: '2 ** 3 ** 4 and __init' }]);
    expect(plainText('**Bold** ||hidden|| (see www.example.org)')).toBe('Bold ▒▒▒ (see www.example.org)');
  });

  it('shows formatting as elements, never HTML; a spoiler opens by keyboard; links open outside', async () => {
    fake.seed(BOB, '**Big** <b>no</b> ||plot twist|| javascript:alert(1) https://example.org/x 1️⃣', 'in', 0);
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    expect(within(history()).getByText('Big').tagName).toBe('STRONG');
    expect(history().querySelector('b')).toBeNull();
    const links = within(history()).getAllByRole('link');
    expect(links.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')])).toEqual([
      ['https://example.org/x', '_blank', 'noopener noreferrer'],
    ]);
    // A keycap starts with a plain digit: it is marked as emoji, to be drawn by the emoji font.
    expect(history().querySelector('.bubble-text .emoji')?.textContent).toBe('1️⃣');
    const spoiler = within(history()).getByRole('button', { name: 'Spoiler: show' });
    spoiler.focus();
    await user.keyboard('{Enter}');
    expect(within(history()).getByText('plot twist')).toBeTruthy();
    expect(within(history()).queryByRole('button', { name: 'Spoiler: show' })).toBeNull();
  });
});

describe('long texts and drafts', () => {
  it('refuses a text over 64 KB with a message and keeps it; under it, sends it whole', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const huge = 'ж'.repeat(LIMITS.messageTextBytes / 2 + 1); // two bytes each
    await user.click(composer());
    await user.paste(huge);
    expect(composer().value).toBe(huge);
    expect(screen.getByText('65 KB: over the 64 KB limit')).toBeTruthy();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('alert').textContent).toContain('This message is too long (65 KB, at most 64 KB)');
    expect(fake.callsOf('sendText')).toHaveLength(0);
    expect(composer().value).toBe(huge);

    await user.keyboard('{Backspace}');
    await user.keyboard('{Enter}');
    expect(fake.callsOf('sendText')).toEqual([[BOB.id, huge.slice(0, -1)]]);
  });

  it('loads the saved drafts, and saves a changed one to the core', async () => {
    fake.savedDrafts = { [BOB.id]: 'Saved before the restart' };
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await waitFor(() => expect(composer().value).toBe('Saved before the restart'));
    await user.type(composer(), '!');
    await waitFor(() => expect(fake.savedDrafts[BOB.id]).toBe('Saved before the restart!'));
    await user.keyboard('{Enter}');
    await waitFor(() => expect(fake.savedDrafts[BOB.id]).toBeUndefined());
  });

  it('shows that the rest of a long text is on its way, then the whole text', async () => {
    const message = fake.seed(BOB, 'The beginning…', 'in', 0);
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    act(() =>
      emit('messagesChanged', {
        peerUserId: BOB.id,
        changed: [{ ...message, textIncomplete: 'loading' }],
        removed: [],
      }),
    );
    await within(history()).findByText('Loading the rest of this message…');
    act(() =>
      emit('messagesChanged', {
        peerUserId: BOB.id,
        changed: [{ ...message, text: 'The beginning… and the whole end.' }],
        removed: [],
      }),
    );
    await within(history()).findByText('The beginning… and the whole end.');
    expect(within(history()).queryByText('Loading the rest of this message…')).toBeNull();
  });
});

describe('search in a chat', () => {
  it('opens with Ctrl+F, searches only this chat, steps through the matches and closes with Escape', async () => {
    fake.seed(BOB, 'first match here', 'in', 30);
    fake.seed(BOB, 'second match here', 'in', 20);
    fake.seed(CAROL, 'a match elsewhere', 'in', 10);
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.keyboard('{Control>}f{/Control}');
    // (The test DOM does not know <search>'s role yet; Chromium does, see tests/e2e/writing.test.ts.)
    const field = screen.getByRole('searchbox', { name: 'Search in this chat' });
    const bar = field.closest('search') as HTMLElement;
    expect(document.activeElement).toBe(field);
    await user.type(field, 'match');
    await within(bar).findByText('1 of 2');
    expect(fake.callsOf('searchMessages')).toContainEqual(['match', 200, BOB.id]);
    await user.keyboard('{Enter}');
    await within(bar).findByText('2 of 2');
    await user.click(within(bar).getByRole('button', { name: 'Newer result' }));
    await within(bar).findByText('1 of 2');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('searchbox', { name: 'Search in this chat' })).toBeNull();
    expect(document.activeElement).toBe(composer());
  });
});
