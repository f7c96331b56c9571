import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.js';

function answers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host }, () => {
      socket.write('PING\r\n');
    });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * A Redis for the multi-instance tests: TEST_REDIS_URL if set, else a private redis-server on a
 * free port when the binary is installed, else the local one on 6379; undefined when none.
 */
export async function provideRedis(): Promise<{ url: string | undefined; stop: () => void }> {
  if (process.env.TEST_REDIS_URL) return { url: process.env.TEST_REDIS_URL, stop: () => {} };
  let binary = true;
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
  } catch {
    binary = false;
  }
  if (binary) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 50 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 100));
    return {
      url: `redis://127.0.0.1:${port}`,
      stop: () => {
        child.kill();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  return { url: (await answers(6379)) ? 'redis://127.0.0.1:6379' : undefined, stop: () => {} };
}
