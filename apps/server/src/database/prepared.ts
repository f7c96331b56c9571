import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Runs a hot-path statement as a named prepared statement, on TypeORM's pool: PostgreSQL parses it
 * once per connection and, once it has settled on a generic plan, plans it once too (TypeORM's
 * `query` sends every statement unnamed, to be parsed and planned again each time).
 */
export async function preparedQuery<T>(db: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (db.driver as unknown as { master: Pool }).master;
  return (await pool.query({ name, text, values })).rows as T[];
}
