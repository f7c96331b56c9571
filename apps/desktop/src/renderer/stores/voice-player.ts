import { create } from 'zustand';
import { attachmentUrl } from '../platform/attachment-url.js';

interface VoicePlayerState {
  /** The voice message loaded in the player (playing or paused); null when none. */
  messageId: string | null;
  playing: boolean;
  positionMs: number;
  /** Plays a voice message, or pauses it if it is the one playing (the one before stops). */
  toggle(messageId: string): void;
  /** Moves within a voice message (loading it, paused, if it is not the current one). */
  seek(messageId: string, ms: number): void;
  /** Stops and unloads (signing out). */
  reset(): void;
}

/**
 * The one player of voice messages: a single <audio> element outside the message list, so a
 * message keeps playing when its row scrolls out of the virtualized history or another chat is
 * opened, and only one plays at a time. The rows show and steer it through this store.
 */
export const useVoicePlayer = create<VoicePlayerState>((set, get) => {
  let element: HTMLAudioElement | null = null;
  let frame = 0;

  // The position follows the audio smoothly while it plays.
  const follow = () => {
    if (element) set({ positionMs: element.currentTime * 1000 });
    frame = requestAnimationFrame(follow);
  };

  const audio = (): HTMLAudioElement => {
    if (element) return element;
    const el = document.createElement('audio');
    el.preload = 'auto';
    el.hidden = true;
    el.addEventListener('play', () => {
      set({ playing: true });
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(follow);
    });
    el.addEventListener('pause', () => {
      cancelAnimationFrame(frame);
      set({ playing: false, positionMs: el.currentTime * 1000 });
    });
    el.addEventListener('ended', () => {
      el.currentTime = 0;
      set({ playing: false, positionMs: 0 });
    });
    document.body.append(el);
    element = el;
    return el;
  };

  /** Makes `messageId` the loaded message; true when it was not already. */
  const load = (messageId: string): boolean => {
    if (get().messageId === messageId) return false;
    const el = audio();
    el.pause();
    el.src = attachmentUrl(messageId);
    set({ messageId, playing: false, positionMs: 0 });
    return true;
  };

  return {
    messageId: null,
    playing: false,
    positionMs: 0,
    toggle(messageId) {
      load(messageId);
      const el = audio();
      if (!el.paused) {
        el.pause();
        return;
      }
      const started = el.play() as Promise<void> | undefined;
      started?.catch?.(() => set({ playing: false }));
    },
    seek(messageId, ms) {
      load(messageId);
      audio().currentTime = ms / 1000;
      set({ positionMs: ms });
    },
    reset() {
      cancelAnimationFrame(frame);
      if (element) {
        element.pause();
        element.removeAttribute('src');
        element.load();
      }
      set({ messageId: null, playing: false, positionMs: 0 });
    },
  };
});
