import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';

/** The PostgreSQL URL the server runs on (for connections of its own, outside TypeORM's pool). */
export const DATABASE_URL = Symbol('DATABASE_URL');

/** The one TypeORM configuration: schema changes only through migrations, run at start. */
export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5_000 },
  };
}
