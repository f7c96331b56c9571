import type { CallConfig, CallMedia, CallOutcome, ClientApi } from '@parley/shared';
import { CallSignal } from '@parley/shared';
import type { SignalData } from 'simple-peer/simplepeer.min.js';
import { type CallPhase, type CallView, type EndReason, newCall } from './call-view.js';
import { type PeerConstructor, PeerLink } from './peer-link.js';

export type { CallPhase, CallView, EndReason } from './call-view.js';
export type { PeerConstructor } from './peer-link.js';
/** What the engine needs from the app: the core's call methods, media, the peer library and a few facts. */
export interface CallEngineDeps {
  api: Pick<ClientApi, 'sendSignal' | 'callConfig' | 'recordCall'>;
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  /** simple-peer, loaded with the first call. */
  loadPeer(): Promise<PeerConstructor>;
  isContact(userId: string): boolean;
  /** "Always relay calls": only TURN candidates. */
  relayOnly(): boolean;
  incomingCall(peerUserId: string, media: CallMedia): void;
}

/** How long an ended call's screen stays, with its reason. */
const ENDED_SCREEN_MS = 2_500;
/** How long signing out waits for the other side of a call to be told (it never waits on a dead connection). */
const GOODBYE_WAIT_MS = 2_000;

/** What the running call holds that is not state to render. */
interface Live {
  config: CallConfig | null;
  link: PeerLink | null;
  /** The callee's device that answered (caller side), or the caller's device (callee side). */
  remoteDevice: string | null;
  /** Caller side: the callee's devices still ringing. */
  ringing: Set<string>;
  /** Signals that came before the peer existed (callee side, between accept and the offer). */
  pending: SignalData[];
  /** Until when it rings, in either direction. */
  ringTimer: ReturnType<typeof setTimeout> | null;
  recorded: boolean;
}

const fresh = (): Live => ({
  config: null,
  link: null,
  remoteDevice: null,
  ringing: new Set(),
  pending: [],
  ringTimer: null,
  recorded: false,
});

const stopTracks = (stream: MediaStream | null) => {
  for (const track of stream?.getTracks() ?? []) track.stop();
};

/**
 * One call at a time, in either direction: its state machine, its signalling through the core's
 * encrypted ephemeral signals, its ring timers, its media, and its WebRTC link (PeerLink: simple-peer,
 * stats, ICE restart). The UI observes `onChange` and calls the actions; nothing here knows React.
 */
export class CallEngine {
  #call: CallView | null = null;
  #live: Live = fresh();
  readonly #listeners = new Set<(call: CallView | null) => void>();

  constructor(private readonly deps: CallEngineDeps) {}

  get call(): CallView | null {
    return this.#call;
  }

  /** Calls `listener` with the call after every change (null: no call on screen). */
  onChange(listener: (call: CallView | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls someone (a contact) from this device. */
  async start(peerUserId: string, media: CallMedia): Promise<void> {
    if (this.#call && this.#call.phase !== 'ended') return;
    this.#live = fresh();
    const callId = crypto.randomUUID();
    this.#set(newCall(callId, peerUserId, 'out', media));
    try {
      const [config, stream] = await Promise.all([
        this.deps.api.callConfig(),
        this.#localMedia(media),
        this.deps.loadPeer(),
      ]);
      if (!this.#isCurrent(callId)) return stopTracks(stream); // hung up meanwhile
      this.#live.config = config;
      this.#update({ localStream: stream });
      const { deliveredTo } = await this.#send(peerUserId, { kind: 'ring', callId, media });
      if (!this.#isCurrent(callId, 'outgoing')) return;
      if (deliveredTo.length === 0) return this.#end('unavailable', 'failed');
      this.#live.ringing = new Set(deliveredTo);
      this.#ringUntilTimeout(() => {
        if (!this.#isCurrent(callId, 'outgoing')) return;
        void this.#say(peerUserId, { kind: 'cancel', callId });
        this.#end('noAnswer', 'missed');
      });
    } catch (error) {
      console.warn(`parley: call could not start: ${(error as Error).message}`);
      if (this.#isCurrent(callId)) this.#end('mediaUnavailable', 'failed');
    }
  }

  async accept(): Promise<void> {
    const call = this.#call;
    if (call?.phase !== 'incoming') return;
    this.#update({ phase: 'connecting' });
    this.#stopRinging();
    try {
      const [stream] = await Promise.all([this.#localMedia(call.media), this.deps.loadPeer()]);
      if (!this.#isCurrent(call.callId)) return stopTracks(stream);
      this.#update({ localStream: stream });
      await this.#send(call.peerUserId, { kind: 'accept', callId: call.callId });
      await this.#connectPeer(false, stream);
    } catch (error) {
      console.warn(`parley: call could not be answered: ${(error as Error).message}`);
      void this.#say(call.peerUserId, { kind: 'hangup', callId: call.callId, reason: 'connection_failed' });
      this.#end('mediaUnavailable', 'failed');
    }
  }

  /** Declines a ringing call; resolves once the caller was told, or could not be. */
  decline(): Promise<void> {
    const call = this.#call;
    if (call?.phase !== 'incoming') return Promise.resolve();
    const told = this.#say(call.peerUserId, { kind: 'decline', callId: call.callId });
    this.#end('declined', 'declined');
    return told;
  }

  /** Hangs up, or cancels or declines a call not answered yet; resolves once the other side was told, or could not be. */
  hangUp(): Promise<void> {
    const call = this.#call;
    if (!call || call.phase === 'ended') return Promise.resolve();
    if (call.phase === 'incoming') return this.decline();
    if (call.phase === 'outgoing') {
      const told = this.#say(call.peerUserId, { kind: 'cancel', callId: call.callId });
      this.#end('cancelled', 'cancelled');
      return told;
    }
    const told = this.#say(call.peerUserId, { kind: 'hangup', callId: call.callId, reason: 'ended' });
    this.#end('hungUp', 'completed');
    return told;
  }

  /**
   * The account goes (signed out here, or revoked or ended from elsewhere): the call ends at once,
   * lets go of the camera and microphone, and its screen goes with the account. The other side is
   * told if the connection still allows (waited for at most GOODBYE_WAIT_MS); after a revocation it
   * does not, and the other side sees the peer connection close instead.
   */
  async leave(): Promise<void> {
    const told = this.hangUp();
    this.#set(null);
    let waited: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([told, new Promise((resolve) => (waited = setTimeout(resolve, GOODBYE_WAIT_MS)))]);
    clearTimeout(waited);
  }

  toggleMute(): void {
    const call = this.#call;
    if (!call?.localStream) return;
    const muted = !call.muted;
    for (const track of call.localStream.getAudioTracks()) track.enabled = !muted;
    this.#update({ muted });
  }

  toggleCamera(): void {
    const call = this.#call;
    if (!call?.localStream || call.media !== 'video') return;
    const cameraOn = !call.cameraOn;
    for (const track of call.localStream.getVideoTracks()) track.enabled = cameraOn;
    this.#update({ cameraOn });
  }

  /** Uses another microphone or camera in the running call (`replaceTrack`, no renegotiation). */
  async switchDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    const call = this.#call;
    const stream = call?.localStream;
    if (!call || !stream) return;
    const audio = kind === 'audioinput';
    const replacement = await this.deps.getUserMedia(
      audio ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId } } },
    );
    const next = audio ? replacement.getAudioTracks()[0] : replacement.getVideoTracks()[0];
    const previous = audio ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (!next || !previous || !this.#isCurrent(call.callId)) return stopTracks(replacement);
    next.enabled = audio ? !call.muted : call.cameraOn;
    this.#live.link?.replaceTrack(previous, next, stream);
    stream.removeTrack(previous);
    stream.addTrack(next);
    previous.stop();
    this.#update({ localStream: stream });
  }

  /** An ephemeral signal from the core: call signalling, checked against the shared schema. */
  signalReceived(fromUserId: string, fromDeviceId: string, payload: unknown): void {
    const parsed = CallSignal.safeParse(payload);
    if (!parsed.success) {
      console.warn(`parley: ignored a malformed call signal from ${fromUserId}`);
      return;
    }
    const signal = parsed.data;
    const current = this.#call && this.#call.phase !== 'ended' ? this.#call : null;

    if (signal.kind === 'ring') {
      // Only contacts can call (the server relays only from people who have you as a contact, too).
      if (!this.deps.isContact(fromUserId)) {
        console.warn(`parley: ignored a call from ${fromUserId}, who is not a contact`);
        return;
      }
      if (current) {
        if (current.callId !== signal.callId) void this.#say(fromUserId, { kind: 'busy', callId: signal.callId });
        return;
      }
      this.#ringing(signal.callId, fromUserId, fromDeviceId, signal.media);
      return;
    }

    // Everything else belongs to the current call, from its other side.
    if (!current || current.callId !== signal.callId || current.peerUserId !== fromUserId) return;
    const caller = current.direction === 'out';
    const live = this.#live;
    switch (signal.kind) {
      case 'accept': {
        if (!caller || current.phase !== 'outgoing' || !current.localStream) return;
        // The first device to answer gets the call; the others stop ringing.
        live.remoteDevice = fromDeviceId;
        if (live.ringing.size > 1) void this.#say(fromUserId, { kind: 'answered_elsewhere', callId: current.callId });
        this.#stopRinging();
        this.#update({ phase: 'connecting' });
        void this.#connectPeer(true, current.localStream);
        return;
      }
      case 'decline':
        if (caller && current.phase === 'outgoing') {
          void this.#say(fromUserId, { kind: 'cancel', callId: current.callId });
          this.#end('declined', 'declined');
        }
        return;
      case 'busy':
        if (!caller || current.phase !== 'outgoing') return;
        live.ringing.delete(fromDeviceId);
        if (live.ringing.size === 0) this.#end('busy', 'busy');
        return;
      case 'cancel':
        if (!caller && current.phase === 'incoming') this.#end('missed', 'missed');
        return;
      case 'answered_elsewhere':
        if (!caller && current.phase === 'incoming') this.#end('answeredElsewhere', 'answered_elsewhere');
        return;
      case 'sdp':
        // Only from the device in the call (another of the callee's devices may still be catching up).
        if (live.remoteDevice && live.remoteDevice !== fromDeviceId) return;
        if (live.link) live.link.signal(signal.data);
        else live.pending.push(signal.data);
        return;
      case 'hangup':
        if (signal.reason === 'connection_failed') this.#end('connectionFailed', 'failed');
        else this.#end('peerHungUp', 'completed');
        return;
    }
  }

  // The machinery ---------------------------------------------------------------------------------

  #set(call: CallView | null): void {
    this.#call = call;
    for (const listener of this.#listeners) listener(call);
  }

  #update(patch: Partial<CallView>): void {
    if (this.#call) this.#set({ ...this.#call, ...patch });
  }

  /** Whether `callId` is still the call on screen, not ended (and in `phase`, if given). */
  #isCurrent(callId: string, phase?: CallPhase): boolean {
    const call = this.#call;
    return call?.callId === callId && call.phase !== 'ended' && (!phase || call.phase === phase);
  }

  #localMedia(media: CallMedia): Promise<MediaStream> {
    return this.deps.getUserMedia({ audio: true, video: media === 'video' });
  }

  #send(peerUserId: string, signal: CallSignal) {
    return this.deps.api.sendSignal(peerUserId, signal);
  }

  /** Sends a signal nobody waits on the answer of (a failure is the connection's, reported elsewhere). */
  #say(peerUserId: string, signal: CallSignal): Promise<void> {
    return this.#send(peerUserId, signal).then(
      () => {},
      () => {},
    );
  }

  /** Runs `timedOut` when the ring time (`CALL_RING_SECONDS`, from the call config) is over. */
  #ringUntilTimeout(timedOut: () => void): void {
    this.#live.ringTimer = setTimeout(timedOut, (this.#live.config?.ringSeconds ?? 45) * 1000);
  }

  #stopRinging(): void {
    if (this.#live.ringTimer) clearTimeout(this.#live.ringTimer);
    this.#live.ringTimer = null;
  }

  /** An incoming call rings here until answered, declined, cancelled or timed out. */
  #ringing(callId: string, fromUserId: string, fromDeviceId: string, media: CallMedia): void {
    this.#live = fresh();
    this.#live.remoteDevice = fromDeviceId;
    this.#set(newCall(callId, fromUserId, 'in', media));
    this.deps.incomingCall(fromUserId, media);
    void this.deps.api.callConfig().then(
      (config) => {
        if (!this.#isCurrent(callId)) return;
        this.#live.config = config;
        this.#ringUntilTimeout(() => {
          if (this.#isCurrent(callId, 'incoming')) this.#end('missed', 'missed');
        });
      },
      () => {
        if (this.#isCurrent(callId)) this.#end('connectionFailed', 'failed');
      },
    );
  }

  /** Ends the call here: stops media, records it in the history once, shows why for a moment. */
  #end(reason: EndReason, outcome: CallOutcome): void {
    const call = this.#call;
    if (!call || call.phase === 'ended') return;
    const live = this.#live;
    this.#stopRinging();
    live.link?.close();
    stopTracks(call.localStream);
    if (!live.recorded) {
      live.recorded = true;
      const durationMs = call.connectedAt ? Date.now() - call.connectedAt : 0;
      void this.deps.api
        .recordCall(call.peerUserId, call.direction, { callId: call.callId, media: call.media, outcome, durationMs })
        .catch(() => {}); // signed out meanwhile
    }
    this.#live = fresh();
    this.#update({ phase: 'ended', endReason: reason, remoteStream: null, localStream: null });
    setTimeout(() => {
      if (this.#call?.callId === call.callId) this.#set(null);
    }, ENDED_SCREEN_MS);
  }

  /** The WebRTC side: trickle ICE through encrypted signals; see PeerLink for its recovery. */
  async #connectPeer(initiator: boolean, stream: MediaStream): Promise<void> {
    const SimplePeer = await this.deps.loadPeer();
    const call = this.#call;
    if (!call || call.phase === 'ended') return;
    const { callId, peerUserId } = call;
    const live = this.#live;
    const config: RTCConfiguration = {
      iceServers: live.config?.iceServers ?? [],
      iceTransportPolicy: this.deps.relayOnly() ? 'relay' : 'all',
    };
    live.link = new PeerLink(
      SimplePeer,
      { initiator, stream, config },
      {
        signal: (data) => void this.#say(peerUserId, { kind: 'sdp', callId, data }),
        stream: (remote) => this.#isCurrent(callId) && this.#update({ remoteStream: remote }),
        connected: () => {
          if (this.#isCurrent(callId) && !this.#call?.connectedAt)
            this.#update({ phase: 'active', connectedAt: Date.now() });
        },
        quality: (quality) => this.#isCurrent(callId) && this.#update({ quality }),
        lost: () => {
          if (!this.#isCurrent(callId)) return;
          void this.#say(peerUserId, { kind: 'hangup', callId, reason: 'connection_failed' });
          this.#end('connectionFailed', 'failed');
        },
      },
    );
    for (const data of live.pending.splice(0)) live.link.signal(data);
  }
}
