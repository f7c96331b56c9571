import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@parley/desktop';
import { describe, expect, it } from 'vitest';

/** The process's open files (SQLite unlinks its temporary files as it opens them: only this shows them). */
async function openFiles(): Promise<string[]> {
  return (await readdir('/proc/self/fd')).map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // closed meanwhile
    }
  });
}

describe('the encrypted local store', () => {
  it.runIf(process.platform === 'linux')(
    'keeps temporary data in memory: a sort larger than the cache opens no (unencrypted) temporary file',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'parley-temp-'));
      const db = openDatabase(join(dir, 'parley.db'), randomBytes(32));
      try {
        expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
        db.pragma('cache_size = -64'); // 64 KiB: the sort below cannot fit in the page cache
        db.exec('CREATE TABLE rows (text TEXT)');
        const insert = db.prepare('INSERT INTO rows VALUES (?)');
        db.transaction(() => {
          for (let i = 0; i < 30_000; i++) insert.run(`secret ${randomBytes(100).toString('hex')}`);
        })();
        const sorted = db.prepare('SELECT text FROM rows ORDER BY text').iterate();
        sorted.next(); // the sort has run, and its spill (if any) is open now
        const open = await openFiles();
        sorted.return?.();
        expect(open.some((path) => path.endsWith('parley.db'))).toBe(true);
        expect(open.filter((path) => path.includes('etilqs_'))).toEqual([]);
      } finally {
        db.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
