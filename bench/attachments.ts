// npm run bench:attachments — memory and speed of sending and receiving a big file through the
// core, as the app does it: Alice's core takes the file in 1 MiB chunks (appendAttachment, as from
// the UI), encrypts it into its local copy and uploads it before the message goes out; Bob's core
// receives the message, downloads it (digest checked) and decrypts it to a file. Real server on
// loopback, real keychain (the test keyring). Each core runs in a fresh Node process (RSS never
// shrinks back, so runs sharing one process would measure each other); it samples its memory every
// 5 ms and reports the peak above its resting state (signed in, connected) just before the
// transfer. Baseline in the same invocation, in fresh processes too: the same file's plaintext
// uploaded and downloaded over the same routes (node:http up, fetch down), no encryption.
// Options: --mb 100 --runs 3
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createApiClient, ParleyCore } from '@parley/desktop';
import { API_PREFIX, ATTACHMENT_APPEND_BYTES, type AuthResponse, type LocalMessage } from '@parley/shared';
import { startTestKeyring, waitForKeyring } from '@parley/test-support/keyring';
import { startBenchServer } from './server.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});
const MiB = 1024 * 1024;

/** One measured transfer: its time and the peak growth of each memory figure. */
interface Phase {
  ms: number;
  rss: number;
  heap: number;
  external: number;
}

/** What a child process is given (as JSON in its environment). */
interface Job {
  serverUrl: string;
  source: string;
  size: number;
  dir: string;
  /** The plaintext baseline's accounts. */
  alice?: AuthResponse;
  bob?: AuthResponse;
  /** The sending core's recipient. */
  bobId?: string;
}

async function fileHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Runs `work`, sampling memory; the peak of each figure above what it was just before. */
async function measured(work: () => Promise<void>): Promise<Phase> {
  globalThis.gc?.();
  const before = process.memoryUsage();
  const peak = { rss: before.rss, heap: before.heapUsed, external: before.external };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  };
  const sampler = setInterval(sample, 5);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  clearInterval(sampler);
  sample();
  return {
    ms,
    rss: peak.rss - before.rss,
    heap: peak.heap - before.heapUsed,
    external: peak.external - before.external,
  };
}

/** A signed-in core of a new account in this process, connected. */
async function signedInCore(job: Job, name: string): Promise<ParleyCore> {
  const core = new ParleyCore({ dataDir: await mkdtemp(join(job.dir, `${name}-`)), serverUrl: job.serverUrl });
  await core.register({
    username: `${name}${process.pid}${Date.now() % 1e6}`,
    password: 'bench-password-1',
    displayName: name,
    deviceName: 'bench',
  });
  while ((await core.connectionState()) !== 'online') await new Promise((r) => setTimeout(r, 20));
  return core;
}

/** Alice's core: the file handed over in chunks as the UI does, encrypted, uploaded, sent. */
async function send(job: Job): Promise<Phase> {
  const core = await signedInCore(job, 'alice');
  const phase = await measured(async () => {
    const id = await core.startAttachment(job.bobId as string, {
      name: 'file.bin',
      contentType: 'application/octet-stream',
      size: job.size,
    });
    for await (const chunk of createReadStream(job.source, { highWaterMark: ATTACHMENT_APPEND_BYTES })) {
      await core.appendAttachment(id, chunk as Buffer);
    }
    const sent = new Promise<void>((ok) => {
      const stop = core.on('status', ({ messageId, status }) => {
        if (messageId === id && status === 'sent') {
          stop();
          ok();
        }
      });
    });
    await core.sendAttachment(id, '');
    await sent;
  });
  await core.close();
  return phase;
}

/** Bob's core: tells its user id, waits for the file's message, downloads and decrypts it to a file. */
async function receive(job: Job): Promise<Phase> {
  const core = await signedInCore(job, 'bob');
  const arrived = new Promise<LocalMessage>((ok) => {
    core.on('message', (message) => {
      if (message.attachment) ok(message);
    });
  });
  process.stdout.write(`${JSON.stringify({ userId: (await core.session())?.user.id })}\n`);
  const message = await arrived;
  const phase = await measured(async () => {
    await core.downloadAttachment(message.id);
    const opened = core.openAttachment(message.id);
    if (!opened) throw new Error('no local copy after the download');
    await pipeline(opened.data, createWriteStream(join(job.dir, 'received')));
  });
  await core.close();
  return phase;
}

/** The baseline: plaintext up and down the same routes, no encryption, no local copy. */
async function plain(job: Job): Promise<{ up: Phase; down: Phase }> {
  const [alice, bob] = [job.alice as AuthResponse, job.bob as AuthResponse];
  let url = '';
  const up = await measured(async () => {
    const { id } = await createApiClient(job.serverUrl)('createAttachment', {
      body: { recipientUserId: bob.user.id, size: job.size },
      accessToken: alice.accessToken,
    });
    url = `${job.serverUrl}${API_PREFIX}/attachments/${id}`;
    const put = request(url, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${alice.accessToken}`,
        'content-type': 'application/octet-stream',
        'content-length': String(job.size),
      },
    });
    const [answer] = await Promise.all([once(put, 'response'), pipeline(createReadStream(job.source), put)]);
    const res = answer[0] as import('node:http').IncomingMessage;
    res.resume();
    if ((res.statusCode ?? 500) >= 300) throw new Error(`plain upload: ${res.statusCode}`);
  });
  const down = await measured(async () => {
    const got = await fetch(url, { headers: { authorization: `Bearer ${bob.accessToken}` } });
    if (!got.body) throw new Error('plain download: no body');
    await pipeline(got.body, createWriteStream(join(job.dir, 'received')));
  });
  return { up, down };
}

if (values.child) {
  const job = JSON.parse(process.env.BENCH_JOB ?? '{}') as Job;
  const report =
    values.child === 'send' ? await send(job) : values.child === 'receive' ? await receive(job) : await plain(job);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

function child(kind: 'send' | 'receive' | 'plain', job: Job): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, ['--expose-gc', import.meta.filename, '--child', kind], {
    env: { ...process.env, BENCH_JOB: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout as Readable })[Symbol.asyncIterator]();
  return { proc, lines };
}

async function nextLine<T>(lines: AsyncIterator<string>): Promise<T> {
  const { value, done } = await lines.next();
  if (done) throw new Error('a bench process ended without answering');
  return JSON.parse(value) as T;
}

const SIZE = Number(values.mb) * 1_000_000;
const RUNS = Number(values.runs);
const keyring = startTestKeyring();
Object.assign(process.env, keyring.env);
await waitForKeyring(keyring.env);
const server = await startBenchServer({ ATTACHMENT_MAX_BYTES: String(SIZE), RATE_LIMIT_REGISTER_PER_IP: '1000/60' });
const work = await mkdtemp(join(tmpdir(), 'parley-bench-attachments-'));
try {
  const api = createApiClient(server.url);
  const account = async (name: string): Promise<AuthResponse> =>
    api('register', {
      body: {
        username: `${name}${Date.now() % 1e9}`,
        password: 'bench-password-1',
        displayName: name,
        device: { name: 'bench' },
      },
    });
  const source = join(work, 'file.bin');
  // Random bytes, written in pieces so the bench itself never holds the file.
  await pipeline(
    Readable.from(
      (function* () {
        for (let left = SIZE; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left));
      })(),
    ),
    createWriteStream(source),
  );
  const sourceHash = await fileHash(source);
  console.log(`bench:attachments — a ${values.mb} MB file, ${RUNS} runs, server on loopback, a fresh process per core`);

  const rows: Record<'send' | 'receive' | 'plainUp' | 'plainDown', Phase[]> = {
    send: [],
    receive: [],
    plainUp: [],
    plainDown: [],
  };
  for (let run = 0; run < RUNS; run++) {
    const dir = await mkdtemp(join(work, `run${run}-`));
    const job: Job = { serverUrl: server.url, source, size: SIZE, dir };
    const bob = child('receive', job);
    const { userId } = await nextLine<{ userId: string }>(bob.lines);
    const alice = child('send', { ...job, bobId: userId });
    rows.send.push(await nextLine<Phase>(alice.lines));
    rows.receive.push(await nextLine<Phase>(bob.lines));
    if ((await fileHash(join(dir, 'received'))) !== sourceHash) throw new Error('the received file differs');

    const plainDir = await mkdtemp(join(work, `plain${run}-`));
    const baseline = child('plain', { ...job, dir: plainDir, alice: await account('pa'), bob: await account('pb') });
    const { up, down } = await nextLine<{ up: Phase; down: Phase }>(baseline.lines);
    rows.plainUp.push(up);
    rows.plainDown.push(down);
    if ((await fileHash(join(plainDir, 'received'))) !== sourceHash) throw new Error('the plain file differs');
    await rm(dir, { recursive: true, force: true });
    await rm(plainDir, { recursive: true, force: true });
  }

  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  const names = {
    send: "Alice's core: take, encrypt, upload",
    receive: "Bob's core: download, decrypt",
    plainUp: 'baseline: plaintext upload',
    plainDown: 'baseline: plaintext download',
  };
  console.log(
    `  ${''.padEnd(36)}${['time', 'peak RSS +', 'heap +', 'external +'].map((h) => h.padStart(12)).join('')}   (MiB; medians)`,
  );
  for (const key of Object.keys(names) as (keyof typeof names)[]) {
    const phases = rows[key];
    const cells = [
      `${(median(phases.map((p) => p.ms)) / 1000).toFixed(2)} s`,
      mib(median(phases.map((p) => p.rss))),
      mib(median(phases.map((p) => p.heap))),
      mib(median(phases.map((p) => p.external))),
    ];
    console.log(`  ${names[key].padEnd(36)}${cells.map((c) => c.padStart(12)).join('')}`);
  }
  const total = (a: Phase[], b: Phase[]) => median(a.map((p) => p.ms)) + median(b.map((p) => p.ms));
  console.log(
    `  time ratio to the baseline (both ways): ${(total(rows.send, rows.receive) / total(rows.plainUp, rows.plainDown)).toFixed(2)}×`,
  );
  console.log(
    `  every run's peak RSS growth, sender / receiver (MiB): ${rows.send.map((p, i) => `${mib(p.rss)} / ${mib(rows.receive[i]?.rss ?? 0)}`).join(', ')}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
  keyring.stop();
}
