import { UNTOUCHED } from '@parley/shared';
// @vitest-environment happy-dom
import './support/install.js';
import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { emit, openChat, renderSignedIn, resetApp } from './support/app.js';
import { BOB, CAROL, DAVE, fake, ME } from './support/fake-bridge.js';

beforeEach(() => {
  resetApp();
  fake.addContactData(BOB);
  fake.seed(BOB, 'Newest from Bob', 'in', 1);
  fake.seed(CAROL, 'Older from Carol', 'in', 60);
  fake.directory.push(DAVE, ME, {
    id: '00000000-0000-4000-8000-000000000005',
    username: 'dana',
    displayName: 'Dana Scully',
  });
});

const nav = () => screen.getByRole('navigation');
const search = () => screen.getByRole('searchbox', { name: 'Search people and chats' });

describe('the sidebar', () => {
  it('lists chats newest first, with preview, and contacts without a chat below', async () => {
    fake.addContactData(DAVE, null);
    await renderSignedIn();
    const all = within(nav()).getAllByRole('button');
    const position = (name: string) => all.indexOf(within(nav()).getByRole('button', { name: new RegExp(`^${name}`) }));
    expect(position('Bob Builder')).toBeLessThan(position('Carol Danvers'));
    expect(position('Carol Danvers')).toBeLessThan(position('Dave Grohl'));
    expect(within(nav()).getByRole('button', { name: /^Bob Builder/ }).textContent).toContain('Newest from Bob');
    expect(within(nav()).getByRole('heading', { name: 'Contacts' })).toBeTruthy();
  });

  it('puts a chat in its place from the message event alone, without fetching the list again', async () => {
    await renderSignedIn();
    const fetched = fake.callsOf('conversations').length;
    const incoming = (from: string, text: string) => ({
      id: crypto.randomUUID(),
      peerUserId: from,
      senderUserId: from,
      direction: 'in' as const,
      text,
      attachment: null,
      attachmentReady: false,
      call: null,
      ...UNTOUCHED,
      status: 'delivered' as const,
      sentAt: new Date().toISOString(),
      serverTimestamp: new Date().toISOString(),
      readAt: null,
    });
    const names = ['Bob Builder', 'Carol Danvers', 'Dave Grohl'];
    const chats = () => within(nav()).getAllByRole('button', { name: new RegExp(`^(${names.join('|')})`) });
    emit('message', incoming(CAROL.id, 'Carol again'));
    await waitFor(() => expect(chats()[0]?.textContent).toContain('Carol again'));
    // A first message from someone: a new chat, at the top.
    emit('message', incoming(DAVE.id, 'Hello from Dave'));
    await waitFor(() => expect(chats()[0]?.textContent).toContain('Hello from Dave'));
    expect(chats().map((b) => names.find((name) => b.textContent?.includes(name)))).toEqual([
      'Dave Grohl',
      'Carol Danvers',
      'Bob Builder',
    ]);
    expect(fake.callsOf('conversations')).toHaveLength(fetched);
  });

  it('filters chats as you type and finds people in the directory, page by page, to add', async () => {
    const { user } = await renderSignedIn();
    await user.type(search(), 'da');
    // Locally: no chat matches "da"; the directory has Dave and Dana (and more on the next page).
    expect(within(nav()).queryByRole('button', { name: /^Bob Builder/ })).toBeNull();
    await within(nav()).findByRole('button', { name: 'Add Dave Grohl to contacts' });
    expect(within(nav()).queryByRole('button', { name: /Alice/ })).toBeNull(); // never myself

    await user.click(within(nav()).getByRole('button', { name: 'Add Dave Grohl to contacts' }));
    expect(await within(nav()).findByText('In contacts')).toBeTruthy();
    expect(fake.callsOf('addContact')).toEqual([[{ userId: DAVE.id }]]);
  });

  it('loads more directory results on request', async () => {
    const { user } = await renderSignedIn();
    await user.type(search(), 'a');
    await within(nav()).findByRole('button', { name: 'More results' });
    const before = within(nav()).getAllByRole('button', { name: /^Add / }).length;
    await user.click(within(nav()).getByRole('button', { name: 'More results' }));
    await waitFor(() => expect(within(nav()).getAllByRole('button', { name: /^Add / }).length).toBeGreaterThan(before));
  });

  it('removes a contact only after confirming', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.click(screen.getByRole('button', { name: 'Remove Bob Builder from contacts' }));
    let dialog = screen.getByRole('dialog', { name: 'Remove Bob Builder?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(fake.callsOf('removeContact')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Remove Bob Builder from contacts' }));
    dialog = screen.getByRole('dialog', { name: 'Remove Bob Builder?' });
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    expect(fake.callsOf('removeContact')).toEqual([[BOB.id]]);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Remove Bob Builder from contacts' })).toBeNull());
    expect(screen.getByRole('button', { name: 'Add to contacts' })).toBeTruthy();
  });
});

describe('keyboard', () => {
  it('Ctrl+K focuses the search; Escape clears it', async () => {
    const { user } = await renderSignedIn();
    await user.keyboard('{Control>}k{/Control}');
    expect(document.activeElement).toBe(search());
    await user.type(search(), 'bob');
    await user.keyboard('{Escape}');
    expect((search() as HTMLInputElement).value).toBe('');
  });

  it('Alt+Down and Alt+Up move between conversations; arrows move through the list', async () => {
    const { user } = await renderSignedIn();
    await user.keyboard('{Alt>}{ArrowDown}{/Alt}');
    expect(screen.getByRole('heading', { level: 2, name: 'Bob Builder' })).toBeTruthy();
    await user.keyboard('{Alt>}{ArrowDown}{/Alt}');
    expect(screen.getByRole('heading', { level: 2, name: 'Carol Danvers' })).toBeTruthy();
    await user.keyboard('{Alt>}{ArrowUp}{/Alt}');
    expect(screen.getByRole('heading', { level: 2, name: 'Bob Builder' })).toBeTruthy();

    const [bob, carol] = within(nav()).getAllByRole('button', { name: /^(Bob Builder|Carol Danvers)/ });
    (bob as HTMLElement).focus();
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(carol);
    await user.keyboard('{Enter}');
    expect(screen.getByRole('heading', { level: 2, name: 'Carol Danvers' })).toBeTruthy();
  });

  it('shows the connection state quietly when not online', async () => {
    fake.connection = 'offline';
    await renderSignedIn();
    expect(await screen.findByText('Offline — messages will be sent when you are back online')).toBeTruthy();
  });
});
