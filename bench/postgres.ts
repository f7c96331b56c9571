// A private PostgreSQL cluster for bench:load (initdb into a temp dir, its own port), so that
// pg_stat_statements can be loaded without touching the machine's PostgreSQL. Its configuration
// is the default one (synchronous_commit on) but for the extension and the connection limit.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server.ts';

const BIN = process.env.BENCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  adminUrl: string;
  stop(): void;
}

/** initdb refuses to run as root: as root the cluster belongs to the `postgres` user. */
function run(command: string, args: string[]): void {
  const asPostgres = process.getuid?.() === 0;
  const result = asPostgres
    ? spawnSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', join(BIN, command), ...args], {
        encoding: 'utf8',
      })
    : spawnSync(join(BIN, command), args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!existsSync(join(BIN, 'initdb'))) throw new Error(`no PostgreSQL binaries in ${BIN} (set BENCH_PG_BIN)`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      "shared_preload_libraries = 'pg_stat_statements'",
      'pg_stat_statements.track = all',
      'pg_stat_statements.track_planning = on',
      'max_connections = 300',
      '',
    ].join('\n'),
  );
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', 'start']);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE EXTENSION pg_stat_statements');
  await admin.end();
  return {
    adminUrl,
    stop: () => {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Pids of the backends connected to a database (the server's pool), for their CPU time. */
export async function backendPids(admin: pg.Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    database,
  ]);
  return rows.map((r) => r.pid);
}

/** The statements that took most of a database's time since the last reset (pg_stat_statements). */
export async function topStatements(admin: pg.Client, database: string, limit = 12): Promise<string[]> {
  const { rows } = await admin.query<{
    calls: string;
    total: number;
    mean: number;
    plan: number;
    rows: string;
    query: string;
  }>(
    `SELECT s.calls, s.total_exec_time AS total, s.mean_exec_time AS mean, s.mean_plan_time AS plan, s.rows, s.query
     FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = $1 ORDER BY s.total_exec_time DESC LIMIT $2`,
    [database, limit],
  );
  return rows.map(
    (r) =>
      `${String(r.calls).padStart(8)} calls ${r.total.toFixed(0).padStart(7)} ms total ${r.mean.toFixed(3).padStart(8)} ms mean (+${r.plan.toFixed(3)} planning) ${String(r.rows).padStart(8)} rows  ${r.query.replace(/\s+/g, ' ').slice(0, 140)}`,
  );
}
