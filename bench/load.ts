// npm run bench:load — many socket.io-client devices in this process against a Parley server
// process on loopback (throwaway database), and the same load against a bare Socket.IO relay
// (the floor) in the same run. Prints connections, RSS per connection, delivered envelopes/s and
// send-to-receive latency percentiles, and Parley's figures as a ratio to the floor.
// Options: --connections 1000,5000  --rates 500,2000  --seconds 10
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { freePort, start, startBenchServer } from './server.ts';
import { median, percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000,5000' },
    rates: { type: 'string', default: '500,2000' },
    seconds: { type: 'string', default: '10' },
  },
});
const CONNECTIONS = values.connections.split(',').map(Number);
const RATES = values.rates.split(',').map(Number);
const SECONDS = Number(values.seconds);
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

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Users and devices written straight into the database (registration is not what is measured). */
async function seed(databaseUrl: string, connections: number): Promise<Population> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const senderCount = Math.round(connections / 3);
  const recipientCount = Math.floor((connections - senderCount) / 2);
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
  const senders = await makeUsers(senderCount, 1);
  const recipientDevices = await makeUsers(recipientCount, 2);
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

interface Outcome {
  connected: number;
  connectSeconds: number;
  rssPerConnectionKb: number;
  deliveredPerSecond: number;
  acceptedPerSecond: number;
  latencies: number[];
  failures: number;
}

/** Connects every device, runs `rate` sends/s for SECONDS, and measures what arrives. */
async function drive(url: string, serverPid: number, population: Population, rate: number): Promise<Outcome> {
  const all = [...population.senders, ...population.recipients.flatMap((r) => r.devices)];
  const idleRss = rssKb(serverPid);
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let delivered = 0;
  const sockets = new Map<string, Socket>();
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += 100) {
    await Promise.all(
      all.slice(i, i + 100).map(
        (d) =>
          new Promise<void>((ok) => {
            const socket = io(url, {
              transports: ['websocket'],
              auth: { token: d.token, deviceId: d.deviceId },
              reconnection: false,
              forceNew: true,
            });
            socket.on(
              'envelopes',
              (batch: { envelopes: { id: string; kind: string; messageId: string }[] }, ack?: (a: unknown) => void) => {
                const now = performance.now();
                for (const e of batch.envelopes) {
                  const at = e.kind === 'message' ? sent.get(e.messageId) : undefined; // receipts are not deliveries
                  if (at !== undefined) {
                    latencies.push(now - at);
                    delivered++;
                  }
                }
                ack?.({ ids: batch.envelopes.map((e) => e.id) });
              },
            );
            socket.once('connect', () => {
              sockets.set(d.deviceId, socket);
              ok();
            });
            socket.once('connect_error', () => ok());
          }),
      ),
    );
  }
  const connectSeconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2_000)); // let the server settle (GC, presence)
  const rssPerConnectionKb = (rssKb(serverPid) - idleRss) / Math.max(1, sockets.size);

  let accepted = 0;
  let failures = 0;
  const started = performance.now();
  const perTick = rate / 100;
  let due = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      if (performance.now() - started >= SECONDS * 1000) {
        clearInterval(timer);
        done();
        return;
      }
      due += perTick;
      for (; due >= 1; due--) {
        const from = population.senders[Math.floor(Math.random() * population.senders.length)] as Device;
        const to = population.recipients[Math.floor(Math.random() * population.recipients.length)];
        const socket = sockets.get(from.deviceId);
        if (!to || !socket) continue;
        const messageId = randomUUID();
        sent.set(messageId, performance.now());
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
          (answer: { ok: boolean }) => {
            if (answer.ok) accepted++;
            else failures++;
          },
        );
      }
    }, 10);
  });
  const elapsed = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3_000)); // stragglers
  for (const socket of sockets.values()) socket.close();
  return {
    connected: sockets.size,
    connectSeconds,
    rssPerConnectionKb,
    deliveredPerSecond: delivered / elapsed,
    acceptedPerSecond: accepted / elapsed,
    latencies,
    failures,
  };
}

const report: string[][] = [];
for (const connections of CONNECTIONS) {
  for (const rate of RATES) {
    // A fresh database and server per scenario, so queues and caches start equal.
    const server = await startBenchServer({ JWT_SECRET: SECRET, RATE_LIMIT_SEND_PER_DEVICE: '1000000/60' });
    const population = await seed(server.databaseUrl, connections);
    const parley = await drive(server.url, server.process.pid as number, population, rate);
    await server.stop();

    const floorPort = await freePort();
    const floor = start(process.execPath, ['bench/floor-server.ts', String(floorPort)], {});
    await new Promise((r) => setTimeout(r, 1_000));
    const bare = await drive(`http://127.0.0.1:${floorPort}`, floor.pid as number, population, rate);
    floor.kill('SIGTERM');

    const row = (label: string, o: Outcome) => [
      label,
      `${o.connected}`,
      `${o.connectSeconds.toFixed(1)} s`,
      `${o.rssPerConnectionKb.toFixed(1)} KiB`,
      `${Math.round(o.acceptedPerSecond)}`,
      `${Math.round(o.deliveredPerSecond)}`,
      `${median(o.latencies).toFixed(1)} / ${percentile(o.latencies, 95).toFixed(1)} / ${percentile(o.latencies, 99).toFixed(1)} ms`,
      `${o.failures}`,
    ];
    report.push(
      row(`parley ${connections} conn @ ${rate}/s`, parley),
      row(`floor  ${connections} conn @ ${rate}/s`, bare),
    );
    report.push([
      '  parley / floor',
      '',
      '',
      `${(parley.rssPerConnectionKb / Math.max(0.1, bare.rssPerConnectionKb)).toFixed(2)}×`,
      '',
      `${(parley.deliveredPerSecond / Math.max(1, bare.deliveredPerSecond)).toFixed(2)}×`,
      `${(percentile(parley.latencies, 99) / Math.max(0.01, percentile(bare.latencies, 99))).toFixed(2)}× p99`,
      '',
    ]);
    console.log(
      report
        .slice(-3)
        .map((r) => r.join(' | '))
        .join('\n'),
    );
  }
}
console.log(`\nLoad on loopback, ${SECONDS} s per scenario, 300-byte envelopes fanned out to 2 devices`);
const head = [
  'scenario',
  'connected',
  'connect',
  'server RSS/conn',
  'accepted/s',
  'delivered/s',
  'p50 / p95 / p99',
  'failed',
];
const widths = head.map((h, i) => Math.max(h.length, ...report.map((r) => (r[i] ?? '').length)));
for (const r of [head, ...report]) console.log(r.map((c, i) => c.padEnd(widths[i] as number)).join('  '));
