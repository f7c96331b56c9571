import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '@parley/test-support/devices';
import { call, login, register } from '@parley/test-support/http';
import { freePort, REPO_ROOT, waitForHealth } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import { afterAll, describe, expect, it } from 'vitest';

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
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, exited, output: () => output };
  };

  it('serves /health on an embedded PostgreSQL within 60 s and keeps users across restarts', {
    timeout: 240_000,
  }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-start-'));
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), DATA_DIR: dataDir, PARLEY_HOST_PORT: String(await freePort()) };

    // `npm start` is `npm run build && node scripts/start.ts`. `npm test` has just built, and a second
    // build here would empty dist/renderer under the end-to-end tests running beside this one.
    const first = launch(process.execPath, ['scripts/start.ts'], env);
    const started = Date.now();
    await waitForHealth(baseUrl, 60_000, () => first.child.exitCode === null).catch((e) => {
      throw new Error(`${e.message}\n${first.output()}`);
    });
    console.log(`start: healthy after ${Date.now() - started} ms (first start, cluster initialised)`);
    // The browser host's address comes last, on its own line, clearly introduced; the server's
    // line per request (the start's own /health polls, for one) stays out of the terminal.
    await eventually(async () => first.output().includes('Open this address'), 30_000, 'the address is printed');
    const shown = first.output().trimEnd().split('\n');
    const address = shown.findIndex((line) => /^ {2}http:\/\/127\.0\.0\.1:\d+\/\?key=\S+$/.test(line));
    expect(address, first.output()).toBeGreaterThan(0);
    expect(shown[address - 2]).toBe('  Parley is ready. Open this address in your browser:');
    expect(shown.slice(address + 1).join('\n')).toMatch(/^\s*Ctrl\+C stops it\.\n─+$/);
    const alice = await register(baseUrl);
    await call(baseUrl, 'PATCH', '/users/me', { token: alice.accessToken, body: { displayName: 'Алиса' } });
    // A device with keys (the server loads its signature checks) and a live connection.
    const bob = await createDevice(baseUrl);
    const bobClient = await connectClient(baseUrl, bob.accessToken);

    // Ctrl+C in the terminal: SIGINT to the whole process group (npm's node, the server, its
    // PostgreSQL, the desktop host). Everything stops cleanly, exit code 0, no stack trace.
    const postmaster = Number((await readFile(join(dataDir, 'postgres/postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(-(first.child.pid as number), 'SIGINT');
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');
    expect(first.output()).not.toContain('"req":{');
    // PostgreSQL got the SIGINT too and refuses work still under way (logged; clients retry), but
    // nothing crashes: no abort, no stack trace on the terminal.
    expect(first.output()).not.toMatch(/abort\(|^\s+at /m);
    expect(() => process.kill(postmaster, 0)).toThrow(); // PostgreSQL is gone
    bobClient.close();

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
