import { type CallConfig, type CallMedia, type CallOutcome, CallSignal } from '@parley/shared';
import type { Instance, SignalData } from 'simple-peer/simplepeer.min.js';
import { create } from 'zustand';
import { parley } from '../api.js';
import { notifyIncomingCall } from '../notifications.js';
import { useContacts } from './contacts.js';
import { useSettings } from './settings.js';

export type CallPhase = 'outgoing' | 'incoming' | 'connecting' | 'active' | 'ended';
export type CallQuality = 'good' | 'fair' | 'poor';
/** Why a call ended, shown on its screen for a moment (an i18n key under `call.ended`). */
export type EndReason =
  | 'hungUp'
  | 'peerHungUp'
  | 'declined'
  | 'busy'
  | 'noAnswer'
  | 'cancelled'
  | 'missed'
  | 'unavailable'
  | 'answeredElsewhere'
  | 'connectionFailed'
  | 'mediaUnavailable';

export interface CallView {
  callId: string;
  peerUserId: string;
  direction: 'in' | 'out';
  media: CallMedia;
  phase: CallPhase;
  /** When media started flowing (the timer runs from here). */
  connectedAt: number | null;
  muted: boolean;
  cameraOn: boolean;
  quality: CallQuality | null;
  endReason: EndReason | null;
  localStream: MediaStream | null;
  remoteStream: MediaStream | null;
}

interface CallsState {
  call: CallView | null;
  /** Calls someone (a contact) from this device. */
  start(peerUserId: string, media: CallMedia): Promise<void>;
  accept(): Promise<void>;
  decline(): void;
  /** Hangs up, or cancels a call not answered yet. */
  hangUp(): void;
  toggleMute(): void;
  toggleCamera(): void;
  /** Uses another microphone or camera in the running call. */
  switchDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void>;
  /** An ephemeral signal from the core: call signalling, checked against the shared schema. */
  signalReceived(fromUserId: string, fromDeviceId: string, payload: unknown): void;
  /** Clears an ended call's screen. */
  dismiss(): void;
}

/** How long an ended call's screen stays, with its reason. */
const ENDED_SCREEN_MS = 2_500;
/** How long ICE may stay disconnected before the caller restarts it. */
const DISCONNECTED_GRACE_MS = 4_000;
/** How long an ICE restart may take to bring the connection back. */
const ICE_RESTART_WINDOW_MS = 10_000;
/** How long to wait for the other side's hang-up after the connection closed, before calling it lost. */
const LOST_GRACE_MS = 1_500;

/** What the running call holds that is not state to render. */
interface Live {
  config: CallConfig | null;
  peer: Instance | null;
  /** The callee's device that answered (caller side), or the caller's device (callee side). */
  remoteDevice: string | null;
  /** Caller side: the callee's devices still ringing. */
  ringing: Set<string>;
  /** Signals that came before the peer existed (callee side, between accept and the offer). */
  pending: SignalData[];
  timers: ReturnType<typeof setTimeout>[];
  statsTimer: ReturnType<typeof setInterval> | null;
  iceRestarted: boolean;
  recorded: boolean;
}

const fresh = (): Live => ({
  config: null,
  peer: null,
  remoteDevice: null,
  ringing: new Set(),
  pending: [],
  timers: [],
  statsTimer: null,
  iceRestarted: false,
  recorded: false,
});
let live = fresh();

const send = (peerUserId: string, signal: CallSignal) => parley.sendSignal(peerUserId, signal);

async function localMedia(media: CallMedia): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'video' });
}

/** Quality from the selected candidate pair's round-trip time and the inbound packet loss. */
async function measureQuality(pc: RTCPeerConnection): Promise<CallQuality | null> {
  const stats = await pc.getStats();
  let rtt: number | null = null;
  let lost = 0;
  let received = 0;
  stats.forEach((report: RTCStats & Record<string, unknown>) => {
    if (report.type === 'candidate-pair' && report.nominated && typeof report.currentRoundTripTime === 'number') {
      rtt = report.currentRoundTripTime;
    }
    if (report.type === 'inbound-rtp') {
      lost += Number(report.packetsLost ?? 0);
      received += Number(report.packetsReceived ?? 0);
    }
  });
  if (rtt === null) return null;
  const loss = received + lost > 0 ? lost / (received + lost) : 0;
  if (rtt < 0.15 && loss < 0.02) return 'good';
  if (rtt < 0.4 && loss < 0.08) return 'fair';
  return 'poor';
}

/** simple-peer is loaded with the first call, not at start-up (it is a sixth of the renderer bundle). */
let simplePeer: Promise<typeof import('simple-peer/simplepeer.min.js').default> | null = null;
const loadSimplePeer = () => (simplePeer ??= import('simple-peer/simplepeer.min.js').then((m) => m.default));

export const useCalls = create<CallsState>((set, get) => {
  const update = (patch: Partial<CallView>) => {
    const call = get().call;
    if (call) set({ call: { ...call, ...patch } });
  };

  /** Ends the call here: stops media, records it in the history once, shows why for a moment. */
  const end = (reason: EndReason, outcome: CallOutcome) => {
    const call = get().call;
    if (!call || call.phase === 'ended') return;
    for (const timer of live.timers) clearTimeout(timer);
    if (live.statsTimer) clearInterval(live.statsTimer);
    live.peer?.destroy();
    for (const track of call.localStream?.getTracks() ?? []) track.stop();
    if (!live.recorded) {
      live.recorded = true;
      const durationMs = call.connectedAt ? Date.now() - call.connectedAt : 0;
      void parley
        .recordCall(call.peerUserId, call.direction, { callId: call.callId, media: call.media, outcome, durationMs })
        .catch(() => {}); // signed out meanwhile
    }
    live = fresh();
    update({ phase: 'ended', endReason: reason, remoteStream: null, localStream: null });
    const callId = call.callId;
    setTimeout(() => {
      if (get().call?.callId === callId) set({ call: null });
    }, ENDED_SCREEN_MS);
  };

  const connected = () => {
    const call = get().call;
    if (!call || call.phase === 'ended' || call.connectedAt) return;
    update({ phase: 'active', connectedAt: Date.now() });
    live.statsTimer = setInterval(() => {
      const pc = live.peer?._pc;
      if (pc) void measureQuality(pc).then((quality) => quality && update({ quality }));
    }, 2_000);
  };

  /** The WebRTC side: trickle ICE through encrypted signals; one ICE restart before giving up. */
  const connectPeer = async (initiator: boolean, stream: MediaStream) => {
    const SimplePeer = await loadSimplePeer();
    const call = get().call;
    if (!call || call.phase === 'ended') return;
    const config: RTCConfiguration = {
      iceServers: live.config?.iceServers ?? [],
      iceTransportPolicy: useSettings.getState().relayCalls ? 'relay' : 'all',
    };
    const peer = new SimplePeer({ initiator, stream, config, trickle: true });
    live.peer = peer;
    peer.on('signal', (data) => void send(call.peerUserId, { kind: 'sdp', callId: call.callId, data }));
    // The remote tracks arrive with the answer, before any media can flow: the call counts as
    // connected only once ICE and DTLS are up (simple-peer's data channel opens).
    peer.on('stream', (remote) => update({ remoteStream: remote }));
    peer.on('connect', connected);
    // The call's end: a hang-up signal ends it as such; the connection lost for good ends it as failed.
    let failing: ReturnType<typeof setTimeout> | null = null;
    const failAfter = (ms: number) => {
      if (failing) return;
      failing = setTimeout(() => {
        if (get().call?.callId !== call.callId || get().call?.phase === 'ended') return;
        void send(call.peerUserId, { kind: 'hangup', callId: call.callId, reason: 'connection_failed' });
        end('connectionFailed', 'failed');
      }, ms);
      live.timers.push(failing);
    };
    const recovered = () => {
      if (failing) clearTimeout(failing);
      failing = null;
    };
    peer.on('close', () => failAfter(LOST_GRACE_MS));
    peer.on('error', (error) => {
      console.warn(`parley: call connection: ${error.message}`);
      failAfter(LOST_GRACE_MS);
    });
    peer.on('iceStateChange', (state) => {
      if (state === 'connected' || state === 'completed') recovered();
      if (state !== 'disconnected') return;
      // Still disconnected after a grace period: the caller restarts ICE once (new candidates, e.g.
      // after a network change); if that does not bring it back, the call ends on both sides.
      live.timers.push(
        setTimeout(() => {
          if (peer._pc.iceConnectionState !== 'disconnected' || get().call?.callId !== call.callId) return;
          if (initiator && !live.iceRestarted) {
            live.iceRestarted = true;
            peer._pc.restartIce();
            peer.negotiate();
          }
          failAfter(ICE_RESTART_WINDOW_MS);
        }, DISCONNECTED_GRACE_MS),
      );
    });
    for (const data of live.pending.splice(0)) peer.signal(data);
  };

  const ringTimeout = () => (live.config?.ringSeconds ?? 45) * 1000;

  return {
    call: null,

    async start(peerUserId, media) {
      if (get().call && get().call?.phase !== 'ended') return;
      live = fresh();
      const callId = crypto.randomUUID();
      set({
        call: {
          callId,
          peerUserId,
          direction: 'out',
          media,
          phase: 'outgoing',
          connectedAt: null,
          muted: false,
          cameraOn: media === 'video',
          quality: null,
          endReason: null,
          localStream: null,
          remoteStream: null,
        },
      });
      try {
        const [config, stream] = await Promise.all([parley.callConfig(), localMedia(media), loadSimplePeer()]);
        live.config = config;
        if (get().call?.callId !== callId) {
          for (const track of stream.getTracks()) track.stop();
          return; // hung up meanwhile
        }
        update({ localStream: stream });
        const { deliveredTo } = await send(peerUserId, { kind: 'ring', callId, media });
        if (get().call?.callId !== callId || get().call?.phase !== 'outgoing') return;
        if (deliveredTo.length === 0) {
          end('unavailable', 'failed');
          return;
        }
        live.ringing = new Set(deliveredTo);
        live.timers.push(
          setTimeout(() => {
            if (get().call?.callId !== callId || get().call?.phase !== 'outgoing') return;
            void send(peerUserId, { kind: 'cancel', callId });
            end('noAnswer', 'missed');
          }, ringTimeout()),
        );
      } catch (error) {
        console.warn(`parley: call could not start: ${(error as Error).message}`);
        if (get().call?.callId === callId) end('mediaUnavailable', 'failed');
      }
    },

    async accept() {
      const call = get().call;
      if (call?.phase !== 'incoming') return;
      update({ phase: 'connecting' });
      for (const timer of live.timers.splice(0)) clearTimeout(timer);
      try {
        const [stream] = await Promise.all([localMedia(call.media), loadSimplePeer()]);
        if (get().call?.callId !== call.callId || get().call?.phase === 'ended') {
          for (const track of stream.getTracks()) track.stop();
          return;
        }
        update({ localStream: stream });
        await send(call.peerUserId, { kind: 'accept', callId: call.callId });
        await connectPeer(false, stream);
      } catch (error) {
        console.warn(`parley: call could not be answered: ${(error as Error).message}`);
        void send(call.peerUserId, { kind: 'hangup', callId: call.callId, reason: 'connection_failed' });
        end('mediaUnavailable', 'failed');
      }
    },

    decline() {
      const call = get().call;
      if (call?.phase !== 'incoming') return;
      void send(call.peerUserId, { kind: 'decline', callId: call.callId });
      end('declined', 'declined');
    },

    hangUp() {
      const call = get().call;
      if (!call || call.phase === 'ended') return;
      if (call.phase === 'incoming') return get().decline();
      if (call.phase === 'outgoing') {
        void send(call.peerUserId, { kind: 'cancel', callId: call.callId });
        end('cancelled', 'cancelled');
        return;
      }
      void send(call.peerUserId, { kind: 'hangup', callId: call.callId, reason: 'ended' });
      end('hungUp', 'completed');
    },

    toggleMute() {
      const call = get().call;
      if (!call?.localStream) return;
      const muted = !call.muted;
      for (const track of call.localStream.getAudioTracks()) track.enabled = !muted;
      update({ muted });
    },

    toggleCamera() {
      const call = get().call;
      if (!call?.localStream || call.media !== 'video') return;
      const cameraOn = !call.cameraOn;
      for (const track of call.localStream.getVideoTracks()) track.enabled = cameraOn;
      update({ cameraOn });
    },

    async switchDevice(kind, deviceId) {
      const call = get().call;
      const stream = call?.localStream;
      if (!call || !stream) return;
      const audio = kind === 'audioinput';
      const replacement = await navigator.mediaDevices.getUserMedia(
        audio ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId } } },
      );
      const next = audio ? replacement.getAudioTracks()[0] : replacement.getVideoTracks()[0];
      const previous = audio ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
      if (!next || !previous) return;
      next.enabled = audio ? !call.muted : call.cameraOn;
      live.peer?.replaceTrack(previous, next, stream);
      stream.removeTrack(previous);
      stream.addTrack(next);
      previous.stop();
      update({ localStream: stream });
    },

    signalReceived(fromUserId, fromDeviceId, payload) {
      const parsed = CallSignal.safeParse(payload);
      if (!parsed.success) {
        console.warn(`parley: ignored a malformed call signal from ${fromUserId}`);
        return;
      }
      const signal = parsed.data;
      const call = get().call;
      const current = call && call.phase !== 'ended' ? call : null;

      if (signal.kind === 'ring') {
        // Only contacts can call (the server relays only from people who have you as a contact, too).
        if (!useContacts.getState().contacts.some((c) => c.userId === fromUserId)) {
          console.warn(`parley: ignored a call from ${fromUserId}, who is not a contact`);
          return;
        }
        if (current) {
          if (current.callId !== signal.callId) void send(fromUserId, { kind: 'busy', callId: signal.callId });
          return;
        }
        live = fresh();
        live.remoteDevice = fromDeviceId;
        set({
          call: {
            callId: signal.callId,
            peerUserId: fromUserId,
            direction: 'in',
            media: signal.media,
            phase: 'incoming',
            connectedAt: null,
            muted: false,
            cameraOn: signal.media === 'video',
            quality: null,
            endReason: null,
            localStream: null,
            remoteStream: null,
          },
        });
        notifyIncomingCall(fromUserId, signal.media);
        void parley.callConfig().then(
          (config) => {
            if (get().call?.callId !== signal.callId) return;
            live.config = config;
            live.timers.push(
              setTimeout(() => {
                if (get().call?.callId === signal.callId && get().call?.phase === 'incoming') end('missed', 'missed');
              }, ringTimeout()),
            );
          },
          () => end('connectionFailed', 'failed'),
        );
        return;
      }

      // Everything else belongs to the current call, from its other side.
      if (!current || current.callId !== signal.callId || current.peerUserId !== fromUserId) return;
      const caller = current.direction === 'out';
      switch (signal.kind) {
        case 'accept': {
          if (!caller || current.phase !== 'outgoing' || !current.localStream) return;
          // The first device to answer gets the call; the others stop ringing.
          live.remoteDevice = fromDeviceId;
          if (live.ringing.size > 1) void send(fromUserId, { kind: 'answered_elsewhere', callId: current.callId });
          for (const timer of live.timers.splice(0)) clearTimeout(timer);
          update({ phase: 'connecting' });
          void connectPeer(true, current.localStream);
          return;
        }
        case 'decline':
          if (caller && current.phase === 'outgoing') {
            void send(fromUserId, { kind: 'cancel', callId: current.callId });
            end('declined', 'declined');
          }
          return;
        case 'busy':
          if (!caller || current.phase !== 'outgoing') return;
          live.ringing.delete(fromDeviceId);
          if (live.ringing.size === 0) end('busy', 'busy');
          return;
        case 'cancel':
          if (!caller && current.phase === 'incoming') end('missed', 'missed');
          return;
        case 'answered_elsewhere':
          if (!caller && current.phase === 'incoming') end('answeredElsewhere', 'answered_elsewhere');
          return;
        case 'sdp':
          // Only from the device in the call (another of the callee's devices may still be catching up).
          if (live.remoteDevice && live.remoteDevice !== fromDeviceId) return;
          if (live.peer) live.peer.signal(signal.data);
          else live.pending.push(signal.data);
          return;
        case 'hangup':
          if (signal.reason === 'connection_failed') end('connectionFailed', 'failed');
          else end('peerHungUp', 'completed');
          return;
      }
    },

    dismiss() {
      if (get().call?.phase === 'ended') set({ call: null });
    },
  };
});
