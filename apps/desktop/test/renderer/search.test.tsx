// @vitest-environment happy-dom
import './support/install.js';
import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { renderSignedIn, resetApp } from './support/app.js';
import { BOB, CAROL, fake } from './support/fake-bridge.js';

beforeEach(() => {
  resetApp();
  fake.addContactData(BOB);
  fake.addContactData(CAROL);
  for (let i = 0; i < 200; i++)
    fake.seed(BOB, i === 10 ? 'The blueprints are in the shed' : `Chatter ${i}`, i % 2 ? 'in' : 'out', 500 - i);
  fake.seed(CAROL, 'Hello from Carol', 'in', 5);
});

describe('message search', () => {
  it('finds a message in any chat, marks the match, and opens the chat at that message (loading older pages)', async () => {
    const { user } = await renderSignedIn();
    await user.click(screen.getByRole('button', { name: 'Search messages' }));
    const dialog = screen.getByRole('dialog', { name: 'Search messages' });
    const field = within(dialog).getByRole('searchbox', { name: 'Search in all chats' });
    expect(document.activeElement).toBe(field);
    await user.type(field, 'blueprint');
    const result = await within(dialog).findByRole('button', { name: /^Bob Builder/ });
    expect(result.textContent).toContain('You: The blueprints are in the shed');
    expect(within(result).getByText('blueprint').tagName).toBe('MARK');
    expect(within(dialog).getByRole('status').textContent).toBe('1 message found');

    await user.click(result);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('heading', { level: 2, name: 'Bob Builder' })).toBeTruthy();
    const log = screen.getByRole('log', { name: 'Messages' });
    expect(await within(log).findByText('The blueprints are in the shed')).toBeTruthy();
    // Three more pages of 50 were needed to reach it.
    await waitFor(() => expect(fake.callsOf('history').length).toBeGreaterThanOrEqual(4));
  });

  it('says when nothing matches, and Escape closes it', async () => {
    const { user } = await renderSignedIn();
    await user.click(screen.getByRole('button', { name: 'Search messages' }));
    await user.type(screen.getByRole('searchbox', { name: 'Search in all chats' }), 'zebra');
    expect(await screen.findByText('No messages found')).toBeTruthy();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
