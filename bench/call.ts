// npm run bench:call — how long a video call takes to get going: from the caller's click on "Video
// call" to audio and video flowing both ways, over several calls between two people in Chromium
// (fake camera and microphone), each through their own browser host, against a real server on
// loopback. The callee answers the moment the incoming call shows, so the figure is the system's,
// not a person's. Baseline in the same invocation: two bare RTCPeerConnections in one page that
// exchange offer, answer and candidates directly — WebRTC's own floor on this machine, with no
// signalling server, no encryption and no UI.
// Options: --calls 20
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startHost } from '@parley/desktop/host';
import { CHROMIUM, CHROMIUM_ARGS, TRACK_PEER_CONNECTIONS } from '@parley/test-support/chromium';
import { startTestKeyring, waitForKeyring } from '@parley/test-support/keyring';
import { chromium, type Page } from 'playwright-core';
import { ROOT, startBenchServer } from './server.ts';
import { median, percentile } from './stats.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '20' } } });
const CALLS = Number(values.calls);

/** Resolves in the page, with Date.now(), once its newest peer connection has received audio and video bytes. */
const MEDIA_FLOWING = `(async () => {
  for (;;) {
    const pc = window.__pcs?.[window.__pcs.length - 1];
    if (pc) {
      const seen = { audio: false, video: false };
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.bytesReceived > 0) seen[r.kind] = true;
      });
      if (seen.audio && seen.video) return Date.now();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
})()`;

/** The baseline: camera and microphone on both ends, offer/answer/candidates handed over in-page. */
const BARE_WEBRTC = `(async () => {
  const started = Date.now();
  const [a, b] = [new RTCPeerConnection(), new RTCPeerConnection()];
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const media = () => navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const [mine, theirs] = await Promise.all([media(), media()]);
  for (const track of mine.getTracks()) a.addTrack(track, mine);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  for (const track of theirs.getTracks()) b.addTrack(track, theirs);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  const flowing = async (pc) => {
    for (;;) {
      const seen = { audio: false, video: false };
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.bytesReceived > 0) seen[r.kind] = true;
      });
      if (seen.audio && seen.video) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all([flowing(a), flowing(b)]);
  const elapsed = Date.now() - started;
  for (const pc of [a, b]) pc.close();
  for (const track of [...mine.getTracks(), ...theirs.getTracks()]) track.stop();
  return elapsed;
})()`;

interface CallTimes {
  /** Click → the callee's incoming-call screen. */
  ring: number;
  /** The callee's "Accept" → audio and video flowing both ways. */
  answerToMedia: number;
  /** Click → audio and video flowing both ways. */
  callToMedia: number;
  /** The caller's "Hang up" → the callee's call screen says so. */
  hangUp: number;
}

const callScreen = (page: Page, peerName: string) => page.getByRole('region', { name: `Call with ${peerName}` });

async function oneCall(caller: Page, callee: Page): Promise<CallTimes> {
  const started = Date.now();
  await caller.getByRole('button', { name: 'Video call Bob', exact: true }).click();
  const accept = callScreen(callee, 'Alice').getByRole('button', { name: 'Accept' });
  await accept.waitFor();
  const rang = Date.now();
  await accept.click();
  const answered = Date.now();
  const flowing = Math.max(
    ...(await Promise.all([caller.evaluate<number>(MEDIA_FLOWING), callee.evaluate<number>(MEDIA_FLOWING)])),
  );
  const hangingUp = Date.now();
  await callScreen(caller, 'Bob').getByRole('button', { name: 'Hang up' }).click();
  await callScreen(callee, 'Alice').getByText('Alice hung up').waitFor();
  const hungUp = Date.now();
  // The next call can start once both call screens have gone.
  await callScreen(caller, 'Bob').waitFor({ state: 'detached' });
  await callScreen(callee, 'Alice').waitFor({ state: 'detached' });
  return {
    ring: rang - started,
    answerToMedia: flowing - answered,
    callToMedia: flowing - started,
    hangUp: hungUp - hangingUp,
  };
}

const keyring = startTestKeyring();
Object.assign(process.env, keyring.env);
await waitForKeyring(keyring.env);
const server = await startBenchServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const dataDirs: string[] = [];
const hosts: { close(): Promise<void> }[] = [];

/** A signed-up person in their own host and browser context, with peer connections tracked. */
async function person(username: string, displayName: string): Promise<Page> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-call-'));
  dataDirs.push(dataDir);
  const host = await startHost({
    dataDir,
    serverUrl: server.url,
    port: 0,
    rendererDir: join(ROOT, 'apps/desktop/dist/renderer'),
  });
  hosts.push(host);
  const page = await (await browser.newContext()).newPage();
  await page.addInitScript({ content: TRACK_PEER_CONNECTIONS });
  await page.goto(host.url);
  await page.evaluate(
    `window.parley.register({ username: '${username}', password: 'bench-password-1', displayName: '${displayName}', deviceName: 'bench' })`,
  );
  return page;
}

try {
  const suffix = Date.now() % 1e9;
  const [alice, bob] = [await person(`alice${suffix}`, 'Alice'), await person(`bob${suffix}`, 'Bob')];
  await alice.evaluate(`window.parley.addContact({ username: 'bob${suffix}' })`);
  await bob.evaluate(`window.parley.addContact({ username: 'alice${suffix}' })`);
  for (const [page, peer] of [
    [alice, 'Bob'],
    [bob, 'Alice'],
  ] as const) {
    await page.reload();
    await page
      .getByRole('navigation')
      .getByRole('button', { name: new RegExp(`^${peer}`) })
      .first()
      .click();
    await page.getByRole('heading', { name: peer }).waitFor();
  }

  // One call first, unmeasured: sessions between the two devices, code paths and caches warm up.
  await oneCall(alice, bob);
  const calls: CallTimes[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    calls.push(await oneCall(alice, bob));
    baseline.push(await alice.evaluate<number>(BARE_WEBRTC));
  }

  const floor = median(baseline);
  const rows: [string, number[], boolean][] = [
    ['baseline: bare WebRTC pair in one page, media both ways', baseline, false],
    ['call click → callee rings', calls.map((c) => c.ring), false],
    ['accept → media both ways', calls.map((c) => c.answerToMedia), true],
    ['call click → media both ways (instant answer)', calls.map((c) => c.callToMedia), true],
    ['hang up → the other side ended', calls.map((c) => c.hangUp), false],
  ];
  console.log(`\nbench:call — ${CALLS} video calls on loopback, Chromium (fake media) via two browser hosts`);
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`  ${''.padEnd(width)}  ${'median'.padStart(9)}  ${'p90'.padStart(9)}`);
  for (const [name, values, compare] of rows) {
    const ratio = compare ? `  ${(median(values) / floor).toFixed(2)}× baseline` : '';
    const fmt = (v: number) => `${v.toFixed(0)} ms`.padStart(9);
    console.log(`  ${name.padEnd(width)}  ${fmt(median(values))}  ${fmt(percentile(values, 90))}${ratio}`);
  }
} finally {
  await browser.close();
  for (const host of hosts) await host.close();
  await server.stop();
  keyring.stop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
}
