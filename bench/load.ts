// npm run bench:load — many devices in this process against, in turn: the floor (a bare Socket.IO
// relay), Parley (one instance; two behind the Redis streams adapter, clients split between them),
// and ejabberd (routing only; and archiving every message in PostgreSQL with mod_mam), all on
// loopback, each from a fresh state per run. Prints, per target, the median of the runs and their
// spread: accepted and delivered per second, send → arrival latency, failures by error code, server
// RSS per idle connection and CPU seconds per 1,000 delivered messages (server processes and their
// PostgreSQL backends, from /proc: the figure that holds across machines of different speed).
// PostgreSQL: a private cluster with pg_stat_statements (or BENCH_DATABASE_URL).
// Options: --connections 5000  --rates 500,2000  --seconds 10  --runs 3
//          --targets floor,parley,parley2,ejabberd,ejabberd-mam  --statements (Parley's top statements)
// BENCH_PROFILE_DIR=dir: V8 CPU profiles of the Parley server processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { backendPids, type PrivatePostgres, startPrivatePostgres, topStatements } from './postgres.ts';
import { CpuMeter, loadAverage, machine, rssKb } from './proc.ts';
import { createBenchDatabase, freePort, start, startServerProcess } from './server.ts';
import { median, percentile } from './stats.ts';
import {
  type EjabberdProcess,
  ejabberdMissing,
  ejabberdSchema,
  prepareSpool,
  restoreSpool,
  startEjabberd,
  XmppClient,
} from './xmpp.ts';

const ALL_TARGETS = ['floor', 'parley', 'parley2', 'ejabberd', 'ejabberd-mam'] as const;
type TargetName = (typeof ALL_TARGETS)[number];

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '5000' },
    rates: { type: 'string', default: '500,2000' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    targets: { type: 'string', default: ALL_TARGETS.join(',') },
    statements: { type: 'boolean', default: false },
  },
});
const CONNECTIONS = values.connections.split(',').map(Number);
const RATES = values.rates.split(',').map(Number);
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const TARGETS = values.targets.split(',') as TargetName[];
for (const t of TARGETS)
  if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target ${t}: ${ALL_TARGETS.join(', ')}`);
const SECRET = randomBytes(32).toString('base64url');
const CONTENT = randomBytes(300).toString('base64');

interface Device {
  userId: string;
  deviceId: string;
  registrationId: number;
  token?: string;
}
/** A third of the connections send (one device each); the rest are recipients with two devices, so each send fans out to 2. */
interface Population {
  senders: Device[];
  recipients: { userId: string; devices: [Device, Device] }[];
}

const sizes = (connections: number) => {
  const senders = Math.round(connections / 3);
  return { senders, recipients: Math.floor((connections - senders) / 2) };
};

/** Users and devices written straight into the database (registration is not what is measured). */
async function seed(databaseUrl: string, connections: number): Promise<Population> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const makeUsers = async (count: number, devicesEach: number) => {
    const users = await db.query<{ id: string }>(
      `INSERT INTO users (username, display_name, display_name_key, password_hash)
       SELECT 'load' || md5(random()::text), 'Load', 'load', 'x' FROM generate_series(1, $1) RETURNING id`,
      [count],
    );
    const ids = users.rows.map((r) => r.id);
    const devices = await db.query<{ id: string; user_id: string; registration_id: number }>(
      `INSERT INTO devices (user_id, name, registration_id, identity_key, signed_prekey_id, signed_prekey, signed_prekey_signature)
       SELECT u, 'load', 1 + floor(random() * 16000)::int, gen_random_bytes(33), 1, gen_random_bytes(33), gen_random_bytes(64)
       FROM unnest($1::uuid[]) AS u, generate_series(1, $2) RETURNING id, user_id, registration_id`,
      [ids, devicesEach],
    );
    return devices.rows.map((d): Device => ({ userId: d.user_id, deviceId: d.id, registrationId: d.registration_id }));
  };
  await db.query('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  const size = sizes(connections);
  const senders = await makeUsers(size.senders, 1);
  const recipientDevices = await makeUsers(size.recipients, 2);
  await db.end();
  const byUser = new Map<string, Device[]>();
  for (const d of recipientDevices) byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d]);
  const key = new TextEncoder().encode(SECRET);
  for (const d of [...senders, ...recipientDevices]) {
    d.token = await new SignJWT({ did: d.deviceId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(d.userId)
      .setExpirationTime('2h')
      .sign(key);
  }
  return {
    senders,
    recipients: [...byUser].map(([userId, devices]) => ({ userId, devices: devices as [Device, Device] })),
  };
}

/** The same shape without a database: for the floor (any ids) and ejabberd (user names, two resources each). */
function namedPopulation(connections: number, xmpp: boolean): Population {
  const size = sizes(connections);
  const device = (userId: string, resource: string): Device => ({
    userId,
    deviceId: xmpp ? resource : randomUUID(),
    registrationId: 1,
  });
  return {
    senders: Array.from({ length: size.senders }, (_, i) => device(xmpp ? `s${i}` : randomUUID(), 'a')),
    recipients: Array.from({ length: size.recipients }, (_, i) => {
      const userId = xmpp ? `r${i}` : randomUUID();
      return { userId, devices: [device(userId, 'a'), device(userId, 'b')] };
    }),
  };
}

// ---- clients: Socket.IO (floor, Parley) and XMPP (ejabberd), one interface ----

interface Link {
  send(to: Population['recipients'][number], messageId: string, answer: (failure: string | undefined) => void): void;
  close(): void;
}
interface Events {
  delivered(messageId: string): void;
  failed(code: string): void;
}
type Connect = (device: Device, index: number, recipient: boolean, events: Events) => Promise<Link | undefined>;

function socketIoClients(urls: string[]): Connect {
  return (device, index, _recipient, events) =>
    new Promise((ok) => {
      const socket: Socket = io(urls[index % urls.length] as string, {
        transports: ['websocket'],
        auth: { token: device.token, deviceId: device.deviceId },
        reconnection: false,
        forceNew: true,
      });
      socket.on(
        'envelopes',
        (batch: { envelopes: { id: string; kind: string; messageId: string }[] }, ack?: (a: unknown) => void) => {
          for (const e of batch.envelopes) if (e.kind === 'message') events.delivered(e.messageId); // receipts are not deliveries
          ack?.({ ids: batch.envelopes.map((e) => e.id) });
        },
      );
      socket.once('connect', () =>
        ok({
          send: (to, messageId, answer) =>
            socket.emit(
              'message:send',
              {
                messageId,
                recipientUserId: to.userId,
                envelopes: to.devices.map((d) => ({
                  deviceId: d.deviceId,
                  registrationId: d.registrationId,
                  type: 'whisper',
                  content: CONTENT,
                })),
              },
              (reply: { ok: boolean; error?: { code: string } }) =>
                answer(reply.ok ? undefined : (reply.error?.code ?? 'UNKNOWN')),
            ),
          close: () => socket.close(),
        }),
      );
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
        events.failed(`connect: ${error.data?.code ?? error.message}`);
        ok(undefined);
      });
    });
}

function xmppClients(port: number): Connect {
  return async (device, _index, recipient, events) => {
    try {
      const client = await XmppClient.connect(port, device.userId, device.deviceId, recipient, events);
      return {
        send: (to, messageId, answer) => client.send(to.userId, messageId, CONTENT, answer),
        close: () => client.close(),
      };
    } catch (error) {
      events.failed(`connect: ${(error as Error).message.slice(0, 60)}`);
      return undefined;
    }
  };
}

// ---- one measured run ----

interface Outcome {
  connected: number;
  rssPerConnectionKb: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  latencies: number[];
  failures: Map<string, number>;
  /** CPU seconds per 1,000 delivered messages, server side: all of it, and its database's share. */
  cpuPer1000: number;
  databaseCpuPer1000: number;
}

interface Target {
  connect: Connect;
  /** The server's processes (for RSS and CPU time). */
  serverPids: number[];
  /** The database backends serving it (for CPU time). */
  databasePids(): Promise<number[]>;
  population: Population;
}

/** Connects every device, sends `rate` messages/s for SECONDS, and measures what arrives. */
async function drive(target: Target, rate: number): Promise<Outcome> {
  const { population } = target;
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const fail = (code: string) => failures.set(code, (failures.get(code) ?? 0) + 1);
  let delivered = 0;
  const events: Events = {
    delivered: (messageId) => {
      const at = sent.get(messageId);
      if (at === undefined) return;
      latencies.push(performance.now() - at);
      delivered++;
    },
    failed: fail,
  };
  const idleRss = target.serverPids.reduce((sum, pid) => sum + rssKb(pid), 0);
  const devices = [
    ...population.senders.map((d) => ({ d, recipient: false })),
    ...population.recipients.flatMap((r) => r.devices.map((d) => ({ d, recipient: true }))),
  ];
  const links = new Map<Device, Link>();
  for (let i = 0; i < devices.length; i += 100) {
    await Promise.all(
      devices.slice(i, i + 100).map(async ({ d, recipient }, j) => {
        const link = await target.connect(d, i + j, recipient, events);
        if (link) links.set(d, link);
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 2_000)); // let the server settle (GC, presence)
  const connectedRss = target.serverPids.reduce((sum, pid) => sum + rssKb(pid), 0);

  const serverCpu = new CpuMeter(async () => target.serverPids);
  const databaseCpu = new CpuMeter(() => target.databasePids());
  await Promise.all([serverCpu.start(), databaseCpu.start()]);
  let accepted = 0;
  let answered = 0;
  let sends = 0;
  const started = performance.now();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= SECONDS * 1000) {
        clearInterval(timer);
        done();
        return;
      }
      // Catch up with the schedule even when a tick is late (this process is busy too).
      for (const due = Math.floor((elapsed / 1000) * rate); sends < due; sends++) {
        const from = population.senders[Math.floor(Math.random() * population.senders.length)] as Device;
        const to = population.recipients[Math.floor(Math.random() * population.recipients.length)];
        const link = links.get(from);
        if (!to || !link) continue;
        const messageId = randomUUID();
        sent.set(messageId, performance.now());
        link.send(to, messageId, (failure) => {
          answered++;
          if (failure === undefined) accepted++;
          else fail(failure);
        });
      }
    }, 10);
  });
  const elapsed = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3_000)); // stragglers
  const [serverSeconds, databaseSeconds] = await Promise.all([serverCpu.stop(), databaseCpu.stop()]);
  const unanswered = sends - answered;
  if (unanswered > 0) failures.set('NO_ANSWER', unanswered);
  for (const link of links.values()) link.close();
  return {
    connected: links.size,
    rssPerConnectionKb: (connectedRss - idleRss) / Math.max(1, links.size),
    acceptedPerSecond: accepted / elapsed,
    deliveredPerSecond: delivered / elapsed,
    latencies,
    failures,
    cpuPer1000: ((serverSeconds + databaseSeconds) / Math.max(1, delivered)) * 1000,
    databaseCpuPer1000: (databaseSeconds / Math.max(1, delivered)) * 1000,
  };
}

// ---- the targets: set up per run, measured, torn down ----

let postgres: PrivatePostgres | undefined;
let adminUrl = process.env.BENCH_DATABASE_URL ?? '';
let admin: pg.Client;
let spool: Awaited<ReturnType<typeof prepareSpool>> | undefined;

function waitForPort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let tries = 0;
    const attempt = () => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => (++tries > 300 ? reject(new Error(`nothing on port ${port}`)) : setTimeout(attempt, 100)));
    };
    attempt();
  });
}

async function startRedis(): Promise<{ url: string; pid: number; stop(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  await waitForPort(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const backendsOf = (database: string) => () => backendPids(admin, database);
const none = async () => [];

/** Runs one target once: fresh state, measured, torn down. */
async function measure(name: TargetName, connections: number, rate: number): Promise<Outcome> {
  if (name === 'floor') {
    const port = await freePort();
    const floor = start(process.execPath, ['bench/floor-server.ts', String(port)], {});
    try {
      await waitForPort(port);
      const pid = floor.pid as number;
      return await drive(
        {
          connect: socketIoClients([`http://127.0.0.1:${port}`]),
          serverPids: [pid],
          databasePids: none,
          population: namedPopulation(connections, false),
        },
        rate,
      );
    } finally {
      floor.kill('SIGTERM');
    }
  }
  if (name === 'parley' || name === 'parley2') {
    const database = await createBenchDatabase(adminUrl);
    const redis = name === 'parley2' ? await startRedis() : undefined;
    const env = {
      JWT_SECRET: SECRET,
      RATE_LIMIT_SEND_PER_DEVICE: '1000000/60',
      ...(redis ? { REDIS_URL: redis.url } : {}),
    };
    const servers = [await startServerProcess(database.url, env)];
    try {
      if (redis) servers.push(await startServerProcess(database.url, env));
      const population = await seed(database.url, connections);
      const pids = servers.map((s) => s.process.pid as number);
      if (values.statements) await admin.query('SELECT pg_stat_statements_reset()');
      const outcome = await drive(
        {
          connect: socketIoClients(servers.map((s) => s.url)),
          serverPids: redis ? [...pids, redis.pid] : pids,
          databasePids: backendsOf(database.name),
          population,
        },
        rate,
      );
      if (values.statements) {
        console.log(`  top statements, ${name} @ ${rate}/s:`);
        for (const line of await topStatements(admin, database.name)) console.log(`  ${line}`);
      }
      return outcome;
    } finally {
      for (const s of servers) await s.stop();
      redis?.stop();
      await database.drop();
    }
  }
  // ejabberd, with or without the archive
  if (!spool) throw new Error('no ejabberd spool');
  const database = name === 'ejabberd-mam' ? await createBenchDatabase(adminUrl) : undefined;
  let server: EjabberdProcess | undefined;
  try {
    if (database) {
      const db = new pg.Client({ connectionString: database.url });
      await db.connect();
      await db.query(ejabberdSchema());
      await db.end();
    }
    const url = database ? new URL(database.url) : undefined;
    server = await startEjabberd(
      spool.dir,
      restoreSpool(spool.dir, spool.snapshot),
      url && database
        ? { mam: { host: url.hostname, port: Number(url.port), database: database.name, user: url.username } }
        : {},
    );
    const pid = server.pid;
    return await drive(
      {
        connect: xmppClients(server.port),
        serverPids: [pid],
        databasePids: database ? backendsOf(database.name) : none,
        population: namedPopulation(connections, true),
      },
      rate,
    );
  } finally {
    await server?.stop();
    await database?.drop();
  }
}

// ---- the report ----

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Median, and the spread of the runs when there are several. */
function spread(values: number[], digits = 0, unit = ''): string {
  const m = `${fmt(median(values), digits)}${unit}`;
  if (values.length < 2) return m;
  return `${m} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
}
const ms = (v: number) => (v >= 1000 ? `${fmt(v / 1000, 1)} s` : `${fmt(v, v >= 100 ? 0 : 1)} ms`);

function failuresByCode(outcomes: Outcome[]): string {
  const codes = new Set(outcomes.flatMap((o) => [...o.failures.keys()]));
  if (codes.size === 0) return '0';
  return [...codes].map((code) => `${code} ${outcomes.map((o) => o.failures.get(code) ?? 0).join('/')}`).join('; ');
}

const LABELS: Record<TargetName, string> = {
  floor: 'floor (bare Socket.IO relay)',
  parley: 'Parley, one instance',
  parley2: 'Parley, two instances (Redis)',
  ejabberd: 'ejabberd, routing only',
  'ejabberd-mam': 'ejabberd + mod_mam (PostgreSQL)',
};

function row(name: TargetName, rate: number, outcomes: Outcome[], floor: Outcome[] | undefined): string {
  const p50 = outcomes.map((o) => median(o.latencies.length ? o.latencies : [Number.NaN]));
  const p99 = outcomes.map((o) => percentile(o.latencies.length ? o.latencies : [Number.NaN], 99));
  const cpu = outcomes.map((o) => o.cpuPer1000);
  const databaseCpu = outcomes.map((o) => o.databaseCpuPer1000);
  const rss = outcomes.map((o) => o.rssPerConnectionKb);
  const vsFloor = (mine: number[], theirs: number[] | undefined) =>
    theirs ? ` ×${fmt(median(mine) / Math.max(1e-9, median(theirs)), 2)}` : '';
  return [
    `${LABELS[name]} @ ${fmt(rate)}/s`,
    spread(
      outcomes.map((o) => o.acceptedPerSecond),
      0,
    ),
    `${spread(outcomes.map((o) => o.deliveredPerSecond))}${vsFloor(
      outcomes.map((o) => o.deliveredPerSecond),
      floor?.map((o) => o.deliveredPerSecond),
    )}`,
    `${ms(median(p50))} / ${ms(median(p99))} (p99 ${ms(Math.min(...p99))}–${ms(Math.max(...p99))})`,
    failuresByCode(outcomes),
    `${spread(rss, 1)}${vsFloor(
      rss,
      floor?.map((o) => o.rssPerConnectionKb),
    )}`,
    `${spread(cpu, 2)}${vsFloor(
      cpu,
      floor?.map((o) => o.cpuPer1000),
    )}${median(databaseCpu) > 0 ? `, database ${fmt(median(databaseCpu), 2)}` : ''}`,
    `${Math.min(...outcomes.map((o) => o.connected))}`,
  ].join(' | ');
}

// ---- main ----

const skipped = new Map<TargetName, string>();
if (TARGETS.some((t) => t.startsWith('ejabberd'))) {
  const missing = ejabberdMissing();
  if (missing) for (const t of TARGETS) if (t.startsWith('ejabberd')) skipped.set(t, missing);
}
if (!adminUrl) {
  postgres = await startPrivatePostgres();
  adminUrl = postgres.adminUrl;
}
admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
const cleanUp = async () => {
  await admin.end();
  spool?.remove();
  postgres?.stop();
};
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

const startedAt = new Date();
const loads: string[] = [loadAverage()];
const lines: string[] = [];
const failedRuns: string[] = [];
try {
  for (const connections of CONNECTIONS) {
    if (TARGETS.some((t) => t.startsWith('ejabberd') && !skipped.has(t))) {
      spool?.remove();
      const size = sizes(connections);
      spool = await prepareSpool([
        ...Array.from({ length: size.senders }, (_, i) => `s${i}`),
        ...Array.from({ length: size.recipients }, (_, i) => `r${i}`),
      ]);
    }
    for (const rate of RATES) {
      const results = new Map<TargetName, Outcome[]>();
      // Runs interleave the targets, so a change in the machine's load touches them all alike.
      for (let run = 0; run < RUNS; run++) {
        for (const name of TARGETS) {
          if (skipped.has(name)) continue;
          let outcome: Outcome;
          try {
            outcome = await measure(name, connections, rate);
          } catch (error) {
            // One target failing (e.g. a server that would not start) does not lose the others' figures.
            console.error(`run ${run + 1}/${RUNS} ${name}: failed: ${(error as Error).message}`);
            failedRuns.push(`${name} ${connections} conn @ ${rate}/s, run ${run + 1}: ${(error as Error).message}`);
            continue;
          }
          results.set(name, [...(results.get(name) ?? []), outcome]);
          loads.push(loadAverage());
          console.error(
            `run ${run + 1}/${RUNS} ${name} ${connections} conn @ ${rate}/s: ${fmt(outcome.deliveredPerSecond)} delivered/s, p99 ${ms(percentile(outcome.latencies.length ? outcome.latencies : [Number.NaN], 99))}, ${fmt(outcome.cpuPer1000, 2)} CPU s/1000 (database ${fmt(outcome.databaseCpuPer1000, 2)}), load ${loadAverage()}`,
          );
        }
      }
      const floor = results.get('floor');
      const block = [`\n${fmt(connections)} connections @ ${fmt(rate)} sends/s`];
      for (const [name, outcomes] of results)
        block.push(`| ${row(name, rate, outcomes, name === 'floor' ? undefined : floor)} |`);
      console.error(block.join('\n'));
      lines.push(...block);
    }
  }
} finally {
  await cleanUp();
}

console.log(`\nbench:load, ${startedAt.toISOString()}: ${machine()}`);
console.log(
  `${SECONDS} s per run, median of ${RUNS} run(s) (min–max); 300-byte messages, each to a user with two connected devices`,
);
console.log(`load average (1, 5, 15 min) at the start and after each run: ${loads.join(' → ')}`);
for (const [name, why] of skipped) console.log(`${name}: not measured: ${why}`);
for (const failure of failedRuns) console.log(`failed run (left out of the medians): ${failure}`);
console.log(
  '\n| target | accepted/s | delivered/s (× floor) | p50 / p99 | failed, by code (per run) | server RSS per idle conn, KiB (× floor) | CPU s per 1,000 delivered (× floor) | connected |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const line of lines) console.log(line);
