import type Database from 'better-sqlite3-multiple-ciphers';
import type { Db } from './database.js';

export type Statement = Database.Statement<unknown[]>;

/** A repository's statements by name, compiled from its table of SQL. */
export type Statements<T extends Record<string, string>> = { readonly [K in keyof T]: Statement };

/**
 * Compiles a repository's statements once, when the store opens: preparing is most of a small
 * query's cost, and a statement that does not fit the schema fails at once rather than mid-use.
 */
export function prepare<T extends Record<string, string>>(db: Db, sql: T): Statements<T> {
  return Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)])) as Statements<T>;
}
