import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@parley/test-support/database';
import { register } from '@parley/test-support/http';
import { freePort, REPO_ROOT } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The server as an npm package, installed the way the container recipe installs it
 * (deploy/pack-server.sh, then deploy/install-server.sh into an empty folder: dependencies from
 * the npm registry, @parley/shared from inside the tarball), then run with `npx parley-server`.
 * Docker images cannot be pulled here, so this is the Dockerfile's recipe tested on the bare machine.
 */
const run = promisify(execFile);
let work: string;
let installed: string;
let db: TestDatabase;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'parley-package-'));
  installed = join(work, 'install');
  db = await createTestDatabase();
  const { stdout } = await run('sh', [join(REPO_ROOT, 'deploy/pack-server.sh'), join(work, 'pack')]);
  const tarball = stdout.trim().split('\n').at(-1) as string;
  await run('sh', [join(REPO_ROOT, 'deploy/install-server.sh'), installed, tarball], { maxBuffer: 16 * 1024 * 1024 });
}, 600_000);
afterAll(async () => {
  await db?.drop();
  await rm(work, { recursive: true, force: true });
});

describe('the server package', () => {
  it('the Dockerfile installs the server with the same two scripts', async () => {
    const dockerfile = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/RUN .*deploy\/pack-server\.sh/);
    expect(dockerfile).toMatch(/RUN .*deploy\/install-server\.sh/);
  });

  it('installed in an empty folder, `npx parley-server` serves and `npx parley-admin` works', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const env = { ...process.env, DATABASE_URL: db.url, PORT: String(port), DATA_DIR: join(work, 'data') };
    // Its own process group, so that npx and the server it starts are stopped together.
    const server: ChildProcess = spawn('npx', ['--no-install', 'parley-server'], {
      cwd: installed,
      env,
      detached: true,
    });
    let output = '';
    server.stdout?.on('data', (chunk) => (output += chunk));
    server.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      await eventually(
        () =>
          fetch(`${url}/health/ready`).then(
            (r) => r.status === 200,
            () => false,
          ),
        90_000,
        `the packaged server to be ready\n${output}`,
      );
      const alice = await register(url);
      const { stdout } = await run('npx', ['--no-install', 'parley-admin', 'stats', '--json'], { cwd: installed, env });
      expect(JSON.parse(stdout)).toMatchObject({ users: 1, activeDevices: 1 });
      expect(alice.user.username).toBeTruthy();
      // SIGTERM to the server itself (npm exec does not pass it on): it stops, and npx exits with its code.
      const pid = Number(/"pid":(\d+)/.exec(output)?.[1]);
      process.kill(pid, 'SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (server.exitCode === null && server.pid) process.kill(-server.pid, 'SIGKILL');
    }
  });
});
