import type { Instance, SignalData, SimplePeerOptions } from 'simple-peer/simplepeer.min.js';
import { type CallQuality, measureQuality } from './quality.js';

export type PeerConstructor = new (options: SimplePeerOptions) => Instance;

/** What the link tells its call. */
export interface PeerLinkEvents {
  /** An offer, answer or ICE candidate for the other side. */
  signal(data: SignalData): void;
  stream(remote: MediaStream): void;
  /** ICE and DTLS are up: media flows. */
  connected(): void;
  quality(quality: CallQuality): void;
  /** The connection is gone for good (closed, failed, or not back after the ICE restart). */
  lost(): void;
}

/** How long ICE may stay disconnected before the caller restarts it. */
const DISCONNECTED_GRACE_MS = 4_000;
/** How long an ICE restart may take to bring the connection back. */
const ICE_RESTART_WINDOW_MS = 10_000;
/** How long to wait for the other side's hang-up after the connection closed, before calling it lost. */
const LOST_GRACE_MS = 1_500;
const STATS_INTERVAL_MS = 2_000;

/**
 * The WebRTC side of one call: a simple-peer connection with trickle ICE, quality from its stats
 * once connected, and its recovery: one ICE restart (by the caller) before reporting it lost.
 */
export class PeerLink {
  readonly #peer: Instance;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #failing: ReturnType<typeof setTimeout> | null = null;
  #stats: ReturnType<typeof setInterval> | null = null;
  #iceRestarted = false;
  #closed = false;

  constructor(
    SimplePeer: PeerConstructor,
    options: { initiator: boolean; stream: MediaStream; config: RTCConfiguration },
    events: PeerLinkEvents,
  ) {
    const peer = new SimplePeer({ ...options, trickle: true });
    this.#peer = peer;
    peer.on('signal', (data) => events.signal(data));
    // The remote tracks arrive with the answer, before any media can flow: the call counts as
    // connected only once ICE and DTLS are up (simple-peer's data channel opens).
    peer.on('stream', (remote) => events.stream(remote));
    peer.on('connect', () => {
      events.connected();
      this.#stats ??= setInterval(() => {
        void measureQuality(peer._pc).then((quality) => quality && !this.#closed && events.quality(quality));
      }, STATS_INTERVAL_MS);
    });
    // The call's end: a hang-up signal ends it as such; the connection lost for good ends it as failed.
    const failAfter = (ms: number) => {
      this.#failing ??= this.#after(ms, () => events.lost());
    };
    peer.on('close', () => failAfter(LOST_GRACE_MS));
    peer.on('error', (error) => {
      console.warn(`parley: call connection: ${error.message}`);
      failAfter(LOST_GRACE_MS);
    });
    peer.on('iceStateChange', (state) => {
      if ((state === 'connected' || state === 'completed') && this.#failing) {
        clearTimeout(this.#failing);
        this.#timers.delete(this.#failing);
        this.#failing = null;
      }
      if (state !== 'disconnected') return;
      // Still disconnected after a grace period: the caller restarts ICE once (new candidates, e.g.
      // after a network change); if that does not bring it back, the call ends on both sides.
      this.#after(DISCONNECTED_GRACE_MS, () => {
        if (peer._pc.iceConnectionState !== 'disconnected') return;
        if (options.initiator && !this.#iceRestarted) {
          this.#iceRestarted = true;
          peer._pc.restartIce();
          peer.negotiate();
        }
        failAfter(ICE_RESTART_WINDOW_MS);
      });
    });
  }

  /** A signal from the other side. */
  signal(data: SignalData): void {
    this.#peer.signal(data);
  }

  replaceTrack(previous: MediaStreamTrack, next: MediaStreamTrack, stream: MediaStream): void {
    this.#peer.replaceTrack(previous, next, stream);
  }

  /** Closes the connection; the link reports nothing after this. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    if (this.#stats) clearInterval(this.#stats);
    this.#peer.destroy();
  }

  #after(ms: number, run: () => void): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) run();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }
}
