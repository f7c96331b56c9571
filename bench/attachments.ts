// npm run bench:attachments — memory and speed of sending and receiving a big file through the
// core: announce, encrypt into the local copy, upload, then download (digest checked) and decrypt
// to a file, against a real server on loopback. Each measured transfer runs in a fresh Node process
// (RSS never shrinks back to what a process had, so runs sharing one would measure each other);
// that process samples its memory every 5 ms and reports the peak above its resting state (after
// its modules and libsodium are loaded). Baseline in the same invocation, in fresh processes too:
// the same file's plaintext uploaded and downloaded over the same routes (node:http up, fetch down).
// Options: --mb 100 --runs 3
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { AttachmentTransfers, createApiClient, ServerSession, sodiumReady } from '@parley/desktop';
import { API_PREFIX, type AuthResponse } from '@parley/shared';
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

/** What a child process reports: time and peak growth of each memory figure, per direction. */
interface Phase {
  ms: number;
  rss: number;
  heap: number;
  external: number;
}
type ChildReport = { up: Phase; down: Phase };

/** The job a child process is given (as JSON in its environment). */
interface ChildJob {
  serverUrl: string;
  alice: AuthResponse;
  bob: AuthResponse;
  source: string;
  size: number;
  dir: string;
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

/** One transfer each way in this (fresh) process, as the core does it or as plain fetch does. */
async function child(kind: 'parley' | 'plain', job: ChildJob): Promise<ChildReport> {
  const received = join(job.dir, `received-${kind}`);
  if (kind === 'parley') {
    await sodiumReady;
    const transfers = async (auth: AuthResponse, name: string) => {
      const session = new ServerSession(
        createApiClient(job.serverUrl),
        auth.refreshToken,
        { persistRefreshToken: async () => {}, revoked() {} },
        auth,
      );
      return new AttachmentTransfers(job.serverUrl, session, await mkdtemp(join(job.dir, name)));
    };
    const [sender, receiver] = [await transfers(job.alice, 'alice-'), await transfers(job.bob, 'bob-')];
    let pointer = { id: '', key: '', digest: '', size: 0, name: 'file.bin', contentType: 'application/octet-stream' };
    const up = await measured(async () => {
      const uploaded = await sender.prepare(job.bob.user.id, createReadStream(job.source), job.size);
      await sender.upload(uploaded.id);
      pointer = { ...pointer, ...uploaded };
    });
    const down = await measured(async () => {
      await receiver.download(pointer);
      await pipeline(receiver.open(pointer), createWriteStream(received));
    });
    return { up, down };
  }
  let url = '';
  const up = await measured(async () => {
    const { id } = await createApiClient(job.serverUrl)('createAttachment', {
      body: { recipientUserId: job.bob.user.id, size: job.size },
      accessToken: job.alice.accessToken,
    });
    url = `${job.serverUrl}${API_PREFIX}/attachments/${id}`;
    const put = request(url, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${job.alice.accessToken}`,
        'content-type': 'application/octet-stream',
        'content-length': String(job.size),
      },
    });
    const answered = new Promise<number>((ok, fail) => {
      put.once('response', (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      });
      put.once('error', fail);
    });
    await pipeline(createReadStream(job.source), put);
    const status = await answered;
    if (status >= 300) throw new Error(`plain upload: ${status}`);
  });
  const down = await measured(async () => {
    const got = await fetch(url, { headers: { authorization: `Bearer ${job.bob.accessToken}` } });
    if (!got.body) throw new Error('plain download: no body');
    await pipeline(got.body, createWriteStream(received));
  });
  return { up, down };
}

function runChild(kind: 'parley' | 'plain', job: ChildJob): Promise<ChildReport> {
  return new Promise((ok, fail) => {
    const proc = spawn(process.execPath, ['--expose-gc', import.meta.filename, '--child', kind], {
      env: { ...process.env, BENCH_JOB: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
    });
    proc.on('exit', (code) => (code === 0 ? ok(JSON.parse(out) as ChildReport) : fail(new Error(`child ${code}`))));
  });
}

if (values.child) {
  const report = await child(values.child as 'parley' | 'plain', JSON.parse(process.env.BENCH_JOB ?? '{}'));
  process.stdout.write(JSON.stringify(report));
  process.exit(0);
}

const SIZE = Number(values.mb) * 1_000_000;
const RUNS = Number(values.runs);
const server = await startBenchServer({ ATTACHMENT_MAX_BYTES: String(SIZE) });
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
  const [alice, bob] = [await account('alice'), await account('bob')];
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
  console.log(`bench:attachments — a ${values.mb} MB file, ${RUNS} runs, server on loopback, a fresh process per run`);

  const reports: Record<'parley' | 'plain', ChildReport[]> = { parley: [], plain: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const kind of ['parley', 'plain'] as const) {
      const dir = await mkdtemp(join(work, `${kind}${run}-`));
      reports[kind].push(await runChild(kind, { serverUrl: server.url, alice, bob, source, size: SIZE, dir }));
      if ((await fileHash(join(dir, `received-${kind}`))) !== sourceHash) throw new Error(`${kind}: the file differs`);
      await rm(dir, { recursive: true, force: true });
    }
  }

  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)}`;
  const header = ['', 'time', 'peak RSS +', 'heap +', 'external +'];
  console.log(
    `  ${header[0]?.padEnd(34)}${header
      .slice(1)
      .map((h) => h.padStart(12))
      .join('')}   (MiB, medians)`,
  );
  for (const kind of ['parley', 'plain'] as const) {
    for (const direction of ['up', 'down'] as const) {
      const phases = reports[kind].map((r) => r[direction]);
      const name =
        kind === 'parley'
          ? `Parley ${direction === 'up' ? 'encrypt + upload' : 'download + decrypt'}`
          : `baseline plaintext ${direction === 'up' ? 'upload' : 'download'}`;
      const cells = [
        `${(median(phases.map((p) => p.ms)) / 1000).toFixed(2)} s`,
        mib(median(phases.map((p) => p.rss))),
        mib(median(phases.map((p) => p.heap))),
        mib(median(phases.map((p) => p.external))),
      ];
      console.log(`  ${name.padEnd(34)}${cells.map((c) => c.padStart(12)).join('')}`);
    }
  }
  const total = (r: ChildReport) => r.up.ms + r.down.ms;
  const ratio = median(reports.parley.map(total)) / median(reports.plain.map(total));
  const peaks = reports.parley.map((r) => `${mib(r.up.rss)}/${mib(r.down.rss)}`).join(', ');
  console.log(`  time ratio to the baseline (both ways): ${ratio.toFixed(2)}×`);
  console.log(`  Parley's peak RSS growth per run (up/down, MiB): ${peaks}`);
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
}
