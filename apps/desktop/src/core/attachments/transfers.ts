import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { API_PREFIX, type AttachmentPointer, attachmentCiphertextSize, ErrorBody } from '@parley/shared';
import { CoreError } from '../errors.js';
import type { ServerSession } from '../net/server-session.js';
import { AttachmentDecryptor, AttachmentEncryptor, newAttachmentKey, sodiumReady } from './crypto.js';

/** Bytes moved so far and the total, for progress bars. */
export type Progress = (done: number, total: number) => void;

/** What an upload gives the message that refers to it (name, type and metadata come from the UI). */
export type UploadedAttachment = Pick<AttachmentPointer, 'id' | 'key' | 'digest' | 'size'>;

/**
 * Counts the bytes passing through for progress, and hashes them when given a hash. More than
 * `total` fails at once (ATTACHMENT_CORRUPT): a source that sends more than announced is cut off
 * rather than filling the disk.
 */
class Meter extends Transform {
  private done = 0;
  constructor(
    private readonly total: number,
    private readonly onProgress?: Progress,
    private readonly hash?: Hash,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _: BufferEncoding, next: TransformCallback): void {
    this.done += chunk.length;
    if (this.done > this.total) {
      next(new CoreError('ATTACHMENT_CORRUPT', `More than the attachment's ${this.total} bytes`));
      return;
    }
    this.hash?.update(chunk);
    this.onProgress?.(this.done, this.total);
    next(null, chunk);
  }
}

/**
 * Attachments between this device and the server. The local copy of every attachment is its
 * ciphertext under `<dataDir>/attachments/<id>` (the key lives only in the message, in the
 * encrypted store), so nothing readable is ever on disk and a failed upload can be retried from
 * it. Files stream through in chunks: memory stays flat whatever their size.
 */
export class AttachmentTransfers {
  constructor(
    private readonly serverUrl: string,
    private readonly session: ServerSession,
    private readonly dir: string,
  ) {}

  /**
   * Announces a file of `size` bytes read from `source` and encrypts it into the local copy;
   * `upload` then sends it (and can be called again if it fails).
   */
  async prepare(
    recipientUserId: string,
    source: Readable,
    size: number,
    signal?: AbortSignal,
  ): Promise<UploadedAttachment> {
    return this.encrypt(await this.announce(recipientUserId, size), source, size, signal);
  }

  /**
   * Tells the server a file of `size` (plaintext) bytes is coming for `recipientUserId`; returns
   * its id. Over the server's limit this fails (ATTACHMENT_TOO_LARGE, with `maxBytes`), before
   * anything is read.
   */
  async announce(recipientUserId: string, size: number): Promise<string> {
    const body = { recipientUserId, size: attachmentCiphertextSize(size) };
    return (await this.session.call('createAttachment', { body })).id;
  }

  /**
   * Announces a prepared file again under a new id (the server forgets an announcement left
   * without an upload for a day) and moves the local copy to it; returns the new id.
   */
  async reannounce(id: string, recipientUserId: string, size: number): Promise<string> {
    const fresh = await this.announce(recipientUserId, size);
    await rename(this.localPath(id), this.localPath(fresh));
    return fresh;
  }

  /**
   * Lets `recipientUserId` fetch a blob already on the server (a forwarded file). NOT_FOUND when
   * the server no longer has it, or I may not fetch it myself.
   */
  async share(id: string, recipientUserId: string): Promise<void> {
    await this.session.call('shareAttachment', { params: { id }, body: { recipientUserId } });
  }

  /** Announces a copy of a local file under a new id (a forwarded file the server no longer has); returns the id. */
  async announceCopy(id: string, recipientUserId: string, size: number): Promise<string> {
    const fresh = await this.announce(recipientUserId, size);
    await copyFile(this.localPath(id), this.localPath(fresh));
    return fresh;
  }

  /** Deletes a local copy (its message was deleted). */
  async remove(id: string): Promise<void> {
    await rm(this.localPath(id), { force: true });
  }

  /** Encrypts exactly `size` bytes from `source` into the local copy of announced attachment `id`. */
  async encrypt(id: string, source: Readable, size: number, signal?: AbortSignal): Promise<UploadedAttachment> {
    await sodiumReady;
    const key = newAttachmentKey();
    const encryptor = new AttachmentEncryptor(key);
    const partial = await this.partialPath(id);
    try {
      await pipeline(source, encryptor, createWriteStream(partial, { mode: 0o600 }), { signal });
      if ((await stat(partial)).size !== attachmentCiphertextSize(size)) {
        throw new CoreError('VALIDATION_FAILED', `The file is not the ${size} bytes it was said to be`);
      }
      await rename(partial, this.localPath(id));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { id, key: Buffer.from(key).toString('base64'), digest: encryptor.digest().toString('base64'), size };
  }

  /** Sends the local copy (again, after a failure); an upload the server already has counts as done. */
  async upload(id: string, onProgress?: Progress, signal?: AbortSignal): Promise<void> {
    const path = this.localPath(id);
    const { size } = await stat(path);
    const url = new URL(`${this.serverUrl}${API_PREFIX}/attachments/${id}`);
    const headers = {
      authorization: `Bearer ${await this.session.token()}`,
      'content-type': 'application/octet-stream',
      'content-length': String(size),
    };
    // node:http rather than fetch: fetch reads a streamed body ahead of the socket (a whole
    // 100 MB file in memory, measured by bench:attachments); a pipeline into the request does not.
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'PUT', headers, signal });
    const answered = new Promise<IncomingMessage>((ok, fail) => {
      request.once('response', ok);
      request.once('error', fail);
    });
    const sent = pipeline(createReadStream(path), new Meter(size, onProgress), request);
    let res: IncomingMessage;
    try {
      res = await answered;
    } catch (error) {
      sent.catch(() => {});
      if ((error as Error).name === 'AbortError') throw error;
      throw new CoreError('NETWORK', `The server cannot be reached: ${(error as Error).message}`);
    }
    await sent.catch(() => {}); // an early answer (a refusal) may cut the body off
    const body = await text(res);
    if (res.statusCode && res.statusCode < 300) return;
    const error = this.failure(res.statusCode ?? 0, body);
    if (error.code !== 'ALREADY_UPLOADED') throw error; // already there: an earlier try got through
  }

  /**
   * Fetches the attachment into the local copy, checking its size and digest. A local copy already
   * there is kept only if it matches the digest too; otherwise it is fetched again.
   */
  async download(pointer: AttachmentPointer, onProgress?: Progress, signal?: AbortSignal): Promise<void> {
    const path = this.localPath(pointer.id);
    if (existsSync(path)) {
      if ((await digestOf(path)) === pointer.digest) return;
      await rm(path, { force: true });
    }
    const res = await this.get(`/attachments/${pointer.id}`, signal);
    if (!res.ok || !res.body) throw this.failure(res.status, await res.text().catch(() => ''));
    const total = attachmentCiphertextSize(pointer.size);
    const hash = createHash('sha256');
    const partial = await this.partialPath(pointer.id);
    try {
      await pipeline(res.body, new Meter(total, onProgress, hash), createWriteStream(partial, { mode: 0o600 }), {
        signal,
      });
      if (hash.digest('base64') !== pointer.digest) {
        throw new CoreError('ATTACHMENT_CORRUPT', 'The attachment does not match its digest');
      }
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  /** The plaintext of a downloaded (or sent) attachment, decrypted as it is read. */
  open(pointer: AttachmentPointer): Readable {
    const decryptor = new AttachmentDecryptor(Buffer.from(pointer.key, 'base64'));
    const file = createReadStream(this.localPath(pointer.id));
    file.on('error', (error) => decryptor.destroy(error));
    return file.pipe(decryptor);
  }

  /** Removes unfinished encryptions and downloads (call before any transfer starts). */
  async clearPartials(): Promise<void> {
    await rm(join(this.dir, '.partial'), { recursive: true, force: true });
  }

  private localPath(id: string): string {
    return join(this.dir, id);
  }

  private async partialPath(id: string): Promise<string> {
    await mkdir(join(this.dir, '.partial'), { recursive: true, mode: 0o700 });
    return join(this.dir, '.partial', `${id}.${randomBytes(6).toString('hex')}`);
  }

  private async get(path: string, signal?: AbortSignal): Promise<Response> {
    const token = await this.session.token();
    try {
      return await fetch(`${this.serverUrl}${API_PREFIX}${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new CoreError('NETWORK', `The server cannot be reached: ${(error as Error).message}`);
    }
  }

  private failure(status: number, body: string): CoreError {
    let json: unknown = null;
    try {
      json = JSON.parse(body);
    } catch {}
    const parsed = ErrorBody.safeParse(json);
    return parsed.success
      ? new CoreError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.details)
      : new CoreError('NETWORK', `Unexpected answer ${status}`);
  }
}

async function digestOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('base64');
}

async function text(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res) body += chunk;
  return body;
}
