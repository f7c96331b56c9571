import { parentPort, workerData } from 'node:worker_threads';
import { forwardEvents, serveCall } from '../bridge/bridge.js';
import { CoreThreadData, type FromCore, ToCore } from '../bridge/core-thread-protocol.js';
import { attachmentResponse } from './attachments/serve.js';
import { ParleyCore } from './core.js';

/**
 * The core's own thread (started by `CoreThread`, core-thread.ts): the real `ParleyCore`, served
 * over `parentPort` with the same `serveCall` / `forwardEvents` as any bridge, so its SQLite
 * commits and Signal crypto never hold up a shell's main thread.
 */
const port = parentPort;
if (!port) throw new Error('core/worker.js runs as a worker thread: start it with CoreThread');

const core = new ParleyCore(CoreThreadData.parse(workerData));
// Open the keychain and the store while the shell starts; a failure is reported when the UI asks.
core.restoreSession().catch(() => {});

const post = (message: FromCore) => port.postMessage(message);
const stopEvents = forwardEvents(core, (event, payload) => post({ type: 'event', event, payload }));
/** Attachment bodies being read by the shell, by request id. */
const bodies = new Map<number, AsyncIterator<Buffer>>();

async function call(id: number, method: unknown, args: unknown): Promise<void> {
  const result = await serveCall(core, method, args, (error, name) =>
    console.error(`parley core: ${name} failed`, error),
  );
  try {
    post({ type: 'result', id, result });
  } catch (error) {
    // A value the thread boundary cannot copy is a core bug: the caller still gets an answer.
    console.error(`parley core: the answer to ${String(method)} cannot cross the thread`, error);
    post({ type: 'result', id, result: { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong' } } });
  }
}

function openAttachment(id: number, messageId: string, range: string | null, download: boolean): void {
  try {
    const { status, headers, body } = attachmentResponse(core, messageId, { range, download });
    if (body) bodies.set(id, body[Symbol.asyncIterator]());
    post({ type: 'head', id, status, headers, body: !!body });
  } catch (error) {
    console.error('parley core: opening an attachment failed', error);
    post({ type: 'head', id, status: 500, headers: {}, body: false });
  }
}

async function pull(id: number): Promise<void> {
  const body = bodies.get(id);
  if (!body) return;
  try {
    const next = await body.next();
    if (next.done) {
      bodies.delete(id);
      post({ type: 'end', id });
    } else post({ type: 'chunk', id, bytes: next.value });
  } catch (error) {
    bodies.delete(id);
    post({ type: 'end', id, error: (error as Error).message });
  }
}

port.on('message', (raw: unknown) => {
  const parsed = ToCore.safeParse(raw);
  if (!parsed.success) {
    console.error('parley core: malformed message from the shell', parsed.error.issues);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'call':
      void call(message.id, message.method, message.args);
      break;
    case 'attachment':
      openAttachment(message.id, message.messageId, message.range, message.download);
      break;
    case 'pull':
      void pull(message.id);
      break;
    case 'cancel':
      void bodies.get(message.id)?.return?.();
      bodies.delete(message.id);
      break;
    case 'close':
      void core
        .close()
        .catch((error: unknown) => console.error('parley core: closing failed', error))
        .then(() => {
          stopEvents();
          post({ type: 'closed' });
        });
      break;
  }
});
