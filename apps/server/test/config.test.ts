import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../tests/support/server.js';

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
  ])('stops at boot naming a bad %s (%s)', async (name, value) => {
    const { code, output } = await runWithEnv({ [name]: value });
    expect(code).toBe(78);
    expect(output).toContain('Invalid configuration');
    expect(output).toContain(`${name}:`);
  });
});
