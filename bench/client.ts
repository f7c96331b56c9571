// npm run bench:client — the desktop client with a big local store, in Chromium through the
// browser host against a real server: time from start to the conversation list, to open the
// biggest conversation, search latency, and frame times while scrolling its history. Each figure
// is the median of several cold starts; a small store (1k messages) runs in the same invocation
// as the baseline for the ratios.
// Options: --runs 5
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM, CHROMIUM_ARGS } from '@parley/test-support/chromium';
import { startTestKeyring, waitForKeyring } from '@parley/test-support/keyring';
import { type Browser, chromium, type Page } from 'playwright-core';
import { seedHistory } from './seed.ts';
import { ROOT, startBenchServer } from './server.ts';
import { median, percentile } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);
const WORDS = ['встреча', 'проект', 'hello', 'meeting', 'draft', 'фото', 'tomorrow', 'кофе', 'release', 'review'];
const SEARCHES = ['meeting', 'кофе', 'needle1000', 'release tomorrow', 'draft review'];
const SCROLL_FRAMES = 300;
const PHASES = [
  'script fetched',
  'script run (DOMContentLoaded)',
  'bridge connected',
  'session restored',
  'chats loaded',
] as const;
const PEER_NAME = (i: number) => `Peer ${String(i).padStart(3, '0')}`;

interface Scenario {
  name: string;
  /** Messages in each conversation; conversation 0 is the biggest. */
  sizes: number[];
}

const skewed = (total: number, conversations: number) =>
  Array.from({ length: conversations }, (_, c) => {
    // Conversation c holds the messages i with floor(conversations * (i / total)^2) = c.
    const from = Math.ceil(total * Math.sqrt(c / conversations));
    const to = Math.ceil(total * Math.sqrt((c + 1) / conversations));
    return to - from;
  }).sort((a, b) => b - a);

const SCENARIOS: Scenario[] = [
  { name: 'baseline: 1k messages, 20 chats', sizes: [810, ...Array.from({ length: 19 }, () => 10)] },
  { name: '100k messages, 200 chats (skewed)', sizes: skewed(100_000, 200) },
  { name: 'one 100k-message chat + 199 small', sizes: [100_000, ...Array.from({ length: 199 }, () => 50)] },
];

const text = (i: number) => {
  const words = Array.from({ length: 8 }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]);
  if (i % 1000 === 0) words.push(`needle${i}`);
  return `${words.join(' ')} #${i}`;
};
const newestText = (sizes: number[]) => text(sizes[0] as number); // see seedHistory(): the last index of chat 0

interface Host {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The browser host as its own process, as `npm start` runs it; resolves once it prints its URL. */
function startHost(serverUrl: string, dataDir: string, env: Record<string, string>): Promise<Host> {
  const child = spawn(
    process.execPath,
    ['apps/desktop/dist/host/main.js', '--server-url', serverUrl, '--data-dir', dataDir, '--port', '0'],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`the host exited (${code}): ${out}`)));
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const url = /http:\/\/\S+/.exec(out)?.[0];
      if (url)
        resolve({
          url,
          child,
          stop: () =>
            new Promise((done) => {
              child.removeAllListeners('exit');
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
    });
  });
}

/** Resolves in the page when `predicate` holds, checked on every DOM change; returns performance.now(). */
const WAIT_IN_PAGE = `
  window.__waitFor = (predicate) => new Promise((resolve) => {
    if (predicate()) return resolve(performance.now());
    const observer = new MutationObserver(() => {
      if (predicate()) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(document, { subtree: true, childList: true, characterData: true });
  });`;

interface Run {
  startToList: number;
  /** Host process start → its URL printed (Node start, modules, the core). */
  hostUp: number;
  /** Page-side phases, ms since navigation: renderer script fetched, evaluated, session restored, chats loaded, list shown. */
  phases: Record<(typeof PHASES)[number], number>;
  pageToList: number;
  openBiggest: number;
  search: number[];
  frames: number[];
}

async function measureOnce(
  browser: Browser,
  serverUrl: string,
  dataDir: string,
  env: Record<string, string>,
  newest: string,
): Promise<Run> {
  const t0 = performance.now();
  const host = await startHost(serverUrl, dataDir, env);
  const hostUp = performance.now() - t0;
  const page: Page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.addInitScript(WAIT_IN_PAGE);
  await page.goto(host.url, { waitUntil: 'commit' });
  const listed = (await page.evaluate(`__waitFor(() =>
    [...document.querySelectorAll('nav button')].some((b) => b.textContent.includes(${JSON.stringify(PEER_NAME(0))})))`)) as number;
  const startToList = performance.now() - t0;
  const phases = (await page.evaluate(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const script = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.js'));
    const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
    return {
      'script fetched': script.responseEnd,
      'script run (DOMContentLoaded)': nav.domContentLoadedEventEnd,
      'bridge connected': mark('parley:bridge-connected'),
      'session restored': mark('parley:session-restored'),
      'chats loaded': mark('parley:conversations-loaded'),
    };
  })()`)) as Run['phases'];

  // Open the biggest chat: click → its newest message on screen (then one frame, so it was painted).
  const openBiggest = (await page.evaluate(`(async () => {
    const button = [...document.querySelectorAll('nav button')].find((b) => b.textContent.includes(${JSON.stringify(PEER_NAME(0))}));
    const t = performance.now();
    button.click();
    await __waitFor(() => [...document.querySelectorAll('[role=log] .bubble-text')].some((e) => e.textContent === ${JSON.stringify(newest)}));
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - t;
  })()`)) as number;

  // Search through the same API the search dialog calls (bridge + core + store).
  const search = (await page.evaluate(`(async () => {
    const times = [];
    for (const q of ${JSON.stringify(SEARCHES)}) {
      const t = performance.now();
      await window.parley.searchMessages(q, 50);
      times.push(performance.now() - t);
    }
    return times;
  })()`)) as number[];

  // Scroll up through the history a bit every frame (older pages load on the way) and record
  // how long each frame took; the browser runs without a frame-rate cap, so a frame's length is its work.
  const frames = (await page.evaluate(`(async () => {
    const log = document.querySelector('[role=log]');
    const frames = [];
    let last = await new Promise((r) => requestAnimationFrame(r));
    for (let i = 0; i < ${SCROLL_FRAMES}; i++) {
      log.scrollTop = Math.max(0, log.scrollTop - 100);
      const t = await new Promise((r) => requestAnimationFrame(r));
      frames.push(t - last);
      last = t;
    }
    return frames;
  })()`)) as number[];

  await page.context().close();
  await host.stop();
  return { startToList, hostUp, phases, pageToList: listed, openBiggest, search, frames };
}

const keyring = startTestKeyring();
Object.assign(process.env, keyring.env);
await waitForKeyring(keyring.env);
const server = await startBenchServer();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [...CHROMIUM_ARGS, '--disable-frame-rate-limit', '--disable-gpu-vsync'],
});

const fmt = (v: number) => `${v.toFixed(1)} ms`;
const results: { scenario: Scenario; runs: Run[] }[] = [];
try {
  for (const scenario of SCENARIOS) {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-client-'));
    // Sign up once through the API the UI uses, then put the history in.
    const host = await startHost(server.url, dataDir, keyring.env);
    const page = await browser.newPage();
    await page.goto(host.url);
    await page.evaluate(
      `window.parley.register({ username: 'bench${Date.now() % 1e9}', password: 'bench-password-1', displayName: 'Bench', deviceName: 'bench' })`,
    );
    await page.close();
    await host.stop();
    const total = scenario.sizes.reduce((a, b) => a + b, 0);
    const t = performance.now();
    await seedHistory(dataDir, server.url, scenario.sizes, PEER_NAME, text);
    console.log(`${scenario.name}: seeded ${total} messages in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await measureOnce(browser, server.url, dataDir, keyring.env, newestText(scenario.sizes)));
    }
    results.push({ scenario, runs });
    rmSync(dataDir, { recursive: true, force: true });
  }
} finally {
  await browser.close();
  await server.stop();
  keyring.stop();
}

type Figure = (runs: Run[]) => number;
const figures: [string, Figure][] = [
  ['start → conversation list (host process start)', (r) => median(r.map((x) => x.startToList))],
  ['  of which: host process up (URL printed)', (r) => median(r.map((x) => x.hostUp))],
  ['page load → conversation list', (r) => median(r.map((x) => x.pageToList))],
  ...PHASES.map((phase): [string, Figure] => [`  ${phase}`, (r) => median(r.map((x) => x.phases[phase]))]),
  ['open the biggest chat (click → newest message painted)', (r) => median(r.map((x) => x.openBiggest))],
  ['search (median of queries)', (r) => median(r.flatMap((x) => x.search))],
  ['search (slowest query)', (r) => median(r.map((x) => Math.max(...x.search)))],
  ['scroll frame: median', (r) => median(r.map((x) => median(x.frames)))],
  ['scroll frame: p95', (r) => median(r.map((x) => percentile(x.frames, 95)))],
  ['scroll frame: worst', (r) => median(r.map((x) => Math.max(...x.frames)))],
];
const baseline = results[0] as { runs: Run[] };
console.log(
  `\nbench:client — median of ${RUNS} cold starts per store, Chromium (headless, no frame cap) via the browser host`,
);
for (const { scenario, runs } of results) {
  console.log(`\n${scenario.name} (biggest chat: ${scenario.sizes[0]} messages)`);
  const width = Math.max(...figures.map(([name]) => name.length));
  for (const [name, figure] of figures) {
    const value = figure(runs);
    const ratio = runs === baseline.runs ? '' : `  ${(value / figure(baseline.runs)).toFixed(2)}× baseline`;
    console.log(`  ${name.padEnd(width)}  ${fmt(value).padStart(10)}${ratio}`);
  }
}
