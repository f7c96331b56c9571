import { searchFold } from '@parley/shared';
import Database from 'better-sqlite3-multiple-ciphers';
import { CoreError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the local store, encrypted at rest with SQLCipher 4 using a raw
 * 256-bit key, and brings its schema up to date. A wrong or missing key fails here.
 */
export function openDatabase(path: string, key: Buffer): Db {
  if (key.length !== 32) throw new Error('the database key must be 32 bytes');
  const db = new Database(path);
  try {
    db.pragma(`cipher = 'sqlcipher'`);
    db.pragma('legacy = 4');
    db.pragma(`key = "x'${key.toString('hex')}'"`);
    // Fails unless the key opens the file.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    db.close();
    throw new CoreError(
      'LOCAL_STORE_LOCKED',
      `The local store cannot be opened with this key: ${(error as Error).message}`,
    );
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Sorts, FTS merges and VACUUM otherwise spill to temporary files, which the cipher does not encrypt.
  db.pragma('temp_store = MEMORY');
  migrate(db);
  return db;
}

/**
 * Brings the schema up to date, with the SQL function its triggers call on every write: the search
 * index holds `search_fold(text)` (migration 7). Called on every opening of a database.
 */
export function migrate(db: Db): void {
  db.function('search_fold', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? searchFold(text) : text,
  );
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
