// npm run bench:receive — a client whose store already holds 100,000 messages comes online to a
// queued burst (5,000 messages from 5 senders) on a real server, with its core on the shell's main
// thread (as before) and in its own thread (CoreThread), both in one invocation, runs interleaved.
// Each run is a fresh Node process playing an Electron main process: it reaches the core only
// through the bridge (`serveCall`/`forwardEvents` in process, or the core thread), sends every
// event on (serialised, as IPC and the host's socket do), sets the unread badge from each event's
// unread total (main.ts) and keeps the chat list as the renderer does: in place from each event,
// fetching the list only for a sender it does not know yet (coalesced). It prints envelopes per
// second through the core, that main thread's event-loop delay during the burst
// (`monitorEventLoopDelay`, sampled every 1 ms: an idle loop reads about 1 ms), its event-loop
// utilisation, and the CPU time per envelope of the whole process (all threads).
// Every run starts from the same state: a copy of the seeded data directory, and the server's
// queue put back as it was after the senders sent (the same envelopes, decrypted from the same
// session state).
// Options: --burst 5000 --senders 5 --store 100000 --runs 3
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CoreThread, ParleyCore } from '@parley/desktop';
import type { ClientEvents, ConversationSummary, SessionInfo } from '@parley/shared';
import { startTestKeyring, waitForKeyring } from '@parley/test-support/keyring';
import pg from 'pg';
import { type BridgeTransport, forwardEvents, serveCall } from '../apps/desktop/src/bridge/bridge.ts';
import { seedHistory } from './seed.ts';
import { ROOT, startBenchServer } from './server.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    burst: { type: 'string', default: '5000' },
    senders: { type: 'string', default: '5' },
    store: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});

type Mode = 'main thread' | 'core thread';
const MODES: Mode[] = ['main thread', 'core thread'];

/** What a run's process is given. */
interface Job {
  mode: Mode;
  dataDir: string;
  serverUrl: string;
  burst: number;
}

/** What a run measured. */
interface Run {
  envelopesPerSecond: number;
  delayP50: number;
  delayP99: number;
  delayMax: number;
  /** The main thread's event-loop utilisation during the burst, 0…1. */
  utilisation: number;
  cpuMsPerEnvelope: number;
}

/** The core on this thread, reached through the bridge as the shells did before the core thread. */
function inProcessCore(core: ParleyCore): BridgeTransport & { close(): Promise<void> } {
  core.restoreSession().catch(() => {});
  return {
    invoke: (method, args) => serveCall(core, method, args, (error) => console.error(error)),
    subscribe: (listener) => forwardEvents(core, listener),
    close: () => core.close(),
  };
}

/** One run, in its own process: the shell comes up, the burst arrives; resolves with the figures. */
async function receive(job: Job): Promise<Run> {
  const options = { dataDir: job.dataDir, serverUrl: job.serverUrl };
  const shell = job.mode === 'main thread' ? inProcessCore(new ParleyCore(options)) : new CoreThread(options);
  const conversations = async () =>
    ((await shell.invoke('conversations', [])) as { value: ConversationSummary[] }).value ?? [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let started = { at: 0, cpu: process.cpuUsage(), loop: performance.eventLoopUtilization() };
  let received = 0;
  let finish: (ended: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  // The renderer's chat list (stores/conversations.ts): each message puts its conversation in
  // place; the whole list is fetched (one fetch at a time, again if asked meanwhile) only for a
  // sender the core does not know yet, or while a fetch is in flight.
  let summaries: ConversationSummary[] = [];
  let refreshing: Promise<void> | null = null;
  let again = false;
  const refreshList = () => {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = (async () => {
      do {
        again = false;
        summaries = await conversations();
      } while (again);
      refreshing = null;
    })();
  };
  const messageArrived = ({ conversation }: ClientEvents['message']) => {
    const others = summaries.filter((c) => c.peer.id !== conversation.peer.id);
    const at = others.findIndex((c) => c.updatedAt <= conversation.updatedAt);
    const position = at === -1 ? others.length : at;
    summaries = [...others.slice(0, position), conversation, ...others.slice(position)];
    if (!conversation.peer.username || refreshing) refreshList();
  };
  // Electron's main process: the badge and tray from the event's unread total.
  let badge = 0;

  shell.subscribe((event, payload) => {
    JSON.stringify(payload); // on to the window: IPC and the host's socket serialise every event
    if (event === 'connection' && (payload as { state: string }).state === 'online' && !started.at) {
      delay.enable();
      started = { at: performance.now(), cpu: process.cpuUsage(), loop: performance.eventLoopUtilization() };
    }
    if (event === 'message' || event === 'read') badge = (payload as ClientEvents['read']).unreadTotal;
    if (event === 'message') {
      messageArrived(payload as ClientEvents['message']);
      if ((payload as ClientEvents['message']).direction === 'in' && ++received === job.burst)
        finish(performance.now());
    }
  });
  await shell.invoke('restoreSession', []); // the window's own call, as the app starts
  summaries = await conversations();
  const ended = await finished;
  delay.disable();
  const cpu = process.cpuUsage(started.cpu);
  const run: Run = {
    envelopesPerSecond: job.burst / ((ended - started.at) / 1000),
    delayP50: delay.percentile(50) / 1e6,
    delayP99: delay.percentile(99) / 1e6,
    delayMax: delay.max / 1e6,
    utilisation: performance.eventLoopUtilization(started.loop).utilization,
    cpuMsPerEnvelope: (cpu.user + cpu.system) / 1000 / job.burst,
  };
  await refreshing;
  const unread = (await conversations()).reduce((sum, c) => sum + c.unreadCount, 0);
  await shell.close();
  if (badge !== job.burst || unread !== job.burst) throw new Error(`${badge} / ${unread} unread, not ${job.burst}`);
  return run;
}

/** Runs `receive` in a fresh process (JIT, heap and caches start equal for every run). */
function runProcess(job: Job): Promise<Run> {
  // BENCH_PROFILE_DIR=dir: each run writes a V8 CPU profile per thread there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, 'bench/receive.ts', '--child', JSON.stringify(job)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Run) : reject(new Error(`a ${job.mode} run failed (exit ${code})`)),
    ),
  );
}

if (values.child) {
  process.stdout.write(JSON.stringify(await receive(JSON.parse(values.child) as Job)));
  process.exit(0);
}

const BURST = Number(values.burst);
const SENDERS = Number(values.senders);
const STORE = Number(values.store);
const RUNS = Number(values.runs);
const EACH = Math.ceil(BURST / SENDERS);
const CONVERSATIONS = 200;
const WORDS = ['встреча', 'проект', 'hello', 'meeting', 'draft', 'фото', 'tomorrow', 'кофе', 'release', 'review'];
const text = (i: number) =>
  `${Array.from({ length: 8 }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ')} #${i}`;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** A signed-in core of a new account in this process, connected. */
async function signedIn(serverUrl: string, name: string): Promise<{ core: ParleyCore; dataDir: string }> {
  const dataDir = await mkdtemp(join(dir, `${name}-`));
  const core = new ParleyCore({ dataDir, serverUrl });
  await core.register({
    username: `${name}${process.pid}${Date.now() % 1e6}`.slice(0, 32),
    password: 'bench-password-1',
    displayName: name,
    deviceName: 'bench',
  });
  while ((await core.connectionState()) !== 'online') await new Promise((r) => setTimeout(r, 20));
  return { core, dataDir };
}

/** Sends `count` texts to `to` and waits until the server has taken them all. */
async function sendBurst(core: ParleyCore, to: string, count: number, sender: number): Promise<void> {
  let sent = 0;
  const taken = new Promise<void>((resolve) => {
    core.on('status', ({ status }) => {
      if (status === 'sent' && ++sent === count) resolve();
    });
  });
  for (let i = 0; i < count; i++) await core.sendText(to, `${sender}.${i} ${text(i)}`);
  if (count > 0) await taken;
}

const keyring = startTestKeyring();
Object.assign(process.env, keyring.env);
await waitForKeyring(keyring.env);
const server = await startBenchServer({
  // Senders the receiver has not added: their share of its queue must hold the burst.
  QUEUE_MAX_PER_DEVICE: String(Math.max(10_000, 2 * BURST)),
  QUEUE_SHARE_PER_SENDER: String(Math.max(2_000, EACH)),
  QUEUE_SHARE_PER_STRANGER: String(Math.max(2_000, EACH)),
  RATE_LIMIT_SEND_PER_DEVICE: '1000000/60',
});
const db = new pg.Client({ connectionString: server.databaseUrl });
await db.connect();
const dir = await mkdtemp(join(tmpdir(), 'parley-bench-receive-'));
const runs: Record<Mode, Run[]> = { 'main thread': [], 'core thread': [] };
try {
  // The receiver signs up, then is offline while its history goes in and the burst is queued.
  let t = performance.now();
  const receiver = await signedIn(server.url, 'receiver');
  const { user, deviceId } = (await receiver.core.session()) as SessionInfo;
  await receiver.core.close();
  const sizes = Array.from({ length: CONVERSATIONS }, (_, c) => Math.floor((STORE + c) / CONVERSATIONS));
  await seedHistory(receiver.dataDir, server.url, sizes, (c) => `Peer ${c}`, text);
  console.log(`receiver: ${STORE} messages in ${CONVERSATIONS} chats seeded in ${seconds(t)}`);

  t = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, s) => {
      const sender = await signedIn(server.url, `sender${s}`);
      await sendBurst(sender.core, user.id, Math.max(0, Math.min(EACH, BURST - s * EACH)), s);
      await sender.core.close();
    }),
  );
  await db.query('CREATE TABLE bench_queue AS SELECT * FROM envelopes WHERE destination_device_id = $1', [deviceId]);
  const queued = Number((await db.query('SELECT count(*) FROM bench_queue')).rows[0].count);
  if (queued !== BURST) throw new Error(`${queued} envelopes queued, not ${BURST}`);
  console.log(`burst: ${BURST} messages from ${SENDERS} senders queued in ${seconds(t)}`);

  for (let r = 0; r < RUNS; r++) {
    for (const mode of MODES) {
      const dataDir = join(dir, `run-${r}-${mode.replace(' ', '-')}`);
      await cp(receiver.dataDir, dataDir, { recursive: true });
      await db.query('DELETE FROM envelopes');
      await db.query('INSERT INTO envelopes SELECT * FROM bench_queue');
      const run = await runProcess({ mode, dataDir, serverUrl: server.url, burst: BURST });
      runs[mode].push(run);
      console.log(
        `  run ${r + 1}, ${mode}: ${run.envelopesPerSecond.toFixed(0)} envelopes/s, delay p99 ${run.delayP99.toFixed(1)} ms`,
      );
      await rm(dataDir, { recursive: true, force: true });
    }
  }
} finally {
  await db.end();
  await server.stop();
  keyring.stop();
  await rm(dir, { recursive: true, force: true });
}

const figures: [string, (run: Run) => number, number][] = [
  ['envelopes/s through the core', (r) => r.envelopesPerSecond, 0],
  ['main-thread event-loop delay p50 (ms)', (r) => r.delayP50, 1],
  ['main-thread event-loop delay p99 (ms)', (r) => r.delayP99, 1],
  ['main-thread event-loop delay max (ms)', (r) => r.delayMax, 1],
  ['main-thread event-loop utilisation (%)', (r) => r.utilisation * 100, 0],
  ['CPU per envelope, all threads (ms)', (r) => r.cpuMsPerEnvelope, 2],
];
console.log(
  `\nbench:receive — ${BURST} queued messages from ${SENDERS} senders into a ${STORE}-message store; ` +
    `median (min–max) of ${RUNS} runs per mode`,
);
const width = Math.max(...figures.map(([name]) => name.length));
console.log(`  ${''.padEnd(width)}  ${'core on main thread'.padStart(22)}  ${'core thread'.padStart(22)}  ratio`);
for (const [name, figure, digits] of figures) {
  const cell = (mode: Mode) => {
    const all = runs[mode].map(figure);
    return `${median(all).toFixed(digits)} (${Math.min(...all).toFixed(digits)}–${Math.max(...all).toFixed(digits)})`;
  };
  const ratio = median(runs['core thread'].map(figure)) / median(runs['main thread'].map(figure));
  console.log(
    `  ${name.padEnd(width)}  ${cell('main thread').padStart(22)}  ${cell('core thread').padStart(22)}  ${ratio.toFixed(2)}×`,
  );
}
