import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
// keytar's libsecret cannot be unloaded and loaded again in one process (GLib registers its types
// once): loaded here, on the shell's thread, it stays resident for every core thread this process starts.
import 'keytar';
import type { BridgeResult, BridgeTransport } from '../bridge/bridge.js';
import { type CoreThreadData, FromCore, type ToCore } from '../bridge/core-thread-protocol.js';
import type { AttachmentResponse } from './attachments/serve.js';

const STOPPED: BridgeResult = { ok: false, error: { code: 'INTERNAL', message: 'The core has stopped' } };

/** A copy of a byte view holding only its bytes: cloning a view copies its whole underlying buffer. */
const ownBytes = (arg: unknown) => (arg instanceof Uint8Array ? Uint8Array.prototype.slice.call(arg) : arg);

/**
 * The shells' side of the core's own thread (`worker.ts`): a `BridgeTransport`, so a shell serves
 * its page or window exactly as it would an in-process core, plus what only a shell needs (an
 * attachment's plaintext as a stream) and a clean stop. Typed errors come back as results.
 */
export class CoreThread implements BridgeTransport {
  /** Settles with the reason if the core's thread dies without `close`; a shell reports it. */
  readonly crashed: Promise<Error>;
  private readonly worker: Worker;
  private readonly listeners = new Set<(event: string, payload: unknown) => void>();
  private readonly calls = new Map<number, (result: BridgeResult) => void>();
  private readonly heads = new Map<number, (answer: AttachmentResponse) => void>();
  private readonly bodies = new Map<number, Readable>();
  private nextId = 1;
  private exited = false;
  private closing: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;

  constructor(options: CoreThreadData) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: options });
    let crash: (error: Error) => void = () => {};
    this.crashed = new Promise((resolve) => {
      crash = resolve;
    });
    let failure: Error | undefined;
    this.worker.on('message', (raw: unknown) => this.receive(raw));
    this.worker.on('error', (error) => {
      failure = error;
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.failPending();
      if (!this.closing) crash(failure ?? new Error(`The core's thread exited with code ${code}`));
      this.onClosed?.();
    });
  }

  invoke(method: unknown, args: unknown): Promise<BridgeResult> {
    if (this.exited) return Promise.resolve(STOPPED);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.calls.set(id, resolve);
      try {
        this.worker.postMessage({
          type: 'call',
          id,
          method,
          args: Array.isArray(args) ? args.map(ownBytes) : args,
        } satisfies ToCore);
      } catch {
        this.calls.delete(id);
        resolve({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'These arguments cannot reach the core' } });
      }
    });
  }

  subscribe(listener: (event: string, payload: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `attachmentResponse` run by the core; the body streams across a chunk at a time, as it is read. */
  attachment(messageId: string, options: { range?: string | null; download: boolean }): Promise<AttachmentResponse> {
    if (this.exited) return Promise.resolve({ status: 503, headers: {}, body: null });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.heads.set(id, resolve);
      this.post({ type: 'attachment', id, messageId, range: options.range ?? null, download: options.download });
    });
  }

  /** Closes the core (its store, its connection), then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.exited) {
        const closed = new Promise<void>((resolve) => {
          this.onClosed = resolve;
        });
        this.post({ type: 'close' });
        await closed;
      }
      await this.worker.terminate();
    })();
    return this.closing;
  }

  private post(message: ToCore): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  private receive(raw: unknown): void {
    const parsed = FromCore.safeParse(raw);
    if (!parsed.success) {
      console.error('parley: malformed message from the core thread', parsed.error.issues);
      // A call waiting for it still gets an answer (say, an error with a code outside the contract).
      const id = (raw as { id?: unknown } | null)?.id;
      const waiting = typeof id === 'number' ? this.calls.get(id) : undefined;
      if (waiting) {
        this.calls.delete(id as number);
        waiting({ ok: false, error: { code: 'INTERNAL', message: 'Something went wrong' } });
      }
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'result':
        this.calls.get(message.id)?.(message.result);
        this.calls.delete(message.id);
        break;
      case 'event':
        for (const listener of this.listeners) listener(message.event, message.payload);
        break;
      case 'head':
        this.heads.get(message.id)?.({
          status: message.status,
          headers: message.headers,
          body: message.body ? this.body(message.id) : null,
        });
        this.heads.delete(message.id);
        break;
      case 'chunk':
        this.bodies.get(message.id)?.push(message.bytes);
        break;
      case 'end': {
        const body = this.bodies.get(message.id);
        this.bodies.delete(message.id);
        if (message.error) body?.destroy(new Error(message.error));
        else body?.push(null);
        break;
      }
      case 'closed':
        this.onClosed?.();
        break;
    }
  }

  /** An attachment body: each read asks the core for the next chunk; destroying it stops the core's reader. */
  private body(id: number): Readable {
    const body = new Readable({
      read: () => this.post({ type: 'pull', id }),
      destroy: (error, done) => {
        if (this.bodies.delete(id)) this.post({ type: 'cancel', id });
        done(error);
      },
    });
    this.bodies.set(id, body);
    return body;
  }

  private failPending(): void {
    for (const resolve of this.calls.values()) resolve(STOPPED);
    for (const resolve of this.heads.values()) resolve({ status: 503, headers: {}, body: null });
    for (const body of this.bodies.values()) body.destroy(new Error('The core has stopped'));
    this.calls.clear();
    this.heads.clear();
    this.bodies.clear();
  }
}
