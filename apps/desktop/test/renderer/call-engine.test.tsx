import type { CallConfig, CallRecord, LocalMessage, SignalResult } from '@parley/shared';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CallEngine, type CallEngineDeps, type PeerConstructor } from '../../src/renderer/calls/engine.js';

// The engine's state machine with stand-ins for the core, the media devices and simple-peer; the
// real WebRTC path runs in tests/e2e/calls*.test.ts.

const BOB = '00000000-0000-4000-8000-000000000002';
const BOB_PHONE = '00000000-0000-4000-8000-0000000000b1';
const CALL_ID = '00000000-0000-4000-8000-0000000000c1';

class FakeTrack {
  enabled = true;
  readyState: MediaStreamTrackState = 'live';
  constructor(readonly kind: 'audio' | 'video') {}
  stop() {
    this.readyState = 'ended';
  }
}

class FakeStream {
  readonly tracks: FakeTrack[];
  constructor(video: boolean) {
    this.tracks = [new FakeTrack('audio'), ...(video ? [new FakeTrack('video')] : [])];
  }
  getTracks = () => this.tracks;
  getAudioTracks = () => this.tracks.filter((t) => t.kind === 'audio');
  getVideoTracks = () => this.tracks.filter((t) => t.kind === 'video');
}

class FakePeer {
  static made: FakePeer[] = [];
  readonly handlers = new Map<string, (...args: unknown[]) => void>();
  destroyed = false;
  constructor(readonly options: ConstructorParameters<PeerConstructor>[0]) {
    FakePeer.made.push(this);
  }
  on(event: string, handler: (...args: unknown[]) => void) {
    this.handlers.set(event, handler);
    return this;
  }
  emit(event: string, ...args: unknown[]) {
    this.handlers.get(event)?.(...args);
  }
  signal() {}
  destroy() {
    this.destroyed = true;
  }
}

const CONFIG: CallConfig = { iceServers: [], ttlSeconds: 3600, ringSeconds: 45 };

/** An engine over stand-ins that record what it sends, records and gets from the devices. */
function setup(getUserMedia?: CallEngineDeps['getUserMedia']) {
  const sent: unknown[] = [];
  const recorded: CallRecord[] = [];
  const streams: FakeStream[] = [];
  /** Cleared when the core signs out (revoked): from then on it refuses every call, as the real one does. */
  const core = { signedIn: true };
  const signedIn = () => {
    if (!core.signedIn) throw Object.assign(new Error('NOT_SIGNED_IN'), { code: 'NOT_SIGNED_IN' });
  };
  const engine = new CallEngine({
    api: {
      sendSignal: async (_peer, signal): Promise<SignalResult> => {
        signedIn();
        sent.push(signal);
        return { deliveredTo: [BOB_PHONE] };
      },
      callConfig: async () => CONFIG,
      recordCall: async (_peer, _direction, call) => {
        signedIn();
        recorded.push(call);
        return {} as LocalMessage;
      },
    },
    getUserMedia:
      getUserMedia ??
      (async (constraints) => {
        const stream = new FakeStream(Boolean(constraints.video));
        streams.push(stream);
        return stream as unknown as MediaStream;
      }),
    loadPeer: async () => FakePeer as unknown as PeerConstructor,
    isContact: (userId) => userId === BOB,
    relayOnly: () => false,
    incomingCall: () => {},
  });
  const kinds = () => sent.map((signal) => (signal as { kind: string }).kind);
  const tracks = () => streams.flatMap((stream) => stream.tracks.map((track) => track.readyState));
  return { engine, core, sent, kinds, recorded, tracks };
}

/** Alice calls Bob, Bob's phone answers, the peer connects: an active video call. */
async function activeCall({ engine }: ReturnType<typeof setup>): Promise<FakePeer> {
  await engine.start(BOB, 'video');
  engine.signalReceived(BOB, BOB_PHONE, { kind: 'accept', callId: engine.call?.callId });
  await vi.waitFor(() => expect(FakePeer.made).toHaveLength(1));
  const peer = FakePeer.made[0] as FakePeer;
  peer.emit('connect');
  return peer;
}

beforeEach(() => {
  FakePeer.made = [];
});

describe('the call engine', () => {
  it('calling: rings, connects as the initiator when answered, and is active once the peer connects', async () => {
    const s = setup();
    const phases: (string | undefined)[] = [];
    s.engine.onChange((call) => phases.push(call?.phase));
    const peer = await activeCall(s);
    expect(peer.options).toMatchObject({ initiator: true, trickle: true });
    expect(s.kinds()).toEqual(['ring']);
    peer.emit('signal', { type: 'offer', sdp: 'v=0' });
    await vi.waitFor(() => expect(s.kinds()).toEqual(['ring', 'sdp']));
    expect([...new Set(phases)]).toEqual(['outgoing', 'connecting', 'active']);
    expect(s.engine.call?.connectedAt).toEqual(expect.any(Number));
  });

  it('a ring from a stranger or a malformed signal changes nothing; a ring during a call answers busy', async () => {
    const s = setup();
    const stranger = '00000000-0000-4000-8000-000000000009';
    s.engine.signalReceived(stranger, BOB_PHONE, { kind: 'ring', callId: CALL_ID, media: 'audio' });
    s.engine.signalReceived(BOB, BOB_PHONE, { kind: 'ring', callId: 'not-an-id', media: 'audio' });
    expect(s.engine.call).toBeNull();

    await activeCall(s);
    s.engine.signalReceived(BOB, BOB_PHONE, { kind: 'ring', callId: CALL_ID, media: 'audio' });
    await vi.waitFor(() => expect(s.kinds().at(-1)).toBe('busy'));
    expect(s.engine.call?.phase).toBe('active');
  });

  it('signing out mid-call ends it at once: the other side is told, the peer closes, camera and microphone stop', async () => {
    const s = setup();
    const peer = await activeCall(s);
    expect(s.tracks()).toEqual(['live', 'live']);

    await s.engine.leave();
    expect(s.engine.call).toBeNull(); // no ended screen left over the sign-in screen
    expect(peer.destroyed).toBe(true);
    expect(s.tracks()).toEqual(['ended', 'ended']);
    expect(s.sent.at(-1)).toMatchObject({ kind: 'hangup', reason: 'ended' });
    expect(s.recorded).toMatchObject([{ outcome: 'completed' }]);
  });

  it('revoked mid-call (the core refuses everything): the call still ends and lets go of camera and microphone', async () => {
    const s = setup();
    const peer = await activeCall(s);
    s.core.signedIn = false;

    await s.engine.leave();
    expect(s.engine.call).toBeNull();
    expect(peer.destroyed).toBe(true);
    expect(s.tracks()).toEqual(['ended', 'ended']);
    expect(s.kinds()).toEqual(['ring']); // nothing could be sent any more
  });

  it('signed out while the camera prompt is open: the stream granted afterwards is stopped at once', async () => {
    let grant: (stream: MediaStream) => void = () => {};
    const s = setup(() => new Promise((resolve) => (grant = resolve)));
    const starting = s.engine.start(BOB, 'video');
    await s.engine.leave();
    const late = new FakeStream(true);
    grant(late as unknown as MediaStream);
    await starting;
    expect(late.tracks.map((track) => track.readyState)).toEqual(['ended', 'ended']);
    expect(s.engine.call).toBeNull();
    expect(s.kinds()).not.toContain('ring');
  });
});
