// @vitest-environment happy-dom
import './support/install.js';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { openChat, renderSignedIn, resetApp } from './support/app.js';
import { BOB, fake } from './support/fake-bridge.js';
import { ROW_PX, VIEWPORT_PX } from './support/layout.js';

const COUNT = 10_000;

beforeEach(() => {
  resetApp();
  fake.addContactData(BOB);
  // One message a minute, so the history spans about a week of day separators.
  for (let i = 0; i < COUNT; i++) fake.seed(BOB, `History message number ${i}`, i % 3 ? 'in' : 'out', COUNT - i);
});

const history = () => screen.getByRole('log', { name: 'Messages' });
const renderedRows = () => within(history()).queryAllByRole('listitem');
/** What fits in the viewport, plus the few rows kept around it. */
const BOUND = Math.ceil(VIEWPORT_PX / ROW_PX) + 2 * 6 + 4;

describe('the history of a long conversation', () => {
  it('keeps only the rows in view in the DOM, with 10,000 messages loaded', async () => {
    fake.pageSize = COUNT; // everything in one page: the list itself must stay small
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    expect(await within(history()).findByText('History message number 9999')).toBeTruthy();
    expect(renderedRows().length).toBeGreaterThan(5);
    expect(renderedRows().length).toBeLessThanOrEqual(BOUND);
    expect(within(history()).queryByText('History message number 0')).toBeNull();
    expect(within(history()).queryByText('History message number 5000')).toBeNull();
  });

  it('loads the previous page when scrolled to the top, keeps the reader in place, and stays bounded', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await within(history()).findByText('History message number 9999');
    expect(fake.callsOf('history')).toEqual([[BOB.id, undefined, 50]]);

    const log = history();
    log.scrollTop = 0;
    fireEvent.scroll(log);
    await waitFor(() => expect(fake.callsOf('history')).toContainEqual([BOB.id, String(COUNT - 50), 50]));
    // The older page went in above: the view moved down by its height instead of jumping to it.
    await waitFor(() => expect(log.scrollTop).toBeGreaterThan(40 * ROW_PX));
    expect(renderedRows().length).toBeLessThanOrEqual(BOUND);
    expect(within(history()).queryByText('History message number 9900')).toBeNull();
  });
});
