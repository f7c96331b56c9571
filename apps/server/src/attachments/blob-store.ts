import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Encrypted attachment blobs on the filesystem under `<DATA_DIR>/attachments`. A blob is written
 * to `.partial/` and renamed into place only once complete and flushed, so a reader never sees a
 * half-written one, and a write cut off (a dropped connection, a killed server) leaves only a
 * partial file that `sweepPartials` removes.
 */
export class BlobStore {
  private readonly partials: string;

  constructor(private readonly dir: string) {
    this.partials = join(dir, '.partial');
  }

  async init(): Promise<void> {
    await mkdir(this.partials, { recursive: true, mode: 0o700 });
  }

  /** Stores exactly `size` bytes from `source` as blob `id`; anything else fails and stores nothing. */
  async write(id: string, source: Readable, size: number): Promise<void> {
    const partial = join(this.partials, `${id}.${randomBytes(6).toString('hex')}`);
    let received = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            received += chunk.length;
            if (received > size) throw new SizeMismatch(size);
            yield chunk;
          }
          if (received !== size) throw new SizeMismatch(size);
        },
        createWriteStream(partial, { mode: 0o600 }),
      );
      const handle = await open(partial, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(partial, this.path(id));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  read(id: string): Readable {
    return createReadStream(this.path(id));
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  /** Removes partial writes older than `olderThanMs` (a live upload keeps writing to its own). */
  async sweepPartials(olderThanMs: number): Promise<void> {
    for (const name of await readdir(this.partials)) {
      const file = join(this.partials, name);
      const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: Date.now() }));
      if (Date.now() - mtimeMs > olderThanMs) await rm(file, { force: true });
    }
  }

  private path(id: string): string {
    return join(this.dir, id);
  }
}

export class SizeMismatch extends Error {
  constructor(readonly expected: number) {
    super(`the body must be exactly ${expected} bytes`);
  }
}
