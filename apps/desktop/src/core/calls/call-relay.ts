import { randomUUID } from 'node:crypto';
import {
  type CallConfig,
  type CallRecord,
  type LocalMessage,
  SignalContent,
  type SignalEvent,
  type SignalResult,
  UNTOUCHED,
} from '@parley/shared';
import type { Emit } from '../events.js';
import type { Conversations } from '../messaging/conversations.js';
import type { Messaging } from '../messaging/messaging.js';
import type { Connection } from '../net/connection.js';
import type { ServerSession } from '../net/server-session.js';
import type { SignalService } from '../signal/signal-service.js';

/**
 * The core's side of calls: it relays the UI's call signalling end-to-end encrypted (ephemeral,
 * never stored), fetches the call configuration, and records finished calls in the history.
 */
export class CallRelay {
  constructor(
    private readonly me: { userId: string },
    private readonly signal: Pick<SignalService, 'decrypt'>,
    private readonly messaging: Pick<Messaging, 'repairingDevices' | 'encryptFor'>,
    private readonly connection: Pick<Connection, 'signal'>,
    private readonly server: ServerSession,
    private readonly conversations: Pick<Conversations, 'record'>,
    private readonly emit: Emit,
  ) {}

  send(peerUserId: string, payload: unknown): Promise<SignalResult> {
    const plaintext = new TextEncoder().encode(JSON.stringify({ kind: 'signal', payload } satisfies SignalContent));
    return this.messaging.repairingDevices(async () => {
      const envelopes = await this.messaging.encryptFor(peerUserId, plaintext, false);
      return this.connection.signal({
        toUserId: peerUserId,
        envelopes: envelopes.map(({ deviceId, type, content }) => ({ deviceId, type, content })),
      });
    });
  }

  /** A signal from the server: shown to the UI once decrypted; dropped when it cannot be read. */
  async received({ fromUserId, fromDeviceId, type, content }: SignalEvent): Promise<void> {
    if (!type) return;
    let payload: unknown;
    try {
      payload = await this.signal.decrypt(
        fromUserId,
        fromDeviceId,
        { type, content },
        (plaintext) => SignalContent.parse(JSON.parse(new TextDecoder().decode(plaintext))).payload,
      );
    } catch {
      return;
    }
    if (payload !== null) this.emit('signal', { fromUserId, fromDeviceId, payload });
  }

  config(): Promise<CallConfig> {
    return this.server.call('callConfig', {});
  }

  record(peerUserId: string, direction: 'in' | 'out', call: CallRecord): LocalMessage {
    const now = new Date().toISOString();
    const message: LocalMessage = {
      id: randomUUID(),
      peerUserId,
      senderUserId: direction === 'out' ? this.me.userId : peerUserId,
      direction,
      text: '',
      attachment: null,
      attachmentReady: false,
      call,
      status: 'read',
      sentAt: now,
      serverTimestamp: null,
      // A missed call stays unread until the chat is opened.
      readAt: direction === 'in' && call.outcome === 'missed' ? null : now,
      ...UNTOUCHED,
    };
    this.conversations.record(message);
    return message;
  }
}
