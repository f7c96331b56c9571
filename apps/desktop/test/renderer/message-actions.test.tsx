// @vitest-environment happy-dom
import './support/install.js';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { openChat, renderSignedIn, resetApp } from './support/app.js';
import { BOB, fake } from './support/fake-bridge.js';

beforeEach(() => {
  resetApp();
  fake.addContactData(BOB);
  // Oldest first, as the core pages them.
  fake.seed(BOB, 'Old news', 'out', 26 * 60, { id: 'mine-old' });
  fake.seed(BOB, 'Can you bring the blueprints?', 'in', 30, { id: 'from-bob' });
  fake.seed(BOB, 'Yes, at noon', 'out', 20, { id: 'mine-recent' });
});

const history = () => screen.getByRole('log', { name: 'Messages' });
const message = (text: RegExp) => within(history()).getByRole('article', { name: text });
const menu = () => screen.getByRole('menu', { name: 'Message actions' });
const menuItems = () =>
  within(menu())
    .getAllByRole('menuitem')
    .map((item) => item.getAttribute('aria-label') ?? item.textContent);

describe('the message menu', () => {
  it('opens on right-click with what applies: no Edit for theirs or my day-old message, Edit for my recent one', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const reactions = [
      'React with ❤️',
      'React with 👍',
      'React with 👎',
      'React with 😂',
      'React with 😮',
      'React with 😢',
    ];

    fireEvent.contextMenu(message(/^Message from Bob Builder: Can you bring/));
    expect(menuItems()).toEqual([...reactions, 'Reply', 'Copy text', 'Forward', 'Select', 'Delete']);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).toBeNull();

    fireEvent.contextMenu(message(/^Message from You: Yes, at noon/));
    expect(menuItems()).toEqual([...reactions, 'Reply', 'Edit', 'Copy text', 'Forward', 'Select', 'Delete']);
    await user.keyboard('{Escape}');

    fireEvent.contextMenu(message(/^Message from You: Old news/));
    expect(menuItems()).not.toContain('Edit');
    await user.click(within(menu()).getByRole('menuitem', { name: 'Delete' }));
    // A day old: only for me.
    const dialog = screen.getByRole('dialog', { name: 'Delete the message?' });
    expect(within(dialog).queryByRole('button', { name: 'Delete for everyone' })).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: 'Delete for me' }));
    expect(fake.callsOf('deleteMessages')).toEqual([[['mine-old'], false]]);
    await waitFor(() => expect(within(history()).queryByText('Old news')).toBeNull());
  });

  it('works by keyboard alone: Shift+F10 or the menu key on a focused message, arrows inside, Escape back to the message', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const bobs = message(/^Message from Bob Builder/);
    bobs.focus();
    await user.keyboard('{Shift>}{F10}{/Shift}');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('React with ❤️');
    await user.keyboard('{End}');
    expect(document.activeElement?.textContent).toBe('Delete');
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('React with ❤️');
    await user.keyboard('{ArrowUp}{ArrowUp}');
    expect(document.activeElement?.textContent).toBe('Select');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(bobs);

    // The arrow keys move between messages; the menu key opens the next one's menu.
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(message(/^Message from You: Yes, at noon/));
    await user.keyboard('{ContextMenu}');
    await user.keyboard('{ArrowDown}'.repeat(6));
    expect(document.activeElement?.textContent).toBe('Reply');
    await user.keyboard('{Enter}');
    expect(screen.getByText('Replying to You')).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Message' }));
    await user.keyboard('Good{Enter}');
    expect(fake.callsOf('sendText')).toEqual([[BOB.id, 'Good', 'mine-recent']]);
    expect(screen.queryByText('Replying to You')).toBeNull();
  });

  it('the hover button opens the menu; react, edit and delete for everyone show on the message', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const mine = () => message(/^Message from You: Yes, at noon|^Message from You: Yes, at one/);
    await user.click(within(mine()).getByRole('button', { name: 'More actions' }));
    await user.click(within(menu()).getByRole('menuitem', { name: 'React with 👍' }));
    expect(fake.callsOf('react')).toEqual([['mine-recent', '👍']]);
    const reaction = await within(mine()).findByRole('button', { name: '👍 1: You' });
    expect(reaction.getAttribute('aria-pressed')).toBe('true');
    // Choosing my reaction again takes it back.
    await user.click(reaction);
    expect(fake.callsOf('react').at(-1)).toEqual(['mine-recent', null]);

    fireEvent.contextMenu(mine());
    await user.click(within(menu()).getByRole('menuitem', { name: 'Edit' }));
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    expect(box.value).toBe('Yes, at noon');
    expect(screen.getByText('Editing message')).toBeTruthy();
    await user.clear(box);
    await user.type(box, 'Yes, at one');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(fake.callsOf('editMessage')).toEqual([['mine-recent', 'Yes, at one']]);
    await within(mine()).findByText('edited');
    expect(box.value).toBe('');

    fireEvent.contextMenu(mine());
    await user.click(within(menu()).getByRole('menuitem', { name: 'Delete' }));
    await user.click(screen.getByRole('button', { name: 'Delete for everyone' }));
    expect(fake.callsOf('deleteMessages')).toEqual([[['mine-recent'], true]]);
    await within(history()).findByText('This message was deleted');
  });

  it('selects several messages to delete or forward together', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    fireEvent.contextMenu(message(/^Message from Bob Builder/));
    await user.click(within(menu()).getByRole('menuitem', { name: 'Select' }));
    const bar = screen.getByRole('toolbar', { name: 'Selecting messages' });
    expect(within(bar).getByText('1 selected')).toBeTruthy();
    const boxes = within(history()).getAllByRole('checkbox', { name: 'Select this message' });
    expect(boxes).toHaveLength(3);
    await user.click(boxes[0] as HTMLElement);
    expect(within(bar).getByText('2 selected')).toBeTruthy();

    await user.click(within(bar).getByRole('button', { name: 'Forward' }));
    const dialog = screen.getByRole('dialog', { name: 'Forward to…' });
    await user.click(within(dialog).getByRole('button', { name: 'Forward to Bob Builder' }));
    expect(fake.callsOf('forwardMessages')).toEqual([[['mine-old', 'from-bob'], BOB.id]]);
    expect(screen.queryByRole('toolbar', { name: 'Selecting messages' })).toBeNull();

    fireEvent.contextMenu(message(/^Message from Bob Builder/));
    await user.click(within(menu()).getByRole('menuitem', { name: 'Select' }));
    await user.click(within(history()).getAllByRole('checkbox', { name: 'Select this message' })[2] as HTMLElement);
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete 2 messages?' });
    expect(within(confirm).queryByRole('button', { name: 'Delete for everyone' })).toBeNull(); // one is Bob's
    await user.click(within(confirm).getByRole('button', { name: 'Delete for me' }));
    expect(fake.callsOf('deleteMessages')).toEqual([[['from-bob', 'mine-recent'], false]]);
    await waitFor(() => expect(within(history()).getAllByRole('article')).toHaveLength(1));
  });

  it('a reply shows its quote; choosing the quote brings the original into view, loading older pages', async () => {
    fake.threads.clear();
    const original = fake.seed(BOB, 'The blueprints are in the shed', 'in', 500, { id: 'the-original' });
    for (let i = 0; i < 150; i++) fake.seed(BOB, `Chatter ${i}`, i % 2 ? 'in' : 'out', 400 - i);
    fake.seed(BOB, 'Which shed?', 'out', 1, {
      quote: { id: original.id, author: BOB.id, text: original.text },
    });
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const quote = await within(history()).findByRole('button', {
      name: 'Reply to Bob Builder: The blueprints are in the shed. Show the original',
    });
    expect(within(history()).queryByText('The blueprints are in the shed', { selector: '.bubble-text' })).toBeNull();
    await user.click(quote);
    expect(
      await within(history()).findByText('The blueprints are in the shed', { selector: '.bubble-text' }),
    ).toBeTruthy();
    await waitFor(() => expect(fake.callsOf('history').length).toBeGreaterThanOrEqual(4));
  });
});
