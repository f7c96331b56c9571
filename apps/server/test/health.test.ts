import { randomBytes, randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadinessResponse } from '@parley/shared';
import { createTestDatabase, type TestDatabase } from '@parley/test-support/database';
import { provideRedis } from '@parley/test-support/redis';
import { RELAXED_LIMITS, type ServerProcess, startServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOKEN = randomBytes(24).toString('hex');
let db: TestDatabase;
let redis: Awaited<ReturnType<typeof provideRedis>>;
let server: ServerProcess;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await provideRedis();
  if (!redis.url) throw new Error('The readiness tests need Redis: install redis-server, or set TEST_REDIS_URL');
  server = await startServer({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    METRICS_TOKEN: TOKEN,
    ...RELAXED_LIMITS,
  });
});
afterAll(async () => {
  await server?.kill('SIGKILL'); // its Redis is gone by the end: no graceful goodbye to wait for
  redis?.stop();
  await db?.drop();
});

async function ready(): Promise<{ status: number; body: ReadinessResponse }> {
  const res = await fetch(`${server.baseUrl}/health/ready`);
  return { status: res.status, body: (await res.json()) as ReadinessResponse };
}

describe('health probes', () => {
  it('live answers while the process runs; ready checks every dependency', async () => {
    const live = await fetch(`${server.baseUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    expect(await ready()).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'up', migrations: 'up', blobStore: 'up', redis: 'up' } },
    });
  });

  it('not ready while the blob store is unusable', async () => {
    const store = join(server.dataDir, 'attachments');
    await rename(store, `${store}.away`);
    await writeFile(store, 'not a directory');
    try {
      expect(await ready()).toMatchObject({
        status: 503,
        body: { status: 'not_ready', checks: { blobStore: 'down' } },
      });
    } finally {
      await rm(store);
      await rename(`${store}.away`, store);
    }
    expect((await ready()).status).toBe(200);
  });

  it('not ready while a migration is pending', async () => {
    const [last] = await db.query<{ id: number; timestamp: string; name: string }>(
      'SELECT * FROM migrations ORDER BY timestamp DESC LIMIT 1',
    );
    await db.query('DELETE FROM migrations WHERE id = $1', [last?.id]);
    try {
      expect(await ready()).toMatchObject({ status: 503, body: { checks: { migrations: 'down', database: 'up' } } });
    } finally {
      await db.query('INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [
        last?.id,
        last?.timestamp,
        last?.name,
      ]);
    }
    expect((await ready()).status).toBe(200);
  });

  it('serves /metrics on the main port behind METRICS_TOKEN alone', async () => {
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('parley_sockets_connected');
  });

  // A private redis-server is stopped here; a shared one (TEST_REDIS_URL) is not ours to stop.
  it.skipIf(Boolean(process.env.TEST_REDIS_URL))('not ready once Redis is gone, while live still answers', async () => {
    redis.stop();
    const refused = await eventually(
      async () => {
        const answer = await ready();
        return answer.status === 503 ? answer : null;
      },
      10_000,
      'readiness to see Redis gone',
    );
    expect(refused.body).toMatchObject({ status: 'not_ready', checks: { redis: 'down', database: 'up' } });
    expect((await fetch(`${server.baseUrl}/health/live`)).status).toBe(200);
  });
});
