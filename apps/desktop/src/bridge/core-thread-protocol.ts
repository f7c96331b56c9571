import { CLIENT_API_EVENTS, CLIENT_ERROR_CODES, ERROR_CODES } from '@parley/shared';
import { z } from 'zod';

/**
 * The messages between a shell's main thread and the core's own thread (`core/core-thread.ts` on
 * the shell's side, `core/worker.ts` on the core's). Each side parses what it receives. A call's
 * method and arguments stay `unknown` here: the core's side checks them with `serveCall`, as a
 * call from the page is checked. Runtime: any.
 */

const Id = z.number().int().positive();

/** What the core's thread is started with (`workerData`). */
export const CoreThreadData = z.object({
  dataDir: z.string().min(1),
  serverUrl: z.url(),
  /** Tests only: hosts a link preview may fetch from private addresses (`LinkPreviewOptions`). */
  linkPreviews: z.object({ allowPrivateHosts: z.array(z.string()).optional() }).optional(),
});
export type CoreThreadData = z.infer<typeof CoreThreadData>;

/** Shell → core. An attachment's plaintext is read a chunk per `pull`, so a slow reader holds the decryption back. */
export const ToCore = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: Id, method: z.unknown(), args: z.unknown() }),
  z.object({
    type: z.literal('attachment'),
    id: Id,
    messageId: z.string(),
    range: z.string().nullable(),
    download: z.boolean(),
  }),
  z.object({ type: z.literal('pull'), id: Id }),
  z.object({ type: z.literal('cancel'), id: Id }),
  z.object({ type: z.literal('close') }),
]);
export type ToCore = z.infer<typeof ToCore>;

const ClientError = z.object({
  code: z.enum([...ERROR_CODES, ...CLIENT_ERROR_CODES]),
  message: z.string(),
  details: z.unknown().optional(),
});

/** Core → shell. */
export const FromCore = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('result'),
    id: Id,
    result: z.union([
      z.object({ ok: z.literal(true), value: z.unknown() }),
      z.object({ ok: z.literal(false), error: ClientError }),
    ]),
  }),
  z.object({ type: z.literal('event'), event: z.enum(CLIENT_API_EVENTS), payload: z.unknown() }),
  /** An attachment's answer; with `body`, its bytes follow as `chunk`s (one per `pull`) and an `end`. */
  z.object({
    type: z.literal('head'),
    id: Id,
    status: z.number().int(),
    headers: z.record(z.string(), z.string()),
    body: z.boolean(),
  }),
  z.object({ type: z.literal('chunk'), id: Id, bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array) }),
  z.object({ type: z.literal('end'), id: Id, error: z.string().optional() }),
  /** The core has closed (after `close`): the thread may be ended. */
  z.object({ type: z.literal('closed') }),
]);
export type FromCore = z.infer<typeof FromCore>;
