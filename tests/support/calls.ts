import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { TRACK_PEER_CONNECTIONS } from './chromium.js';
import type { Person } from './pair.js';

/** Installs the tracking for this person's page (reloading it; the session comes back from the keychain). */
export async function trackPeerConnections(someone: Person): Promise<void> {
  await someone.page.addInitScript({ content: TRACK_PEER_CONNECTIONS });
  await someone.page.reload();
  await someone.page.getByRole('searchbox', { name: 'Search people and chats' }).waitFor();
}

/** Keeps every stream the page's getUserMedia hands out, in `window.__streams`. */
const TRACK_LOCAL_MEDIA = `
  window.__streams = [];
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    window.__streams.push(stream);
    return stream;
  };
`;

/** Installs the tracking of camera and microphone streams for this person's page (reloading it). */
export async function trackLocalMedia(someone: Person): Promise<void> {
  await someone.page.addInitScript({ content: TRACK_LOCAL_MEDIA });
  await someone.page.reload();
  await someone.page.getByRole('searchbox', { name: 'Search people and chats' }).waitFor();
}

/** The kind and state (`live`, `ended`) of every camera and microphone track the page has obtained. */
export function localTracks(page: Page): Promise<string[]> {
  return page.evaluate("window.__streams.flatMap((s) => s.getTracks()).map((t) => t.kind + ' ' + t.readyState).sort()");
}

export interface InboundBytes {
  audio: number;
  video: number;
}

/** Media bytes received so far, by kind, over the page's newest peer connection. */
export function inboundBytes(page: Page): Promise<InboundBytes> {
  return page.evaluate(`(async () => {
    const pc = window.__pcs[window.__pcs.length - 1];
    const totals = { audio: 0, video: 0 };
    if (!pc) return totals;
    (await pc.getStats()).forEach((report) => {
      if (report.type === 'inbound-rtp' && (report.kind === 'audio' || report.kind === 'video'))
        totals[report.kind] += report.bytesReceived ?? 0;
    });
    return totals;
  })()`);
}

/** Audio and video bytes received keep growing on every page, over two seconds. */
export async function expectMediaFlowing(pages: Page[]): Promise<void> {
  const before = await Promise.all(pages.map(inboundBytes));
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const after = await Promise.all(pages.map(inboundBytes));
  pages.forEach((_, i) => {
    expect(after[i]?.audio).toBeGreaterThan(before[i]?.audio ?? 0);
    expect(after[i]?.video).toBeGreaterThan(before[i]?.video ?? 0);
  });
}

/** The ICE candidate types (host, srflx, relay) of the selected pair of the page's newest connection. */
export function selectedCandidateTypes(page: Page): Promise<{ local: string; remote: string } | null> {
  return page.evaluate(`(async () => {
    const pc = window.__pcs[window.__pcs.length - 1];
    if (!pc) return null;
    const stats = new Map();
    (await pc.getStats()).forEach((report) => stats.set(report.id, report));
    for (const report of stats.values()) {
      if (report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded') {
        return {
          local: stats.get(report.localCandidateId)?.candidateType,
          remote: stats.get(report.remoteCandidateId)?.candidateType,
        };
      }
    }
    return null;
  })()`);
}

/** The call screen of a page, named after the other person. */
export const callScreen = (page: Page, peerName: string) => page.getByRole('region', { name: `Call with ${peerName}` });

/** Starts a call from the open conversation's header. */
export async function startCall(page: Page, peerName: string, media: 'audio' | 'video'): Promise<void> {
  const name = media === 'video' ? `Video call ${peerName}` : `Call ${peerName}`;
  await page.getByRole('button', { name, exact: true }).click();
}

/** `caller` calls `callee`, who answers at once; resolves when both call timers run (connected). */
export async function connectCall(caller: Person, callee: Person, media: 'audio' | 'video'): Promise<void> {
  await startCall(caller.page, callee.displayName, media);
  await callScreen(callee.page, caller.displayName).getByRole('button', { name: 'Accept' }).click();
  for (const page of [caller.page, callee.page]) await page.getByRole('timer').waitFor({ timeout: 20_000 });
}

/** The call entries of the open conversation's history. */
export const callEntries = (page: Page) => page.getByRole('log', { name: 'Messages' }).locator('.call-entry-text');

/** The text of the newest call entry in the open conversation. */
export async function lastCallEntry(page: Page): Promise<string | undefined> {
  return (await callEntries(page).allTextContents()).at(-1);
}
