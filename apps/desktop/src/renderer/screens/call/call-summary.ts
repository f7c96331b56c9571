import type { LocalMessage } from '@parley/shared';
import type { TFunction } from 'i18next';
import { formatClock } from '../../i18n/format.js';

/** A call's history entry in words: "Outgoing video call · 1:05", "Missed call", "Incoming audio call · Declined". */
export function callSummary(message: LocalMessage, t: TFunction): string {
  const call = message.call;
  if (!call) return message.text;
  if (call.outcome === 'missed') return t(message.direction === 'in' ? 'call.history.missed' : 'call.history.noAnswer');
  const kind = t(`call.history.${message.direction}_${call.media}`);
  const detail = call.outcome === 'completed' ? formatClock(call.durationMs) : t(`call.history.${call.outcome}`);
  return `${kind} · ${detail}`;
}
