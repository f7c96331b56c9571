// @vitest-environment happy-dom
import './support/install.js';
import { type LocalMessage, UNTOUCHED } from '@parley/shared';
import { act, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useSettings } from '../../src/renderer/stores/settings.js';
import { emit, renderApp, renderSignedIn, resetApp } from './support/app.js';
import { BOB, fake, ME } from './support/fake-bridge.js';

/** Records what the app shows through the Web Notification API. */
class RecordingNotification {
  static permission: NotificationPermission = 'granted';
  static requestPermission = vi.fn(async () => RecordingNotification.permission);
  static shown: RecordingNotification[] = [];
  onclick: (() => void) | null = null;
  constructor(
    readonly title: string,
    readonly options: NotificationOptions = {},
  ) {
    RecordingNotification.shown.push(this);
  }
  close() {}
}

let focused = false;
beforeEach(() => {
  resetApp();
  RecordingNotification.shown = [];
  RecordingNotification.permission = 'granted';
  vi.stubGlobal('Notification', RecordingNotification);
  focused = false;
  vi.spyOn(document, 'hasFocus').mockImplementation(() => focused);
  fake.addContactData(BOB);
  fake.seed(BOB, 'Earlier', 'in', 10);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

let n = 0;
function incoming(text: string): LocalMessage {
  const at = new Date().toISOString();
  return {
    id: `in-${++n}`,
    peerUserId: BOB.id,
    senderUserId: BOB.id,
    direction: 'in',
    text,
    status: 'read',
    sentAt: at,
    serverTimestamp: at,
    readAt: null,
    attachment: null,
    attachmentReady: false,
    call: null,
    ...UNTOUCHED,
  };
}

describe('notifications', () => {
  it('show the sender and the text of a message arriving while the window is not focused; a click opens the chat', async () => {
    await renderSignedIn();
    emit('message', incoming('Are you there?'));
    expect(RecordingNotification.shown.map((x) => [x.title, x.options.body, x.options.tag])).toEqual([
      ['Bob Builder', 'Are you there?', BOB.id],
    ]);
    act(() => RecordingNotification.shown[0]?.onclick?.());
    expect(await screen.findByRole('heading', { level: 2, name: 'Bob Builder' })).toBeTruthy();
  });

  it('hide the text when the settings say so, and stay away when turned off or when the window is in front', async () => {
    await renderSignedIn();
    act(() => useSettings.getState().update({ notificationText: false }));
    emit('message', incoming('Secret plans'));
    expect(RecordingNotification.shown.at(-1)?.options.body).toBe('New message');

    act(() => useSettings.getState().update({ notifications: false }));
    emit('message', incoming('Still there?'));
    expect(RecordingNotification.shown).toHaveLength(1);

    act(() => useSettings.getState().update({ notifications: true }));
    focused = true;
    emit('message', incoming('Looking at it'));
    expect(RecordingNotification.shown).toHaveLength(1);

    focused = false;
    emit('message', { ...incoming('My own, from my other device'), direction: 'out', senderUserId: ME.id });
    expect(RecordingNotification.shown).toHaveLength(1);
  });

  it('describe an attachment in words, with its caption', async () => {
    await renderSignedIn();
    emit('message', {
      ...incoming(''),
      attachment: {
        id: '00000000-0000-4000-8000-0000000000a1',
        key: 'a2V5',
        digest: 'ZGlnZXN0',
        size: 9000,
        name: 'Voice message.webm',
        contentType: 'audio/webm',
        voice: { durationMs: 7_000, waveform: [1, 2, 3] },
      },
    });
    emit('message', {
      ...incoming('Look at this'),
      attachment: {
        id: '00000000-0000-4000-8000-0000000000a2',
        key: 'a2V5',
        digest: 'ZGlnZXN0',
        size: 9000,
        name: 'cat.jpg',
        contentType: 'image/jpeg',
        image: { width: 10, height: 10 },
      },
    });
    emit('message', {
      ...incoming('Signed\nand scanned'),
      attachment: {
        id: '00000000-0000-4000-8000-0000000000a3',
        key: 'a2V5',
        digest: 'ZGlnZXN0',
        size: 9000,
        name: 'contract.pdf',
        contentType: 'application/pdf',
      },
    });
    expect(RecordingNotification.shown.map((x) => x.options.body)).toEqual([
      'Voice message · 0:07',
      'Photo · Look at this',
      '📎 contract.pdf · Signed\nand scanned',
    ]);
  });

  it('ask for permission on first sign-in', async () => {
    RecordingNotification.permission = 'default';
    const { user } = renderApp();
    await user.type(await screen.findByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('searchbox', { name: 'Search people and chats' });
    expect(RecordingNotification.requestPermission).toHaveBeenCalled();
  });
});
