// @vitest-environment happy-dom
import './support/install.js';
import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emit, openChat, renderSignedIn, resetApp } from './support/app.js';
import { BOB, CAROL, clientError, fake, ME } from './support/fake-bridge.js';

beforeEach(() => {
  resetApp();
  fake.addContactData(BOB);
  fake.addContactData(CAROL, { online: false, lastSeenAt: new Date(Date.now() - 5 * 60_000).toISOString() });
  fake.seed(BOB, 'Can you bring the blueprints?', 'in', 30);
  fake.seed(CAROL, 'See you at seven', 'in', 60);
});
afterEach(() => {
  vi.useRealTimers();
});

const composer = () => screen.getByRole('textbox', { name: 'Message' });
const history = () => screen.getByRole('log', { name: 'Messages' });
const ticks = () => within(history()).getAllByRole('img');

describe('the composer', () => {
  it('sends with Enter, and Shift+Enter starts a new line instead', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), 'First line');
    await user.keyboard('{Shift>}{Enter}{/Shift}');
    await user.type(composer(), 'second line');
    expect(fake.callsOf('sendText')).toHaveLength(0);
    expect((composer() as HTMLTextAreaElement).value).toBe('First line\nsecond line');

    await user.keyboard('{Enter}');
    expect(fake.callsOf('sendText')).toEqual([[BOB.id, 'First line\nsecond line']]);
    expect((composer() as HTMLTextAreaElement).value).toBe('');
    const sent = await within(history()).findByText('First line second line', {
      normalizer: (s) => s.replace(/\s+/g, ' '),
    });
    expect(sent).toBeTruthy();
  });

  it('does not send an empty or blank message: blank text keeps the microphone', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), '   {Enter}');
    expect(fake.callsOf('sendText')).toHaveLength(0);
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Record voice message' })).toBeTruthy();
  });

  it('keeps a draft per conversation', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), 'Half a thought for Bob');
    await openChat(user, 'Carol Danvers');
    expect((composer() as HTMLTextAreaElement).value).toBe('');
    await user.type(composer(), 'Something for Carol');
    await openChat(user, 'Bob Builder');
    expect((composer() as HTMLTextAreaElement).value).toBe('Half a thought for Bob');
    await openChat(user, 'Carol Danvers');
    expect((composer() as HTMLTextAreaElement).value).toBe('Something for Carol');
  });

  it('gives the text back when the core refuses it, and says why', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    fake.override('sendText', () => Promise.reject(Object.assign(new Error('x'), { code: 'NETWORK' })));
    await user.type(composer(), 'Try this{Enter}');
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Cannot reach the Parley server. Check your connection and try again.',
    );
    expect((composer() as HTMLTextAreaElement).value).toBe('Try this');
  });
});

describe('typing', () => {
  it('tells the peer once while typing goes on, and that it stopped when the message is sent', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), 'Hello there');
    expect(fake.callsOf('setTyping')).toEqual([[BOB.id, true]]);
    await user.keyboard('{Enter}');
    expect(fake.callsOf('setTyping')).toEqual([
      [BOB.id, true],
      [BOB.id, false],
    ]);
  });

  it('takes "typing" back after three idle seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), 'Hm');
    expect(fake.callsOf('setTyping')).toEqual([[BOB.id, true]]);
    act(() => vi.advanceTimersByTime(2_000));
    expect(fake.callsOf('setTyping')).toHaveLength(1);
    act(() => vi.advanceTimersByTime(1_500));
    expect(fake.callsOf('setTyping')).toEqual([
      [BOB.id, true],
      [BOB.id, false],
    ]);
  });

  it('shows when the peer types, in the header and in the chat list', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const header = screen.getByRole('heading', { level: 2, name: 'Bob Builder' }).closest('header') as HTMLElement;
    await waitFor(() => expect(within(header).getByText('online')).toBeTruthy());
    emit('typing', { userId: BOB.id, typing: true });
    expect(within(header).getByText('typing…')).toBeTruthy();
    expect(within(screen.getByRole('navigation')).getByRole('img', { name: 'typing' })).toBeTruthy();
    emit('typing', { userId: BOB.id, typing: false });
    expect(within(header).queryByText('typing…')).toBeNull();
    expect(within(header).getByText('online')).toBeTruthy();
  });

  it('says when someone offline was last seen, in words', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Carol Danvers');
    expect(screen.getByText('last seen 5 minutes ago')).toBeTruthy();
    emit('presence', { userId: CAROL.id, online: true, lastSeenAt: null });
    expect(screen.getByText('online')).toBeTruthy();
  });
});

describe('delivery ticks', () => {
  it('move from sending to sent, delivered and read as status events arrive, each with its label', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), 'Ticks please{Enter}');
    await waitFor(() => expect(ticks().at(-1)?.getAttribute('aria-label')).toBe('Sending'));
    const id = (await fake.conversations()).find((c) => c.peer.id === BOB.id)?.lastMessage?.id ?? '';
    for (const [status, label] of [
      ['sent', 'Sent'],
      ['delivered', 'Delivered'],
      ['read', 'Read'],
    ] as const) {
      emit('status', { messageId: id, peerUserId: BOB.id, status });
      expect(ticks().at(-1)?.getAttribute('aria-label')).toBe(label);
    }
  });

  it('shows a failed message with a way to send it again', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.type(composer(), 'This will fail{Enter}');
    const id = (await fake.conversations()).find((c) => c.peer.id === BOB.id)?.lastMessage?.id ?? '';
    emit('status', { messageId: id, peerUserId: BOB.id, status: 'failed' });
    expect(ticks().at(-1)?.getAttribute('aria-label')).toBe('Not sent');
    await user.click(screen.getByRole('button', { name: 'Send again' }));
    // The same message goes again (no copy of it).
    expect(fake.callsOf('retryMessage')).toEqual([[id]]);
    expect(fake.callsOf('sendText')).toHaveLength(1);
    await waitFor(() => expect(ticks().at(-1)?.getAttribute('aria-label')).toBe('Sending'));
    expect(screen.queryByRole('button', { name: 'Send again' })).toBeNull();
  });
});

describe('reading', () => {
  it('marks the open conversation read while the window is in front', async () => {
    fake.seed(BOB, 'Are you there?', 'in', 1, { readAt: null });
    const { user } = await renderSignedIn();
    expect(screen.getByText('1 unread message')).toBeTruthy();
    await openChat(user, 'Bob Builder');
    await waitFor(() => expect(fake.callsOf('markRead')).toContainEqual([BOB.id]));
    await waitFor(() => expect(screen.queryByText('1 unread message')).toBeNull());
  });

  it('renders message text as text, never as HTML', async () => {
    fake.seed(BOB, '<img src=x onerror="window.hacked=1"><b>bold</b>', 'in', 0);
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    expect(within(history()).getByText('<img src=x onerror="window.hacked=1"><b>bold</b>')).toBeTruthy();
    expect(history().querySelector('img, b')).toBeNull();
  });
});

describe('safety numbers', () => {
  it('warns when a key changed, and accepting it clears the warning', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    expect(screen.queryByRole('alert')).toBeNull();
    emit('identity', {
      userId: BOB.id,
      deviceId: 'd',
      kind: 'key_changed',
      at: new Date().toISOString(),
      refusedMessages: 0,
    });
    const warning = screen.getByRole('alert');
    expect(warning.textContent).toContain('The safety number with Bob Builder has changed');
    await user.click(within(warning).getByRole('button', { name: 'Accept new safety number' }));
    expect(fake.callsOf('acceptIdentity')).toEqual([[BOB.id]]);
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('says that messages from the new key were refused, and keeping the old key clears the warning', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    emit('identity', {
      userId: BOB.id,
      deviceId: 'd',
      kind: 'key_changed',
      at: new Date().toISOString(),
      refusedMessages: 2,
    });
    const warning = screen.getByRole('alert');
    expect(warning.textContent).toContain('2 messages from the new key were not shown.');
    expect(within(history()).queryByText(/codes/)).toBeNull();
    await user.click(within(warning).getByRole('button', { name: 'Keep the old key' }));
    expect(fake.callsOf('rejectIdentity')).toEqual([[BOB.id]]);
    expect(fake.callsOf('acceptIdentity')).toEqual([]);
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('warns in every conversation when one of my own devices shows a new key', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Carol Danvers');
    emit('identity', {
      userId: ME.id,
      deviceId: 'd',
      kind: 'key_changed',
      at: new Date().toISOString(),
      refusedMessages: 1,
    });
    const warning = screen.getByRole('alert');
    expect(warning.textContent).toContain('One of your own devices shows a new key.');
    expect(warning.textContent).toContain('1 message from the new key was not shown.');
    await openChat(user, 'Bob Builder');
    await user.click(within(screen.getByRole('alert')).getByRole('button', { name: 'Accept the new key' }));
    expect(fake.callsOf('acceptIdentity')).toEqual([[ME.id]]);
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('shows the key changes the core held before the window opened', async () => {
    fake.keyChanged.add(BOB.id);
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const warning = await screen.findByRole('alert');
    expect(warning.textContent).toContain('The safety number with Bob Builder has changed');
    expect(warning.textContent).toContain('1 message from the new key was not shown.');
  });

  it('shows the new safety number to compare before accepting it', async () => {
    fake.keyChanged.add(BOB.id);
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.click(screen.getByRole('button', { name: 'Safety number' }));
    const dialog = screen.getByRole('dialog', { name: 'Safety number with Bob Builder' });
    const digits = await within(dialog).findByRole('list', { name: 'New safety number digits' });
    expect(within(digits).getAllByRole('listitem')[0]?.textContent).toBe('11111');
    await user.click(within(dialog).getByRole('button', { name: 'Accept new safety number' }));
    expect(fake.callsOf('acceptIdentity')).toEqual([[BOB.id]]);
  });

  it('raises the warning when a send is refused for an unaccepted key change', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    fake.override('sendText', () => Promise.reject(Object.assign(new Error('x'), { code: 'IDENTITY_UNTRUSTED' })));
    await user.type(composer(), 'Hello{Enter}');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Accept new safety number' })).toBeTruthy());
  });

  it('raises the own-device warning when a send is refused for my own device’s key change', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    fake.override('sendText', () => Promise.reject(clientError('IDENTITY_UNTRUSTED', { userId: ME.id })));
    await user.type(composer(), 'Hello{Enter}');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Accept the new key' })).toBeTruthy());
  });

  it('mentions a new device of theirs quietly, and lets it be dismissed', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    emit('identity', {
      userId: BOB.id,
      deviceId: 'd',
      kind: 'device_added',
      at: new Date().toISOString(),
      refusedMessages: 0,
    });
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByText('Bob Builder signed in on a new device.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByText('Bob Builder signed in on a new device.')).toBeNull();
  });

  it('shows the safety number as 12 groups of 5 digits', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.click(screen.getByRole('button', { name: 'Safety number' }));
    const dialog = screen.getByRole('dialog', { name: 'Safety number with Bob Builder' });
    const digits = await within(dialog).findByRole('list', { name: 'Safety number digits' });
    const groups = within(digits)
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(groups).toHaveLength(12);
    expect(groups.every((g) => /^\d{5}$/.test(g ?? ''))).toBe(true);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
