import type { LocalMessage } from '@parley/shared';
import type { TFunction } from 'i18next';

/** m:ss, or h:mm:ss past the hour. */
export function formatCallDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A call's history entry in words: "Outgoing video call · 1:05", "Missed call", "Incoming audio call · Declined". */
export function callSummary(message: LocalMessage, t: TFunction): string {
  const call = message.call;
  if (!call) return message.text;
  if (call.outcome === 'missed') return t(message.direction === 'in' ? 'call.history.missed' : 'call.history.noAnswer');
  const kind = t(`call.history.${message.direction}_${call.media}`);
  const detail = call.outcome === 'completed' ? formatCallDuration(call.durationMs) : t(`call.history.${call.outcome}`);
  return `${kind} · ${detail}`;
}
