// @vitest-environment happy-dom
// Over 400 lines: every attachment flow a person sees (pick, send, progress, cancel, retry, open, save,
// voice) shares one fake core here, so they stay in one file.
import './support/install.js';
import { ATTACHMENT_APPEND_BYTES, type OutgoingFile } from '@parley/shared';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { downsample, fileStamp } from '../../src/renderer/screens/chat/voice-recording.js';
import { useSettings } from '../../src/renderer/stores/settings.js';
import { useVoicePlayer } from '../../src/renderer/stores/voice-player.js';
import { emit, openChat, renderSignedIn, resetApp } from './support/app.js';
import { BOB, CAROL, clientError, fake } from './support/fake-bridge.js';

beforeEach(() => {
  resetApp();
  fake.addContactData(BOB);
  fake.seed(BOB, 'Hi Alice', 'in', 30);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const history = () => screen.getByRole('log', { name: 'Messages' });
const composer = () => screen.getByRole('textbox', { name: 'Message' });
const attachInput = () => screen.getByLabelText('Attach files') as HTMLInputElement;
const staged = () => screen.getByRole('list', { name: 'Files to send' });

/** A file whose bytes are a recognisable pattern (byte i = i * 7 mod 251). */
function patternFile(name: string, size: number, type: string): File {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7) % 251;
  return new File([bytes], name, { type });
}

/** Resolves the next time `method` is called, with a way to settle that call. */
function holdNext<K extends 'downloadAttachment'>(method: K) {
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  fake.override(method, () => {
    return new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
  });
  return () => settle;
}

describe('sending files', () => {
  it('hands a file chosen with the paperclip to the core in order, in slices, and sends it with the caption', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const size = 2 * ATTACHMENT_APPEND_BYTES + 12_345;
    const file = patternFile('report.pdf', size, 'application/pdf');

    await user.upload(attachInput(), file);
    const item = within(staged()).getByRole('listitem');
    expect(item.textContent).toContain('report.pdf');
    // Handed to the core at once (encrypted while the caption is typed), sent only with Send.
    await waitFor(() => expect(item.textContent).toBe('report.pdf2 MB'));
    expect(within(item).queryByRole('progressbar')).toBeNull();
    expect(fake.callsOf('appendAttachment')).toHaveLength(3);
    expect(fake.callsOf('sendAttachment')).toHaveLength(0);

    await user.type(composer(), 'The quarterly numbers');
    await user.click(screen.getByRole('button', { name: 'Send' }));

    await waitFor(() => expect(fake.callsOf('sendAttachment')).toHaveLength(1));
    const [[peer, outgoing]] = fake.callsOf('startAttachment') as [[string, OutgoingFile]];
    expect(peer).toBe(BOB.id);
    expect(outgoing).toEqual({ name: 'report.pdf', contentType: 'application/pdf', size });
    const messageId = fake.callsOf('sendAttachment')[0]?.[0] as string;
    const appends = fake.callsOf('appendAttachment') as [string, Uint8Array][];
    expect(appends.length).toBe(3);
    expect(appends.every(([id, bytes]) => id === messageId && bytes.byteLength <= ATTACHMENT_APPEND_BYTES)).toBe(true);
    const original = new Uint8Array(await file.arrayBuffer());
    expect(fake.appendedBytes(messageId)).toEqual(original);
    expect(fake.callsOf('sendAttachment')).toEqual([[messageId, 'The quarterly numbers']]);

    // In the history: the file card, ready to save (it was sent from here), with the caption under it.
    const card = await within(history()).findByRole('group', { name: 'report.pdf' });
    const save = within(card).getByRole('link', { name: 'Save' });
    expect(save.getAttribute('href')).toBe(`/attachments/${messageId}?download`);
    expect(save.getAttribute('download')).toBe('report.pdf');
    expect(within(history()).getByText('The quarterly numbers')).toBeTruthy();
    expect((composer() as HTMLTextAreaElement).value).toBe('');
    expect(screen.queryByRole('list', { name: 'Files to send' })).toBeNull();
  });

  it('sends several files one after another, the caption with the first; a staged file can be removed', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.upload(attachInput(), [
      patternFile('a.txt', 10, 'text/plain'),
      patternFile('b.txt', 20, 'text/plain'),
      patternFile('c.txt', 30, 'text/plain'),
    ]);
    await user.click(screen.getByRole('button', { name: 'Remove b.txt' }));
    expect(
      within(staged())
        .getAllByRole('listitem')
        .map((li) => li.textContent?.includes('b.txt')),
    ).toEqual([false, false]);
    await user.type(composer(), 'Two files{Enter}');
    await waitFor(() => expect(fake.callsOf('sendAttachment')).toHaveLength(2));
    // Each was handed over as it was staged; the removed one was dropped and not sent.
    expect(fake.callsOf('startAttachment').map(([, f]) => (f as OutgoingFile).name)).toEqual([
      'a.txt',
      'b.txt',
      'c.txt',
    ]);
    expect(fake.callsOf('cancelTransfer')).toHaveLength(1);
    const sent = fake.callsOf('sendAttachment') as [string, string][];
    expect(sent.map(([id, caption]) => [fake.outgoingFiles.get(id)?.file.name, caption])).toEqual([
      ['a.txt', 'Two files'],
      ['c.txt', ''],
    ]);
    expect(fake.callsOf('sendText')).toHaveLength(0);
  });

  it('reads a picture’s size and sends it along, and shows it inline', async () => {
    vi.stubGlobal('createImageBitmap', async () => ({ width: 1600, height: 1200, close() {} }));
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.upload(attachInput(), patternFile('beach.jpg', 5000, 'image/jpeg'));
    await user.keyboard('{Enter}'); // the focus is back in the message box
    await waitFor(() => expect(fake.callsOf('sendAttachment')).toHaveLength(1));
    expect(fake.callsOf('startAttachment')[0]?.[1]).toEqual({
      name: 'beach.jpg',
      contentType: 'image/jpeg',
      size: 5000,
      image: { width: 1600, height: 1200 },
    });
    const img = await within(history()).findByRole('img', { name: 'beach.jpg' });
    const id = fake.callsOf('sendAttachment')[0]?.[0] as string;
    expect(img.getAttribute('src')).toBe(`/attachments/${id}`);
    // The box is reserved from the pointer: 1600×1200 fits 320×240.
    expect(img.getAttribute('width')).toBe('320');
    expect(img.getAttribute('height')).toBe('240');
  });

  it('refuses a file over the server’s limit with a clear message, and sends nothing of it', async () => {
    fake.override('startAttachment', () => {
      return Promise.reject(clientError('ATTACHMENT_TOO_LARGE', { maxBytes: 100 * 1024 * 1024 }));
    });
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const big = new File([new Uint8Array(8)], 'ubuntu.iso', { type: 'application/x-iso9660-image' });
    Object.defineProperty(big, 'size', { value: 120 * 1024 * 1024 });
    await user.type(composer(), 'The installer');
    await user.upload(attachInput(), big);

    // Refused as soon as it is chosen, before Send.
    expect((await screen.findByRole('alert')).textContent).toContain(
      '“ubuntu.iso” is 120 MB; files can be at most 100 MB.',
    );
    expect(fake.callsOf('startAttachment')).toHaveLength(1);
    expect(fake.callsOf('appendAttachment')).toHaveLength(0);
    expect(fake.callsOf('sendAttachment')).toHaveLength(0);
    expect(screen.queryByRole('list', { name: 'Files to send' })).toBeNull();
    // The text stays, and goes as a message of its own.
    await user.keyboard('{Enter}');
    expect(fake.callsOf('sendText')).toEqual([[BOB.id, 'The installer']]);
    expect(fake.callsOf('sendAttachment')).toHaveLength(0);
  });

  it('says a file just over the limit is over it, not that 25 MB is more than 25 MB', async () => {
    fake.override('startAttachment', () =>
      Promise.reject(clientError('ATTACHMENT_TOO_LARGE', { maxBytes: 25 * 1024 * 1024 })),
    );
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const big = new File([new Uint8Array(8)], 'huge.bin');
    Object.defineProperty(big, 'size', { value: 25 * 1024 * 1024 + 1 });
    await user.upload(attachInput(), big);
    expect((await screen.findByRole('alert')).textContent).toContain(
      '“huge.bin” is over 25 MB, the most a file can be.',
    );
  });

  it('says the sender’s space on the server is full, with how much is used, and sends nothing of the file', async () => {
    fake.override('startAttachment', () =>
      Promise.reject(
        clientError('ATTACHMENT_QUOTA_EXCEEDED', { usedBytes: 1990 * 1024 * 1024, quotaBytes: 2048 * 1024 * 1024 }),
      ),
    );
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.upload(attachInput(), patternFile('holiday.mp4', 5000, 'video/mp4'));
    expect((await screen.findByRole('alert')).textContent).toContain(
      '“holiday.mp4” does not fit: your files on the server already take 1.9 GB of 2 GB. Space frees up as older files expire.',
    );
    expect(fake.callsOf('appendAttachment')).toHaveLength(0);
    expect(fake.callsOf('sendAttachment')).toHaveLength(0);
  });

  it('shows the hand-over’s progress; a staged file removed, or a sending one cancelled, is dropped', async () => {
    const releases: (() => void)[] = [];
    fake.override('appendAttachment', () => new Promise<void>((resolve) => releases.push(resolve)));
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.upload(attachInput(), patternFile('video.mp4', 3 * ATTACHMENT_APPEND_BYTES, 'video/mp4'));
    const bar = await screen.findByRole('progressbar', { name: 'Preparing video.mp4' });
    expect(bar.getAttribute('max')).toBe(String(3 * ATTACHMENT_APPEND_BYTES));
    expect(bar.getAttribute('value')).toBe('0');
    await act(async () => releases.shift()?.());
    await waitFor(() => expect(bar.getAttribute('value')).toBe(String(ATTACHMENT_APPEND_BYTES)));

    // Removed while staged: the core drops it.
    const first = fake.callsOf('startAttachment').length && (fake.callsOf('appendAttachment')[0]?.[0] as string);
    await user.click(within(staged()).getByRole('button', { name: 'Remove video.mp4' }));
    expect(fake.callsOf('cancelTransfer')).toEqual([[first]]);
    expect(screen.queryByRole('progressbar')).toBeNull();
    await act(async () => releases.shift()?.());
    expect(fake.callsOf('appendAttachment')).toHaveLength(2); // no more slices after the removal

    // Sent, then cancelled while still being handed over: never sent.
    await user.upload(attachInput(), patternFile('clip.mp4', 2 * ATTACHMENT_APPEND_BYTES, 'video/mp4'));
    await screen.findByRole('progressbar', { name: 'Preparing clip.mp4' });
    await user.click(screen.getByRole('button', { name: 'Send' }));
    const second = fake.callsOf('appendAttachment').at(-1)?.[0] as string;
    await user.click(within(staged()).getByRole('button', { name: 'Cancel' }));
    expect(fake.callsOf('cancelTransfer')).toEqual([[first], [second]]);
    await act(async () => releases.shift()?.());
    expect(fake.callsOf('sendAttachment')).toHaveLength(0);
    expect(screen.queryByRole('list', { name: 'Files to send' })).toBeNull();
  });

  it('stages files dropped on the conversation, with a drop zone while they are over it', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const section = screen.getByRole('region', { name: 'Bob Builder' });
    const file = patternFile('notes.txt', 42, 'text/plain');
    fireEvent.dragEnter(history(), { dataTransfer: { types: ['Files'], files: [] } });
    expect(screen.getByText('Drop files here to send them to Bob Builder')).toBeTruthy();
    fireEvent.dragOver(history(), { dataTransfer: { types: ['Files'], files: [] } });
    fireEvent.drop(section, { dataTransfer: { types: ['Files'], files: [file] } });
    expect(screen.queryByText('Drop files here to send them to Bob Builder')).toBeNull();
    expect(within(staged()).getByText('notes.txt')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', false);

    // Dragging out again takes the zone away.
    fireEvent.dragEnter(history(), { dataTransfer: { types: ['Files'], files: [] } });
    fireEvent.dragLeave(history(), { dataTransfer: { types: ['Files'], files: [] } });
    expect(screen.queryByText('Drop files here to send them to Bob Builder')).toBeNull();
  });

  it('stages a pasted picture, and pasted text stays text', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const picture = patternFile('image.png', 300, 'image/png');
    fireEvent.paste(composer(), { clipboardData: { files: [picture], types: ['Files'] } });
    expect(within(staged()).getByText('image.png')).toBeTruthy();
    expect((composer() as HTMLTextAreaElement).value).toBe('');
    await user.click(composer());
    await user.paste('plain words');
    expect((composer() as HTMLTextAreaElement).value).toBe('plain words');
    expect(within(staged()).getAllByRole('listitem')).toHaveLength(1);
  });

  it('offers the microphone while there is nothing to send, and Send once there is', async () => {
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    expect(screen.getByRole('button', { name: 'Record voice message' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
    await user.type(composer(), 'x');
    expect(screen.getByRole('button', { name: 'Send' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Record voice message' })).toBeNull();
  });

  it('says why when the microphone cannot be used', async () => {
    vi.stubGlobal(
      'MediaRecorder',
      Object.assign(class {}, { isTypeSupported: (type: string) => type === 'audio/webm;codecs=opus' }),
    );
    Object.defineProperty(navigator, 'mediaDevices', {
      configurable: true,
      value: {
        getUserMedia: () => Promise.reject(Object.assign(new Error('denied'), { name: 'NotAllowedError' })),
      },
    });
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await user.click(screen.getByRole('button', { name: 'Record voice message' }));
    expect((await screen.findByRole('alert')).textContent).toContain('not allowed to use the microphone');
    expect(screen.getByRole('button', { name: 'Record voice message' })).toBeTruthy();
  });
});

describe('transfers in the history', () => {
  it('show an upload’s progress with Cancel; a failed one offers Retry', async () => {
    const sent = fake.seedAttachment(
      BOB,
      { name: 'report.pdf', contentType: 'application/pdf', size: 1000 },
      'out',
      0,
      {
        status: 'pending',
      },
    );
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const update = { messageId: sent.id, peerUserId: BOB.id, direction: 'upload' as const, total: 1000 };
    emit('transfer', { ...update, state: 'active', done: 100 });
    const bar = within(history()).getByRole('progressbar', { name: 'Uploading report.pdf' });
    expect(bar.getAttribute('max')).toBe('1000');
    expect(bar.getAttribute('value')).toBe('100');
    emit('transfer', { ...update, state: 'active', done: 640 });
    expect(bar.getAttribute('value')).toBe('640');

    await user.click(within(history()).getByRole('button', { name: 'Cancel' }));
    expect(fake.callsOf('cancelTransfer')).toEqual([[sent.id]]);
    emit('status', { messageId: sent.id, peerUserId: BOB.id, status: 'failed' });
    expect(within(history()).queryByRole('progressbar')).toBeNull();
    expect(within(history()).getByText('Sending was cancelled.')).toBeTruthy();

    await user.click(within(history()).getByRole('button', { name: 'Retry' }));
    expect(fake.callsOf('retryMessage')).toEqual([[sent.id]]);
    expect(within(history()).queryByRole('button', { name: 'Retry' })).toBeNull();
    emit('transfer', { ...update, state: 'failed', done: 300, error: { code: 'NETWORK', message: 'down' } });
    expect(within(history()).getByText('The file could not be sent.')).toBeTruthy();
    expect(within(history()).getByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it('a received file is downloaded on request, with progress, then saved under its name', async () => {
    const received = fake.seedAttachment(
      BOB,
      { name: 'plans.zip', contentType: 'application/zip', size: 3 * 1024 * 1024 },
      'in',
      0,
      { text: 'The blueprints' },
    );
    const held = holdNext('downloadAttachment');
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const card = within(history()).getByRole('group', { name: 'plans.zip' });
    expect(card.textContent).toContain('3 MB');
    expect(card.textContent).toContain('ZIP file');
    expect(within(card).queryByRole('link', { name: 'Save' })).toBeNull();
    expect(fake.callsOf('downloadAttachment')).toHaveLength(0); // files only on request

    await user.click(within(card).getByRole('button', { name: 'Download' }));
    expect(fake.callsOf('downloadAttachment')).toEqual([[received.id]]);
    const update = { messageId: received.id, peerUserId: BOB.id, direction: 'download' as const, total: 3_145_728 };
    emit('transfer', { ...update, state: 'active', done: 1_000_000 });
    const bar = within(card).getByRole('progressbar', { name: 'Downloading plans.zip' });
    expect(bar.getAttribute('value')).toBe('1000000');
    expect(within(card).queryByRole('button', { name: 'Download' })).toBeNull();

    emit('transfer', { ...update, state: 'done', done: 3_145_728 });
    await act(async () => held().resolve());
    const save = within(card).getByRole('link', { name: 'Save' });
    expect(save.getAttribute('href')).toBe(`/attachments/${received.id}?download`);
    expect(save.getAttribute('download')).toBe('plans.zip');
    expect(within(card).queryByRole('progressbar')).toBeNull();
    expect(within(history()).getByText('The blueprints')).toBeTruthy();
  });

  it('a failed or cancelled download offers Retry, which downloads again', async () => {
    const received = fake.seedAttachment(
      BOB,
      { name: 'plans.zip', contentType: 'application/zip', size: 5000 },
      'in',
      0,
    );
    const held = holdNext('downloadAttachment');
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const card = within(history()).getByRole('group', { name: 'plans.zip' });
    await user.click(within(card).getByRole('button', { name: 'Download' }));
    await user.click(within(card).getByRole('button', { name: 'Cancel' }));
    expect(fake.callsOf('cancelTransfer')).toEqual([[received.id]]);
    await act(async () => held().reject(clientError('NETWORK')));
    expect(within(card).getByText('The download was cancelled.')).toBeTruthy();

    await user.click(within(card).getByRole('button', { name: 'Retry' }));
    expect(fake.callsOf('downloadAttachment')).toHaveLength(2);
    await act(async () => held().reject(clientError('NETWORK')));
    expect(within(card).getByText('The file could not be downloaded.')).toBeTruthy();
    fake.overrides = {};
    await user.click(within(card).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(within(card).getByRole('link', { name: 'Save' })).toBeTruthy());
  });

  it('a file past the server’s retention says so, without a Retry that cannot work', async () => {
    fake.seedAttachment(BOB, { name: 'old.zip', contentType: 'application/zip', size: 5000 }, 'in', 0);
    fake.overrides.downloadAttachment = async () => {
      throw clientError('NOT_FOUND');
    };
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const card = within(history()).getByRole('group', { name: 'old.zip' });
    await user.click(within(card).getByRole('button', { name: 'Download' }));
    await waitFor(() => expect(within(card).getByText(/no longer on the server/)).toBeTruthy());
    expect(within(card).queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('a very large picture waits for Download instead of fetching itself', async () => {
    const huge = fake.seedAttachment(
      BOB,
      { name: 'panorama.png', contentType: 'image/png', size: 40_000_000, image: { width: 9000, height: 3000 } },
      'in',
      0,
    );
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    const download = within(history()).getByRole('button', { name: 'Download' });
    expect(fake.callsOf('downloadAttachment')).toEqual([]);
    await user.click(download);
    expect(fake.callsOf('downloadAttachment')).toEqual([[huge.id]]);
  });

  it('a received picture is fetched by itself, shown inline, and opens large with Save', async () => {
    const picture = fake.seedAttachment(
      BOB,
      { name: 'sunset.png', contentType: 'image/png', size: 80_000, image: { width: 400, height: 800 } },
      'in',
      0,
    );
    const held = holdNext('downloadAttachment');
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await waitFor(() => expect(fake.callsOf('downloadAttachment')).toEqual([[picture.id]]));
    expect(within(history()).queryByRole('img', { name: 'sunset.png' })).toBeNull();
    expect(within(history()).getByRole('progressbar', { name: 'Downloading sunset.png' })).toBeTruthy();

    await act(async () => held().resolve());
    const img = within(history()).getByRole('img', { name: 'sunset.png' });
    expect(img.getAttribute('src')).toBe(`/attachments/${picture.id}`);
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['160', '320']);

    await user.click(within(history()).getByRole('button', { name: 'Open sunset.png' }));
    const viewer = screen.getByRole('dialog', { name: 'sunset.png' });
    expect(within(viewer).getByRole('img', { name: 'sunset.png' }).getAttribute('src')).toBe(
      `/attachments/${picture.id}`,
    );
    expect(within(viewer).getByRole('link', { name: 'Save' }).getAttribute('href')).toBe(
      `/attachments/${picture.id}?download`,
    );
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('voice messages', () => {
  const voice = { durationMs: 7_000, waveform: Array.from({ length: 70 }, (_, i) => (i * 37) % 256) };

  it('show their length, play one at a time, and seek by keyboard', async () => {
    const plays: string[] = [];
    vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(function (this: HTMLMediaElement) {
      plays.push(this.getAttribute('src') ?? '');
      this.dispatchEvent(new Event('play'));
      return Promise.resolve();
    });
    vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(function (this: HTMLMediaElement) {
      this.dispatchEvent(new Event('pause'));
    });
    const first = fake.seedAttachment(
      BOB,
      { name: 'Voice message 1.webm', contentType: 'audio/webm', size: 9000, voice },
      'in',
      2,
      { attachmentReady: true },
    );
    const second = fake.seedAttachment(
      BOB,
      {
        name: 'Voice message 2.webm',
        contentType: 'audio/webm',
        size: 4000,
        voice: { durationMs: 65_000, waveform: [] },
      },
      'in',
      1,
      { attachmentReady: true },
    );
    fake.addContactData(CAROL);
    fake.seed(CAROL, 'Listen to this', 'in', 40);
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    expect(fake.callsOf('downloadAttachment')).toHaveLength(0); // both here already
    const [slider, slider2] = within(history()).getAllByRole('slider', { name: 'Voice message position' });
    if (!slider || !slider2) throw new Error('two voice messages expected');
    expect(slider.getAttribute('aria-valuemin')).toBe('0');
    expect(slider.getAttribute('aria-valuemax')).toBe('7');
    expect(slider.getAttribute('aria-valuenow')).toBe('0');
    expect(within(history()).getByText('0:00 / 0:07')).toBeTruthy();
    expect(within(history()).getByText('0:00 / 1:05')).toBeTruthy();
    slider.focus();
    await user.keyboard('{ArrowRight}{ArrowRight}{ArrowRight}');
    expect(slider.getAttribute('aria-valuenow')).toBe('3');
    expect(slider.getAttribute('aria-valuetext')).toBe('0:03 of 0:07');
    expect(within(history()).getByText('0:03 / 0:07')).toBeTruthy();
    await user.keyboard('{End}');
    expect(slider.getAttribute('aria-valuenow')).toBe('7');
    await user.keyboard('{Home}');
    expect(slider.getAttribute('aria-valuenow')).toBe('0');

    const [play1, play2] = within(history()).getAllByRole('button', { name: 'Play voice message' });
    await user.click(play1 as HTMLElement);
    expect(plays).toEqual([`/attachments/${first.id}`]);
    expect(within(history()).getAllByRole('button', { name: 'Pause voice message' })).toHaveLength(1);
    await user.click(play2 as HTMLElement);
    // The first one stopped when the second started.
    expect(plays).toEqual([`/attachments/${first.id}`, `/attachments/${second.id}`]);
    expect(within(history()).getAllByRole('button', { name: 'Pause voice message' })).toHaveLength(1);
    expect(within(history()).getAllByRole('button', { name: 'Play voice message' })).toHaveLength(1);

    // One player outside the history: switching chats does not stop what plays.
    const players = document.querySelectorAll('audio');
    expect(players).toHaveLength(1);
    expect(players[0]?.getAttribute('src')).toBe(`/attachments/${second.id}`);
    await openChat(user, 'Carol Danvers');
    expect(players[0]?.isConnected).toBe(true);
    expect(useVoicePlayer.getState()).toMatchObject({ messageId: second.id, playing: true });
  });

  it('a received voice message is fetched by itself and plays once it is here', async () => {
    const message = fake.seedAttachment(
      BOB,
      { name: 'Voice message.webm', contentType: 'audio/webm', size: 9000, voice },
      'in',
      0,
    );
    const held = holdNext('downloadAttachment');
    const { user } = await renderSignedIn();
    await openChat(user, 'Bob Builder');
    await waitFor(() => expect(fake.callsOf('downloadAttachment')).toEqual([[message.id]]));
    expect(screen.getByRole('button', { name: 'Play voice message' })).toHaveProperty('disabled', true);
    await act(async () => held().reject(clientError('NETWORK')));
    await user.click(within(history()).getByRole('button', { name: 'Retry' }));
    await act(async () => held().resolve());
    const play = screen.getByRole('button', { name: 'Play voice message' });
    expect(play).toHaveProperty('disabled', false);
    vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(() => Promise.resolve());
    await user.click(play);
    expect(document.querySelector('audio')?.getAttribute('src')).toBe(`/attachments/${message.id}`);
  });
});

describe('recording helpers', () => {
  it('keep a long recording’s waveform to 256 peaks, each its bucket’s loudest', () => {
    const levels = Array.from({ length: 1000 }, (_, i) => (i === 500 ? 255 : i % 10));
    const waveform = downsample(levels);
    expect(waveform).toHaveLength(256);
    expect(waveform.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    expect(waveform.filter((v) => v === 255)).toHaveLength(1); // the one peak survives
    expect(downsample([3.4, 300, -2])).toEqual([3, 255, 0]); // short ones stay, clamped
  });

  it('name a voice message by its local time, in a form every file system takes', () => {
    expect(fileStamp(new Date(2026, 11, 1, 21, 4, 5))).toBe('2026-12-01 21-04-05');
  });
});

describe('previews', () => {
  const preview = () =>
    within(screen.getByRole('navigation'))
      .getAllByRole('button', { name: /^Bob Builder/ })[0]
      ?.querySelector('.chat-preview')?.textContent;

  it('describe the last message’s attachment in the chat list', async () => {
    fake.seedAttachment(
      BOB,
      { name: 'x.png', contentType: 'image/png', size: 10, image: { width: 2, height: 2 } },
      'in',
      3,
    );
    await renderSignedIn();
    expect(preview()).toBe('Photo');

    emit('message', {
      ...fake.seedAttachment(
        BOB,
        { name: 'v.webm', contentType: 'audio/webm', size: 10, voice: { durationMs: 7_400, waveform: [] } },
        'in',
        2,
      ),
    });
    await waitFor(() => expect(preview()).toBe('Voice message · 0:07'));

    emit('message', {
      ...fake.seedAttachment(BOB, { name: 'budget.pdf', contentType: 'application/pdf', size: 10 }, 'out', 1, {
        text: 'For Monday',
      }),
    });
    await waitFor(() => expect(preview()).toBe('You: 📎 budget.pdf · For Monday'));
  });

  it('in Russian too', async () => {
    useSettings.setState({ language: 'ru' });
    fake.seedAttachment(
      BOB,
      { name: 'x.png', contentType: 'image/png', size: 10, image: { width: 2, height: 2 } },
      'in',
      3,
    );
    await renderSignedInRu();
    await waitFor(() => expect(preview()).toBe('Фотография'));
  });
});

async function renderSignedInRu() {
  fake.storedSession = (await import('./support/fake-bridge.js')).SESSION;
  const { renderApp } = await import('./support/app.js');
  const app = renderApp();
  await screen.findByRole('searchbox', { name: 'Поиск людей и чатов' });
  return app;
}
