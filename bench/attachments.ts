// npm run bench:attachments — memory and speed of sending and receiving a big file through the
// core: announce, encrypt into the local copy, upload, download (digest checked), decrypt, against
// a real server on loopback. The process's peak RSS growth over its resting RSS is sampled every
// 10 ms. Baseline in the same invocation: the same file's plaintext uploaded and downloaded over
// the same routes with plain fetch streams (no encryption, no local copy).
// Options: --mb 100 --runs 3
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { AttachmentTransfers, createApiClient, ServerSession } from '@parley/desktop';
import { API_PREFIX, type AuthResponse } from '@parley/shared';
import { startBenchServer } from './server.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '100' }, runs: { type: 'string', default: '3' } },
});
const SIZE = Number(values.mb) * 1_000_000;
const RUNS = Number(values.runs);
const MiB = 1024 * 1024;

/** Runs `work` and reports its time and the peak RSS above the RSS before it started. */
async function measured(work: () => Promise<void>): Promise<{ ms: number; peakGrowth: number }> {
  globalThis.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { ms, peakGrowth: peak - before };
}

async function fileHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

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
  const transfers = async (auth: AuthResponse, name: string) => {
    const session = new ServerSession(
      api,
      auth.refreshToken,
      { persistRefreshToken: async () => {}, revoked() {} },
      auth,
    );
    return new AttachmentTransfers(server.url, session, await mkdtemp(join(work, name)));
  };

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
  console.log(`bench:attachments — a ${values.mb} MB file, ${RUNS} runs, server on loopback`);

  // One small transfer first: loading libsodium's WebAssembly, connection pools and JIT are paid
  // once per process, not per file; shown apart so the per-file figure is the file's own.
  const warmUp = await measured(async () => {
    const [sender, receiver] = [await transfers(alice, 'warm-a-'), await transfers(bob, 'warm-b-')];
    const small = randomBytes(MiB);
    const uploaded = await sender.prepare(bob.user.id, Readable.from([small]), small.length);
    await sender.upload(uploaded.id);
    const pointer = { ...uploaded, name: 'small.bin', contentType: 'application/octet-stream' };
    await receiver.download(pointer);
    for await (const _ of receiver.open(pointer));
  });
  console.log(
    `  first transfer in the process (1 MiB; loads libsodium, warms up): +${(warmUp.peakGrowth / MiB).toFixed(1)} MiB`,
  );

  const parley: { ms: number; peakGrowth: number }[] = [];
  const plain: { ms: number; peakGrowth: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const [sender, receiver] = [await transfers(alice, `alice${run}-`), await transfers(bob, `bob${run}-`)];
    const received = join(work, `received-${run}`);
    parley.push(
      await measured(async () => {
        const uploaded = await sender.prepare(bob.user.id, createReadStream(source), SIZE);
        await sender.upload(uploaded.id);
        const pointer = { ...uploaded, name: 'file.bin', contentType: 'application/octet-stream' };
        await receiver.download(pointer);
        await pipeline(receiver.open(pointer), createWriteStream(received));
      }),
    );
    if ((await fileHash(received)) !== sourceHash) throw new Error('the received file differs');

    const back = join(work, `plain-${run}`);
    plain.push(
      await measured(async () => {
        const { id } = await api('createAttachment', {
          body: { recipientUserId: bob.user.id, size: SIZE },
          accessToken: alice.accessToken,
        });
        const url = `${server.url}${API_PREFIX}/attachments/${id}`;
        const put = await fetch(url, {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${alice.accessToken}`,
            'content-type': 'application/octet-stream',
            'content-length': String((await stat(source)).size),
          },
          body: createReadStream(source) as unknown as ReadableStream,
          duplex: 'half',
        } as RequestInit);
        if (!put.ok) throw new Error(`plain upload: ${put.status}`);
        const got = await fetch(url, { headers: { authorization: `Bearer ${bob.accessToken}` } });
        if (!got.body) throw new Error('plain download: no body');
        await pipeline(got.body, createWriteStream(back));
      }),
    );
  }

  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
  const rows: [string, string, string][] = [
    [
      'Parley: encrypt, upload, download, decrypt',
      `${(median(parley.map((r) => r.ms)) / 1000).toFixed(2)} s`,
      mib(median(parley.map((r) => r.peakGrowth))),
    ],
    [
      'baseline: plaintext up and down, plain fetch',
      `${(median(plain.map((r) => r.ms)) / 1000).toFixed(2)} s`,
      mib(median(plain.map((r) => r.peakGrowth))),
    ],
  ];
  console.log(`  ${''.padEnd(46)}  ${'time'.padStart(8)}  ${'peak RSS growth'.padStart(16)}`);
  for (const [name, time, memory] of rows)
    console.log(`  ${name.padEnd(46)}  ${time.padStart(8)}  ${memory.padStart(16)}`);
  const ratio = median(parley.map((r) => r.ms)) / median(plain.map((r) => r.ms));
  console.log(
    `  time ratio to the baseline: ${ratio.toFixed(2)}×; every run's peak growth: ${parley.map((r) => mib(r.peakGrowth)).join(', ')}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
}
