import type { Readable } from 'node:stream';

/**
 * Where encrypted attachment blobs live: the filesystem under `DATA_DIR/attachments` by default
 * (`FsBlobStore`), an S3-compatible bucket when `ATTACHMENT_S3_BUCKET` is set (`S3BlobStore`).
 * Blobs are ciphertext; the server never has their keys.
 */
export interface BlobStore {
  /** Checks the store is usable (creates folders, reaches the bucket); a failure stops the boot. */
  init(): Promise<void>;
  /**
   * Stores exactly `size` bytes from `source` as blob `id`, whole or not at all: a body of any
   * other length fails with `SizeMismatch`, and a write cut off at any point (the source errors,
   * the server dies) never leaves a readable half-written blob.
   */
  write(id: string, source: Readable, size: number): Promise<void>;
  /** The blob as a stream; `BlobNotFound` if there is none. */
  read(id: string): Promise<Readable>;
  /** Removes the blob; removing a missing one is no error. */
  remove(id: string): Promise<void>;
  /** Removes what writes cut off longer than `olderThanMs` ago left behind, where that exists. */
  sweepPartials(olderThanMs: number): Promise<void>;
}

export class SizeMismatch extends Error {
  constructor(readonly expected: number) {
    super(`the body must be exactly ${expected} bytes`);
  }
}

export class BlobNotFound extends Error {
  constructor(readonly id: string) {
    super(`no blob ${id}`);
  }
}

/** A pipeline step passing `source` through unchanged if it is exactly `size` bytes, else failing with `SizeMismatch`. */
export function exactly(size: number) {
  return async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let received = 0;
    for await (const chunk of chunks) {
      received += chunk.length;
      if (received > size) throw new SizeMismatch(size);
      yield chunk;
    }
    if (received !== size) throw new SizeMismatch(size);
  };
}
