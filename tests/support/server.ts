import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const SERVER_MAIN = join(REPO_ROOT, 'apps/server/dist/main.js');

/** Limits high enough that only the rate-limit tests ever meet them. */
export const RELAXED_LIMITS = {
  RATE_LIMIT_LOGIN_PER_IP: '100000/60',
  RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME_IP: '100000/60',
  RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME: '100000/60',
  RATE_LIMIT_REGISTER_PER_IP: '100000/60',
  RATE_LIMIT_REFRESH_PER_IP: '100000/60',
  RATE_LIMIT_SEARCH_PER_USER: '100000/60',
  RATE_LIMIT_KEYS_PER_TARGET: '100000/60',
  RATE_LIMIT_KEYS_PER_TARGET_IP: '100000/60',
  RATE_LIMIT_SEND_PER_DEVICE: '100000/60',
  RATE_LIMIT_EPHEMERAL_PER_DEVICE: '100000/60',
  RATE_LIMIT_ATTACHMENT_ANNOUNCE_PER_USER: '100000/60',
  RATE_LIMIT_RECEIPTS_PER_DEVICE: '100000/60',
  RATE_LIMIT_CONTACTS_PER_USER: '100000/60',
  RATE_LIMIT_PROFILE_PER_USER: '100000/60',
  RATE_LIMIT_CONNECT_PER_USER: '100000/60',
  // Any sender may fill a whole queue (tests that queue thousands from a stranger).
  QUEUE_SHARE_PER_SENDER: '10000',
  QUEUE_SHARE_PER_STRANGER: '10000',
};

export interface ServerProcess {
  baseUrl: string;
  port: number;
  /** The process id of the server as it runs now (it changes with `restart`). */
  pid(): number;
  /** The server's DATA_DIR (its blob store is under `attachments/`). */
  dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Graceful stop (SIGTERM) and clean-up; resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
  /** Kills the process (SIGKILL unless told otherwise), keeping its data for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts the same server again (same port, database and data directory). */
  restart(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error())));
    });
  });
}

export async function waitForHealth(
  baseUrl: string,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the server process exited before it became healthy');
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no healthy server at ${baseUrl} within ${timeoutMs} ms`);
}

/** Starts the built server (`apps/server/dist/main.js`) as a real process. */
export async function startServer(
  env: Record<string, string>,
  options: { timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const dataDir = env.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'parley-server-')));
  const ownsDataDir = env.DATA_DIR === undefined;
  const baseUrl = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess;
  let exited: Promise<number | null>;

  const launch = async () => {
    child = spawn(process.execPath, [SERVER_MAIN], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const current = child;
    exited = new Promise((r) => current.once('exit', (code) => r(code)));
    let alive = true;
    void exited.then(() => (alive = false));
    try {
      await waitForHealth(baseUrl, options.timeoutMs ?? 60_000, () => alive);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n--- server output ---\n${output}`);
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };

  await launch();
  return {
    baseUrl,
    port,
    pid: () => child.pid as number,
    dataDir,
    output: () => output,
    kill: (signal = 'SIGKILL') => stop(signal),
    stop: async () => {
      const code = await stop();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
    restart: async () => {
      await stop();
      await launch();
    },
  };
}

export interface ServerContext {
  db: TestDatabase;
  server: ServerProcess;
  /** The server's base URL. */
  url: string;
}

/**
 * A throwaway database and a server process on it for the test file that calls this (set up in
 * beforeAll, torn down in afterAll). Rate limits are relaxed unless `env` says otherwise; `env` may be
 * a function, read when the server starts (after the file's earlier beforeAll hooks).
 */
export function withServer(env: Record<string, string> | (() => Record<string, string>) = {}): ServerContext {
  const context = {} as ServerContext;
  beforeAll(async () => {
    context.db = await createTestDatabase();
    const extra = typeof env === 'function' ? env() : env;
    context.server = await startServer({ DATABASE_URL: context.db.url, ...RELAXED_LIMITS, ...extra });
    context.url = context.server.baseUrl;
  });
  afterAll(async () => {
    await context.server?.stop();
    await context.db?.drop();
  });
  return context;
}
