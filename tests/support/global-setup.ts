import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startTestKeyring, waitForKeyring } from './keyring.js';
import { provideRedis } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL with the right to create databases; each test file makes its own. */
    pgAdminUrl: string;
    /** A Redis for multi-instance tests (each test file uses its own key prefix); '' when none. */
    redisUrl: string;
  }
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Tests need a real PostgreSQL: TEST_DATABASE_URL if given, else a local one on 5432, else an
 * embedded PostgreSQL started for this run (so a machine without PostgreSQL still runs them).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every test process (and what it spawns) talks to a private keyring, never the user's own.
  const keyring = startTestKeyring();
  Object.assign(process.env, keyring.env);
  await waitForKeyring(keyring.env);
  const stopDatabase = await provideDatabase(project);
  const redis = await provideRedis();
  project.provide('redisUrl', redis.url ?? '');
  return async () => {
    await stopDatabase();
    redis.stop();
    keyring.stop();
  };
}

async function provideDatabase(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    if (!(await reachable(given))) throw new Error(`TEST_DATABASE_URL is set but PostgreSQL does not answer there`);
    project.provide('pgAdminUrl', given);
    return async () => {};
  }
  if (await reachable(DEFAULT_ADMIN_URL)) {
    project.provide('pgAdminUrl', DEFAULT_ADMIN_URL);
    return async () => {};
  }
  const { startEmbeddedPostgres } = await import('../../apps/server/dist/database/embedded.js');
  const { default: pino } = await import('pino');
  const dir = await mkdtemp(join(tmpdir(), 'parley-test-pg-'));
  const db = await startEmbeddedPostgres(dir, pino({ level: 'warn' }));
  const admin = new URL(db.url);
  admin.pathname = '/postgres';
  console.log('No PostgreSQL on 127.0.0.1:5432: running the tests on an embedded one');
  project.provide('pgAdminUrl', admin.toString());
  return async () => {
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
