import type { CallMedia } from '@parley/shared';
import type { CallQuality } from './quality.js';

export type CallPhase = 'outgoing' | 'incoming' | 'connecting' | 'active' | 'ended';
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

/** The call as the UI shows it: a new object on every change. */
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

/** A call as it starts: ringing out, or ringing here. */
export const newCall = (callId: string, peerUserId: string, direction: 'in' | 'out', media: CallMedia): CallView => ({
  callId,
  peerUserId,
  direction,
  media,
  phase: direction === 'out' ? 'outgoing' : 'incoming',
  connectedAt: null,
  muted: false,
  cameraOn: media === 'video',
  quality: null,
  endReason: null,
  localStream: null,
  remoteStream: null,
});
