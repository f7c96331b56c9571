import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ATTACHMENT_CHUNK_BYTES, ATTACHMENT_CHUNK_OVERHEAD_BYTES, ATTACHMENT_HEADER_BYTES } from '@parley/shared';
import sodium, { type StateAddress } from 'libsodium-wrappers';
import { CoreError } from '../errors.js';

/** libsodium's WebAssembly, loaded once. */
export const sodiumReady = sodium.ready;

/** A fresh random file key (32 bytes). Call after `sodiumReady`. */
export const newAttachmentKey = (): Uint8Array => sodium.crypto_secretstream_xchacha20poly1305_keygen();

/** Collects bytes until a whole unit of `size` is there; the rest waits for the next chunk. */
class Chunker {
  private parts: Buffer[] = [];
  private length = 0;

  add(chunk: Buffer): void {
    this.parts.push(chunk);
    this.length += chunk.length;
  }

  /** The next `size` bytes, or nothing while fewer (or, with `whenMore`, no more than that) are buffered. */
  take(size: number, whenMore = false): Buffer | null {
    if (this.length < size || (whenMore && this.length === size)) return null;
    const all = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.length);
    this.parts = all.length > size ? [all.subarray(size)] : [];
    this.length -= size;
    return all.subarray(0, size);
  }

  rest(): Buffer {
    const all = Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    return all;
  }
}

/**
 * Encrypts a file as it streams through: the secretstream header, then every full chunk, then
 * the final (partial or empty) chunk. Memory stays at about one chunk whatever the file's size.
 * `digest()` is the SHA-256 of the ciphertext, once the stream has ended.
 */
export class AttachmentEncryptor extends Transform {
  private readonly state: StateAddress;
  private readonly header: Uint8Array;
  private readonly pending = new Chunker();
  private readonly hash: Hash = createHash('sha256');
  private started = false;

  constructor(key: Uint8Array) {
    super();
    const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    this.state = state;
    this.header = header;
  }

  digest(): Buffer {
    return this.hash.digest();
  }

  override _transform(chunk: Buffer, _: BufferEncoding, done: TransformCallback): void {
    this.start();
    this.pending.add(chunk);
    for (let next = this.pending.take(ATTACHMENT_CHUNK_BYTES); next; next = this.pending.take(ATTACHMENT_CHUNK_BYTES)) {
      this.emit_(next, sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.start();
    this.emit_(this.pending.rest(), sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    done();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.out(this.header);
  }

  private emit_(plain: Uint8Array, tag: number): void {
    this.out(sodium.crypto_secretstream_xchacha20poly1305_push(this.state, plain, null, tag));
  }

  private out(bytes: Uint8Array): void {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.hash.update(buffer);
    this.push(buffer);
  }
}

const corrupt = (why: string) => new CoreError('ATTACHMENT_CORRUPT', `The attachment ${why}`);

/**
 * Decrypts what `AttachmentEncryptor` made. Every chunk is authenticated as it arrives; a
 * truncated file (no final chunk), extra bytes after it, or a wrong key fail with ATTACHMENT_CORRUPT.
 */
export class AttachmentDecryptor extends Transform {
  private state: StateAddress | null = null;
  private readonly pending = new Chunker();
  private finished = false;

  constructor(private readonly key: Uint8Array) {
    super();
  }

  override _transform(chunk: Buffer, _: BufferEncoding, done: TransformCallback): void {
    this.pending.add(chunk);
    try {
      if (!this.state) {
        const header = this.pending.take(ATTACHMENT_HEADER_BYTES);
        if (!header) {
          done();
          return;
        }
        this.state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, this.key);
      }
      // A full-size chunk is held back while it might be the last one (its tag says).
      const size = ATTACHMENT_CHUNK_BYTES + ATTACHMENT_CHUNK_OVERHEAD_BYTES;
      for (let next = this.pending.take(size, true); next; next = this.pending.take(size, true)) this.open(next);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.state) throw corrupt('is truncated');
      this.open(this.pending.rest());
      if (!this.finished) throw corrupt('is truncated');
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private open(cipher: Buffer): void {
    if (this.finished) throw corrupt('has bytes after its end');
    let opened: { message: Uint8Array; tag: number } | false | null = null;
    try {
      opened = this.state && sodium.crypto_secretstream_xchacha20poly1305_pull(this.state, cipher, null);
    } catch {} // too short to be a chunk
    if (!opened) throw corrupt('does not decrypt (wrong key or damaged)');
    if (opened.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL) this.finished = true;
    this.push(Buffer.from(opened.message.buffer, opened.message.byteOffset, opened.message.byteLength));
  }
}
