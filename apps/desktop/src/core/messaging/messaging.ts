import {
  type DeviceRef,
  type Envelope,
  type LocalMessage,
  MessageContent,
  type OutgoingEnvelope,
  type SendMessageRequest,
  type SendMessageResponse,
  UNTOUCHED,
} from '@parley/shared';
import { CoreError } from '../errors.js';
import type { ServerSession } from '../net/server-session.js';
import type { SignalService } from '../signal/signal-service.js';
import type { LocalStore } from '../store/local-store.js';
import { type ActionContent, type Actions, Changes, isAction, type ReceivedAction } from './actions.js';
import type { MessageEvents } from './message-events.js';

/** Attempts to repair a stale device list before a send is retried later. */
const DEVICE_REPAIRS = 3;

export interface Transport {
  /** Sends over the live socket when connected, else over REST. */
  send(request: SendMessageRequest): Promise<SendMessageResponse>;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * Turning messages into envelopes and envelopes back into messages: device lists, sessions,
 * stale-device repair, sync copies for my other devices, receipts.
 */
export class Messaging {
  constructor(
    private readonly me: { userId: string },
    private readonly store: Pick<LocalStore, 'messages' | 'users'>,
    private readonly signal: SignalService,
    private readonly session: ServerSession,
    private readonly events: MessageEvents,
    /** A message from (or to) someone this device has not met: learn who they are. */
    private readonly unknownUser: (userId: string) => void,
    private readonly actions: Pick<Actions, 'receive' | 'released' | 'finish'>,
  ) {}

  /** Encrypts and sends a stored outgoing message; repairs the device list when the server says it is stale. */
  async deliver(message: LocalMessage, transport: Transport): Promise<SendMessageResponse> {
    const { text, sentAt, peerUserId: to } = message;
    const extra = {
      ...(message.quote ? { quote: message.quote } : {}),
      ...(message.forwarded ? { forwarded: true } : {}),
    };
    const content: MessageContent = message.attachment
      ? { kind: 'attachment', attachment: message.attachment, text, sentAt, to, ...extra }
      : { kind: 'text', text, sentAt, to, ...extra };
    return this.send(message.id, message.peerUserId, content, transport);
  }

  /** Sends an action of mine: to the peer and my other devices, or (`selfOnly`) to my other devices only. */
  deliverAction(
    id: string,
    content: ActionContent,
    selfOnly: boolean,
    transport: Transport,
  ): Promise<SendMessageResponse> {
    return this.send(id, selfOnly ? this.me.userId : content.to, content, transport);
  }

  private send(
    messageId: string,
    recipientUserId: string,
    content: MessageContent,
    transport: Transport,
  ): Promise<SendMessageResponse> {
    return this.repairingDevices(async () => {
      const envelopes = await this.encryptFor(recipientUserId, encode(content), true);
      return transport.send({ messageId, recipientUserId, envelopes });
    });
  }

  /**
   * Runs `attempt` (encrypt for the devices we know, then send); when the server says the device
   * list is out of date, learns the new one and tries again.
   */
  async repairingDevices<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof CoreError) || tries >= DEVICE_REPAIRS) throw error;
        if (error.code === 'MISMATCHED_DEVICES') {
          const details = error.details as { missingDevices: DeviceRef[]; extraDevices: DeviceRef[] };
          for (const extra of details.extraDevices) this.signal.forgetDevice(extra.deviceId);
          for (const userId of new Set(details.missingDevices.map((d) => d.userId))) await this.openSessions(userId);
        } else if (error.code === 'STALE_DEVICES') {
          const details = error.details as { staleDevices: DeviceRef[] };
          for (const stale of details.staleDevices) this.signal.forgetDevice(stale.deviceId);
          for (const userId of new Set(details.staleDevices.map((d) => d.userId))) await this.openSessions(userId);
        } else {
          throw error;
        }
      }
    }
  }

  /**
   * Envelopes of one plaintext for every device of the peer and, if asked, my other devices.
   * Refused (IDENTITY_UNTRUSTED) while a key change of any of them waits for the user.
   */
  async encryptFor(peerUserId: string, plaintext: Uint8Array, includeMyDevices: boolean): Promise<OutgoingEnvelope[]> {
    const users = includeMyDevices && peerUserId !== this.me.userId ? [peerUserId, this.me.userId] : [peerUserId];
    this.signal.assertTrusted(...users);
    const envelopes: OutgoingEnvelope[] = [];
    for (const userId of users) {
      // First contact with a user: learn their devices and open sessions.
      if (userId !== this.me.userId && this.signal.knownDevices(userId).length === 0) await this.openSessions(userId);
      for (const device of this.signal.knownDevices(userId)) {
        if (!(await this.signal.hasSession(device))) await this.openSessions(userId);
        if (!(await this.signal.hasSession(device))) continue; // no bundle for it any more: the server will say
        const registrationId = this.signal.registrationId(device);
        envelopes.push({ deviceId: device, registrationId, ...(await this.signal.encrypt(device, plaintext)) });
      }
    }
    return envelopes;
  }

  /** Fetches a user's bundles and opens a session with each device we have none with. */
  async openSessions(userId: string): Promise<void> {
    const { devices } = await this.session.call('getBundles', { params: { userId } });
    for (const bundle of devices) {
      if (this.signal.knownDevices(userId).includes(bundle.deviceId) && (await this.signal.hasSession(bundle.deviceId)))
        continue;
      await this.signal.processBundle(userId, bundle);
    }
  }

  /**
   * Processes a page of my queue; returns the ids to ack (all of them) once the page is stored:
   * the messages and the session state their decryption advanced in one transaction. Each envelope
   * is decided alone: a duplicate is skipped without decrypting, one that can never be decrypted
   * (or is refused) is dropped, and the others are kept. Receipts apply in page order, in the same
   * transaction (one may be about a message of the page). Events go out after the commit.
   */
  async receivePage(envelopes: Envelope[]): Promise<string[]> {
    const received = new Set<string>();
    const strangers = new Set<string>();
    const events: (() => void)[] = [];
    const changes = new Changes();
    await this.signal.decryptPage(async (decrypt) => {
      const writes: (() => void)[] = [];
      for (const envelope of envelopes) {
        if (envelope.kind !== 'message') {
          writes.push(() => this.receipt(envelope, events));
          continue;
        }
        const { messageId, type, content } = envelope;
        if (!type || !content || received.has(messageId) || this.store.messages.has(messageId)) continue;
        let opened: LocalMessage | ReceivedAction;
        try {
          opened = await decrypt(envelope.senderUserId, envelope.senderDeviceId, { type, content }, (plaintext) =>
            this.opened(envelope, plaintext),
          );
        } catch (error) {
          // Undecryptable, malformed or refused: acking is right (it can never succeed); say so in the log.
          console.warn(
            `parley: dropped envelope ${envelope.id} from device ${envelope.senderDeviceId}: ${(error as Error).message}`,
          );
          continue;
        }
        received.add(messageId);
        if ('content' in opened) {
          const action = opened;
          writes.push(() => this.actions.receive(action, changes));
          continue;
        }
        const message = opened;
        writes.push(() => {
          if (!this.store.messages.insert(message, Date.parse(envelope.serverTimestamp))) return;
          if (!this.store.users.has(message.peerUserId)) strangers.add(message.peerUserId);
          events.push(() => this.events.message(message));
          this.actions.released(message.id, changes);
        });
      }
      return () => {
        for (const write of writes) write();
      };
    });
    for (const userId of strangers) this.unknownUser(userId);
    for (const emit of events) emit();
    this.actions.finish(changes);
    return envelopes.map((envelope) => envelope.id);
  }

  /** The message or action a decrypted envelope holds; throws when its plaintext is neither. */
  private opened(envelope: Envelope, plaintext: Uint8Array): LocalMessage | ReceivedAction {
    const content = MessageContent.parse(JSON.parse(new TextDecoder().decode(plaintext)));
    const { messageId: id, senderUserId, serverTimestamp } = envelope;
    if (isAction(content)) return { id, senderUserId, content, serverTimestamp };
    const fromMe = envelope.senderUserId === this.me.userId;
    return {
      id: envelope.messageId,
      peerUserId: fromMe ? content.to : envelope.senderUserId,
      senderUserId: envelope.senderUserId,
      direction: fromMe ? 'out' : 'in',
      text: content.text,
      attachment: content.kind === 'attachment' ? content.attachment : null,
      attachmentReady: false,
      call: null,
      status: fromMe ? 'sent' : 'delivered',
      sentAt: content.sentAt,
      serverTimestamp: envelope.serverTimestamp,
      readAt: null,
      ...UNTOUCHED,
      quote: content.quote ?? null,
      forwarded: content.forwarded === true,
    };
  }

  /** Applies a receipt (in the page's transaction); its event joins `events`. */
  private receipt(envelope: Envelope, events: (() => void)[]): void {
    if (envelope.kind === 'read' && envelope.senderUserId === this.me.userId) {
      // I read this message on another device.
      const message = this.store.messages.get(envelope.messageId);
      if (message?.direction === 'in' && this.store.messages.markRead(message.peerUserId, [message.id]).length > 0) {
        events.push(() => this.events.read(message.peerUserId));
      }
      return;
    }
    const updated = this.store.messages.advanceStatus(
      envelope.messageId,
      envelope.kind === 'read' ? 'read' : 'delivered',
    );
    if (updated) events.push(() => this.events.status(updated));
  }
}
