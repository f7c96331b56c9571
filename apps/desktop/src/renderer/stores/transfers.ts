import {
  ATTACHMENT_APPEND_BYTES,
  INLINE_IMAGE_TYPES,
  type LocalMessage,
  type OutgoingFile,
  type TransferUpdate,
  type VoiceMetadata,
} from '@parley/shared';
import { create } from 'zustand';
import { errorCode, parley } from '../api.js';
import { useMessages } from './messages.js';

/**
 * A file on its way out before it is a message: chosen, dropped, pasted or recorded. It is handed
 * to the core at once (so a file over the server's limit is refused before Send, and a large one is
 * encrypted while the caption is typed); Send then only has to send it.
 */
export interface OutgoingEntry {
  key: string;
  file: File;
  /** The name it is sent under. */
  name: string;
  /** A blob: URL of the file for the thumbnail (images only); revoked when it leaves. */
  previewUrl: string | null;
  voice?: VoiceMetadata;
  /** Set once the core has accepted the file (`startAttachment`). */
  messageId: string | null;
  /** Asking the core, handing the bytes over, or all handed over. */
  phase: 'starting' | 'appending' | 'ready';
  done: number;
  total: number;
}

/** A file that could not be sent, with why (shown above the composer until the next file). */
export interface FileProblem {
  name: string;
  size: number;
  error: unknown;
}

interface TransfersState {
  /** The latest progress of each upload and download, by message id. */
  transfers: Record<string, TransferUpdate>;
  /** Per conversation: the files waiting for Send. In memory only, like drafts. */
  staged: Record<string, OutgoingEntry[]>;
  /** Per conversation: the files Send was pressed for that are not messages yet. */
  sending: Record<string, OutgoingEntry[]>;
  /** Per conversation: the files that were refused. */
  problems: Record<string, FileProblem[]>;
  /** A `transfer` event from the core. */
  updated(update: TransferUpdate): void;
  /** Stages files and starts handing them to the core. */
  stage(peerUserId: string, files: File[]): void;
  /** Takes a staged file away, or stops one being sent (the core drops it). */
  discard(peerUserId: string, key: string): void;
  /**
   * Sends the staged files in order, the caption with the first one sent. Resolves once each is
   * sent or refused: true when the caption went (or there was none).
   */
  sendStaged(peerUserId: string, caption: string, replyTo?: string): Promise<boolean>;
  /** Sends one file straight away (a voice message). */
  sendFile(peerUserId: string, file: File, meta: { voice?: VoiceMetadata }, caption?: string): Promise<boolean>;
  /** Fetches a received attachment (once at a time per message). */
  download(message: LocalMessage): void;
  /** Stops an upload or a download. */
  cancel(messageId: string): Promise<void>;
  /** Sends a failed upload again. */
  retryUpload(message: LocalMessage): Promise<void>;
  dismissProblems(peerUserId: string): void;
  reset(): void;
}

const initial = { transfers: {}, staged: {}, sending: {}, problems: {} };

let keys = 0;
/** Bumped by reset(): work started for a previous account stops. */
let epoch = 0;
/** Files are sent one at a time, in the order Send was pressed for them, across chats. */
let sendQueue: Promise<unknown> = Promise.resolve();
/** Each outgoing file's hand-over: its message id, or null when it was refused or discarded. */
const handedOver = new Map<string, Promise<string | null>>();
/** Downloads this window asked for and that have not settled. */
const downloading = new Set<string>();
/** Outgoing files the user discarded. */
const cancelled = new Set<string>();

/** Reads an image's size without keeping it decoded; undefined when it is not an image the UI can show. */
async function imageSize(file: File): Promise<{ width: number; height: number } | undefined> {
  if (!INLINE_IMAGE_TYPES.has(file.type) || typeof createImageBitmap !== 'function') return undefined;
  try {
    const bitmap = await createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return size.width > 0 && size.height > 0 ? size : undefined;
  } catch {
    return undefined; // not decodable: it goes as a file
  }
}

/** A name the contract accepts: not blank, at most 255 characters, the extension kept. */
function fileName(file: File): string {
  const name = file.name.trim() || 'file';
  if (name.length <= 255) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return name.slice(0, 255 - extension.length) + extension;
}

function revoke(file: OutgoingEntry): void {
  if (file.previewUrl) URL.revokeObjectURL(file.previewUrl);
}

export const useTransfers = create<TransfersState>((set, get) => {
  const lists = ['staged', 'sending'] as const;
  const patchEntry = (peerUserId: string, key: string, change: Partial<OutgoingEntry>) => {
    for (const list of lists) {
      const entries = get()[list][peerUserId];
      if (entries?.some((e) => e.key === key))
        set({
          [list]: { ...get()[list], [peerUserId]: entries.map((e) => (e.key === key ? { ...e, ...change } : e)) },
        });
    }
  };
  const removeEntry = (peerUserId: string, key: string) => {
    for (const list of lists) {
      const entries = get()[list][peerUserId];
      const gone = entries?.find((e) => e.key === key);
      if (!entries || !gone) continue;
      revoke(gone);
      set({ [list]: { ...get()[list], [peerUserId]: entries.filter((e) => e.key !== key) } });
    }
  };
  const addProblem = (peerUserId: string, problem: FileProblem) => {
    set({ problems: { ...get().problems, [peerUserId]: [...(get().problems[peerUserId] ?? []), problem] } });
  };
  const setTransfer = (update: TransferUpdate) =>
    set({ transfers: { ...get().transfers, [update.messageId]: update } });

  const newEntry = (file: File, voice?: VoiceMetadata): OutgoingEntry => ({
    key: `f${++keys}`,
    file,
    name: fileName(file),
    previewUrl: INLINE_IMAGE_TYPES.has(file.type) ? URL.createObjectURL(file) : null,
    ...(voice ? { voice } : {}),
    messageId: null,
    phase: 'starting',
    done: 0,
    total: file.size,
  });

  /** Hands a file to the core: announced (the server may refuse it), then its bytes in slices. */
  const handOver = (peerUserId: string, entry: OutgoingEntry): void => {
    const started = epoch;
    const stopped = () => cancelled.has(entry.key) || started !== epoch;
    const run = async (): Promise<string | null> => {
      let messageId: string | null = null;
      try {
        const image = await imageSize(entry.file);
        if (stopped()) return null;
        const outgoing: OutgoingFile = {
          name: entry.name,
          contentType: entry.file.type || 'application/octet-stream',
          size: entry.file.size,
          ...(image ? { image } : {}),
          ...(entry.voice ? { voice: entry.voice } : {}),
        };
        messageId = await parley.startAttachment(peerUserId, outgoing);
        if (stopped()) {
          // Discarded while the core was being asked: it never heard of the discard.
          if (started === epoch) void parley.cancelTransfer(messageId).catch(() => {});
          return null;
        }
        patchEntry(peerUserId, entry.key, { messageId, phase: 'appending' });
        // A slice at a time: a 100 MB file never sits whole in memory.
        const size = entry.file.size;
        for (let at = 0; at < size; at += ATTACHMENT_APPEND_BYTES) {
          const slice = entry.file.slice(at, Math.min(size, at + ATTACHMENT_APPEND_BYTES));
          const bytes = new Uint8Array(await slice.arrayBuffer());
          if (stopped()) return null;
          await parley.appendAttachment(messageId, bytes);
          if (stopped()) return null;
          patchEntry(peerUserId, entry.key, { done: at + bytes.byteLength });
        }
        patchEntry(peerUserId, entry.key, { phase: 'ready' });
        return messageId;
      } catch (error) {
        if (stopped()) return null;
        if (messageId) void parley.cancelTransfer(messageId).catch(() => {});
        removeEntry(peerUserId, entry.key);
        addProblem(peerUserId, { name: entry.name, size: entry.file.size, error });
        return null;
      }
    };
    handedOver.set(entry.key, run());
  };

  /** Sends files once they are handed over, in order; the caption (and the reply's quote) go with the first one sent. */
  const send = (peerUserId: string, entries: OutgoingEntry[], caption: string, replyTo?: string): Promise<boolean> => {
    const started = epoch;
    const run = async () => {
      let captionLeft = caption;
      let replyLeft = replyTo;
      for (const entry of entries) {
        const messageId = await handedOver.get(entry.key);
        handedOver.delete(entry.key);
        if (messageId && !cancelled.has(entry.key) && started === epoch) {
          try {
            const message = await parley.sendAttachment(messageId, captionLeft, replyLeft);
            captionLeft = '';
            replyLeft = undefined;
            if (started !== epoch) break;
            // The core also emits the message; `received` keeps one copy.
            useMessages.getState().received(message);
            if (!get().transfers[message.id])
              setTransfer({
                messageId: message.id,
                peerUserId,
                direction: 'upload',
                state: 'active',
                done: 0,
                total: message.attachment?.size ?? entry.file.size,
              });
          } catch (error) {
            if (started !== epoch) break;
            if (!cancelled.has(entry.key)) {
              void parley.cancelTransfer(messageId).catch(() => {});
              addProblem(peerUserId, { name: entry.name, size: entry.file.size, error });
            }
          }
        }
        if (started === epoch) removeEntry(peerUserId, entry.key);
      }
      return caption === '' || captionLeft === '';
    };
    const done = sendQueue.then(run, run);
    sendQueue = done.catch(() => {});
    return done;
  };

  return {
    ...initial,
    updated(update) {
      setTransfer(update);
      if (update.direction === 'download' && update.state === 'done')
        useMessages.getState().attachmentReady(update.messageId, update.peerUserId);
    },
    stage(peerUserId, files) {
      if (files.length === 0) return;
      const added = files.map((file) => newEntry(file));
      set({
        staged: { ...get().staged, [peerUserId]: [...(get().staged[peerUserId] ?? []), ...added] },
        problems: { ...get().problems, [peerUserId]: [] },
      });
      for (const entry of added) handOver(peerUserId, entry);
    },
    discard(peerUserId, key) {
      const entry = [...(get().staged[peerUserId] ?? []), ...(get().sending[peerUserId] ?? [])].find(
        (e) => e.key === key,
      );
      if (!entry) return;
      cancelled.add(key);
      if (entry.messageId) void parley.cancelTransfer(entry.messageId).catch(() => {});
      removeEntry(peerUserId, key);
    },
    sendStaged(peerUserId, caption, replyTo) {
      const entries = get().staged[peerUserId] ?? [];
      set({
        staged: { ...get().staged, [peerUserId]: [] },
        sending: { ...get().sending, [peerUserId]: [...(get().sending[peerUserId] ?? []), ...entries] },
      });
      return send(peerUserId, entries, caption, replyTo);
    },
    sendFile(peerUserId, file, meta, caption = '') {
      const entry = newEntry(file, meta.voice);
      set({
        sending: { ...get().sending, [peerUserId]: [...(get().sending[peerUserId] ?? []), entry] },
        problems: { ...get().problems, [peerUserId]: [] },
      });
      handOver(peerUserId, entry);
      return send(peerUserId, [entry], caption);
    },
    download(message) {
      const id = message.id;
      if (downloading.has(id) || !message.attachment) return;
      downloading.add(id);
      const started = epoch;
      const current = get().transfers[id];
      setTransfer({
        messageId: id,
        peerUserId: message.peerUserId,
        direction: 'download',
        state: 'active',
        done: current?.state === 'active' ? current.done : 0,
        total: message.attachment.size,
      });
      parley
        .downloadAttachment(id)
        .then(
          () => {
            if (started !== epoch) return;
            useMessages.getState().attachmentReady(id, message.peerUserId);
            const latest = get().transfers[id];
            setTransfer({
              messageId: id,
              peerUserId: message.peerUserId,
              direction: 'download',
              state: 'done',
              done: latest?.total ?? message.attachment?.size ?? 0,
              total: latest?.total ?? message.attachment?.size ?? 0,
            });
          },
          (error: unknown) => {
            if (started !== epoch) return;
            const latest = get().transfers[id];
            if (latest?.state === 'cancelled' || latest?.state === 'failed') return;
            setTransfer({
              messageId: id,
              peerUserId: message.peerUserId,
              direction: 'download',
              state: 'failed',
              done: latest?.done ?? 0,
              total: latest?.total ?? message.attachment?.size ?? 0,
              error: {
                code: errorCode(error) ?? 'INTERNAL',
                message: error instanceof Error ? error.message : String(error),
              },
            });
          },
        )
        .finally(() => downloading.delete(id));
    },
    async cancel(messageId) {
      const current = get().transfers[messageId];
      if (current?.state === 'active') setTransfer({ ...current, state: 'cancelled' });
      await parley.cancelTransfer(messageId);
    },
    async retryUpload(message) {
      // The failed state goes; the core's events show the new attempt.
      const current = get().transfers[message.id];
      const { [message.id]: _, ...rest } = get().transfers;
      set({ transfers: rest });
      try {
        await useMessages.getState().resend(message);
      } catch (error) {
        if (current && !get().transfers[message.id]) setTransfer(current);
        throw error;
      }
    },
    dismissProblems(peerUserId) {
      set({ problems: { ...get().problems, [peerUserId]: [] } });
    },
    reset() {
      epoch++;
      for (const list of [...Object.values(get().staged), ...Object.values(get().sending)])
        for (const entry of list) revoke(entry);
      downloading.clear();
      cancelled.clear();
      handedOver.clear();
      set(initial);
    },
  };
});
