import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, login, register } from './support/http.js';
import { freePort, REPO_ROOT, waitForHealth } from './support/server.js';

/** `npm start` as a user runs it: nothing configured but a port and where to keep data. */
describe('npm start with nothing configured', () => {
  const children: ChildProcess[] = [];
  let dataDir: string;

  afterAll(async () => {
    for (const child of children) {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {} // already gone
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const launch = (command: string, args: string[], env: Record<string, string>) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so the test can stop npm, node and PostgreSQL together
    });
    let output = '';
    child.stdout?.on('data', (c) => (output += c));
    child.stderr?.on('data', (c) => (output += c));
    children.push(child);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    return { child, exited, output: () => output };
  };

  it('serves /health on an embedded PostgreSQL within 60 s and keeps users across restarts', {
    timeout: 240_000,
  }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-start-'));
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), DATA_DIR: dataDir };

    // `npm start` is `npm run build && node scripts/start.ts`. `npm test` has just built, and a second
    // build here would empty dist/renderer under the end-to-end tests running beside this one.
    const first = launch(process.execPath, ['scripts/start.ts'], env);
    const started = Date.now();
    await waitForHealth(baseUrl, 60_000, () => first.child.exitCode === null).catch((e) => {
      throw new Error(`${e.message}\n${first.output()}`);
    });
    console.log(`start: healthy after ${Date.now() - started} ms (first start, cluster initialised)`);
    const alice = await register(baseUrl);
    await call(baseUrl, 'PATCH', '/users/me', { token: alice.accessToken, body: { displayName: 'Алиса' } });

    // A graceful stop stops the embedded PostgreSQL too.
    process.kill(-(first.child.pid as number), 'SIGTERM');
    await first.exited;

    // Killed hard, the server leaves PostgreSQL orphaned; the next start must cope.
    const second = launch(process.execPath, ['apps/server/dist/main.js'], env);
    await waitForHealth(baseUrl, 60_000, () => second.child.exitCode === null);
    expect((await login(baseUrl, alice.user.username)).status).toBe(200);
    second.child.kill('SIGKILL');
    await second.exited;

    const third = launch(process.execPath, ['apps/server/dist/main.js'], env);
    await waitForHealth(baseUrl, 60_000, () => third.child.exitCode === null).catch((e) => {
      throw new Error(`${e.message}\n${third.output()}`);
    });
    const again = await login(baseUrl, alice.user.username);
    expect(again.status).toBe(200);
    expect(again.body.user).toMatchObject({ id: alice.user.id, displayName: 'Алиса' });
    process.kill(-(third.child.pid as number), 'SIGTERM');
    await third.exited;
  });
});
