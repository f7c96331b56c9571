import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase } from '@parley/test-support/database';
import { REPO_ROOT, startServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

function runWithEnv(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'apps/server/dist/main.js')], {
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://127.0.0.1:1/none', ...env },
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('configuration', () => {
  it.each([
    ['PORT', 'not-a-port'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['JWT_SECRET', 'too-short'],
    ['ACCESS_TOKEN_TTL_SECONDS', '5'],
    ['CORS_ORIGINS', 'not a url'],
    ['RATE_LIMIT_LOGIN_PER_IP', 'lots'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', 'maybe'],
    // Trusting every hop lets a client choose its own IP (the leftmost X-Forwarded-For entry).
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '10.0.0.0/8, not-an-address'],
    ['RATE_LIMIT_LOGIN_PER_USERNAME', '10/300'],
    ['QUEUE_SHARE_PER_STRANGER', '5000'],
    ['ATTACHMENT_QUOTA_BYTES', '1000'],
    ['ATTACHMENT_S3_BUCKET', 'Not_A_Bucket'],
    ['ATTACHMENT_S3_ENDPOINT', 'ftp://127.0.0.1:9000'],
    ['ATTACHMENT_S3_ENDPOINT', 'http://key:secret@127.0.0.1:9000'],
    ['ATTACHMENT_S3_FORCE_PATH_STYLE', 'maybe'],
    ['ATTACHMENT_S3_PREFIX', 'no-trailing-slash'],
    ['REGISTRATION', 'invite-only'],
    ['METRICS_PORT', '3000'], // the same as PORT
    ['METRICS_TOKEN', 'guessable'],
  ])('stops at boot naming a bad %s (%s)', async (name, value) => {
    const { code, output } = await runWithEnv({ [name]: value });
    expect(code).toBe(78);
    expect(output).toContain('Invalid configuration');
    expect(output).toContain(`${name}:`);
  });

  it.each(['1', '10.0.0.0/8, 127.0.0.1', 'loopback, fd00::/8'])(
    'starts and serves with TRUST_PROXY=%s',
    async (value) => {
      const db = await createTestDatabase();
      try {
        const server = await startServer({ DATABASE_URL: db.url, TRUST_PROXY: value });
        expect(server.output()).not.toContain('Invalid configuration');
        await server.stop();
      } finally {
        await db.drop();
      }
    },
  );

  const S3_SECRET = 'do-not-print-this-secret-key';
  it.each([
    ['ATTACHMENT_S3_BUCKET', { ATTACHMENT_S3_ENDPOINT: 'http://127.0.0.1:9000' }],
    ['ATTACHMENT_S3_BUCKET', { ATTACHMENT_S3_ACCESS_KEY_ID: 'key', ATTACHMENT_S3_SECRET_ACCESS_KEY: S3_SECRET }],
    ['ATTACHMENT_S3_SECRET_ACCESS_KEY', { ATTACHMENT_S3_BUCKET: 'parley', ATTACHMENT_S3_ACCESS_KEY_ID: 'key' }],
    ['ATTACHMENT_S3_ACCESS_KEY_ID', { ATTACHMENT_S3_BUCKET: 'parley', ATTACHMENT_S3_SECRET_ACCESS_KEY: S3_SECRET }],
    ['ATTACHMENT_MAX_BYTES', { ATTACHMENT_S3_BUCKET: 'parley', ATTACHMENT_MAX_BYTES: String(6 * 1024 ** 3) }],
  ])('stops at boot naming %s for an S3 blob store configured wrong, never showing the secret', async (name, env) => {
    const { code, output } = await runWithEnv(env);
    expect(code).toBe(78);
    expect(output).toContain('Invalid configuration');
    expect(output).toContain(`${name}:`);
    expect(output).not.toContain(S3_SECRET);
  });
});
