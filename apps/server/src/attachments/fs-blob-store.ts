import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFound, type BlobStore, exactly } from './blob-store.js';

/**
 * Encrypted attachment blobs on the filesystem under `<DATA_DIR>/attachments`. A blob is written
 * to `.partial/` and renamed into place only once complete and flushed, so a reader never sees a
 * half-written one, and a write cut off (a dropped connection, a killed server) leaves only a
 * partial file that `sweepPartials` removes.
 */
export class FsBlobStore implements BlobStore {
  private readonly partials: string;

  constructor(private readonly dir: string) {
    this.partials = join(dir, '.partial');
  }

  async init(): Promise<void> {
    await mkdir(this.partials, { recursive: true, mode: 0o700 });
  }

  async write(id: string, source: Readable, size: number): Promise<void> {
    const partial = join(this.partials, `${id}.${randomBytes(6).toString('hex')}`);
    try {
      await pipeline(source, exactly(size), createWriteStream(partial, { mode: 0o600 }));
      const handle = await open(partial, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(partial, this.path(id));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async read(id: string): Promise<Readable> {
    const handle = await open(this.path(id), 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new BlobNotFound(id) : error;
    });
    return handle.createReadStream();
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
