import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type Envelope,
  LIMITS,
  type ReadReceiptsRequest,
  type SendMessageRequest,
  type SendMessageResponse,
} from '@parley/shared';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config.js';
import { Batcher } from '../database/batcher.js';
import { checkDestinations } from '../devices/destinations.js';
import { DevicesRepository } from '../devices/devices.repository.js';
import { AppError, serverBusy } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { LOGGER } from '../logger.js';
import { Metrics } from '../metrics/metrics.js';
import { Realtime } from '../realtime/realtime.js';
import {
  type DestinationDevice,
  MessagesRepository,
  type Queued,
  type QueuedEnvelope,
  type SendState,
  type SendWrite,
} from './messages.repository.js';

interface AckWrite {
  caller: Caller;
  ids: string[];
}

interface SendRead {
  caller: Caller;
  input: SendMessageRequest;
}

/** How often, and how many rows at a time, `sends` past retention are deleted. */
const SENDS_SWEEP_EVERY_MS = 3_600_000;
const SENDS_SWEEP_BATCH = 5_000;

/**
 * The hot path's reads and writes are batched: each kind runs at most four statements at once, and
 * what arrives meanwhile goes together in the next, so one round trip and, for a write, one commit
 * serve them all (each caller still waits for its own).
 */
const BATCHED = { concurrency: 4, maxBatch: 500 };

/** A batch write that, if the statement fails, writes each item alone: one bad item fails only itself. */
function aloneOnFailure<K, V>(write: (items: readonly K[]) => Promise<V[]>) {
  return async (items: readonly K[]): Promise<(V | Error)[]> => {
    try {
      return await write(items);
    } catch (error) {
      if (items.length === 1) throw error;
      return Promise.all(
        items.map((item) =>
          write([item]).then(
            ([value]) => value as V,
            (failure: unknown) => (failure instanceof Error ? failure : new Error(String(failure))),
          ),
        ),
      );
    }
  };
}

/**
 * Store-and-forward of ciphertext: a send is stored whole in one transaction before it is
 * acknowledged, and an envelope is deleted only when its destination device acks it.
 */
@Injectable()
export class MessagesService implements OnModuleInit, OnModuleDestroy {
  private sweeper: NodeJS.Timeout | undefined;
  /** Sends being checked and stored now (bounded by SENDS_MAX_IN_FLIGHT). */
  private sendsInFlight = 0;

  /** The checks of sends, read together. */
  private readonly sendReads = new Batcher<SendRead, SendState>((reads) => this.repository.sendStates(reads), BATCHED);
  /** Checked sends, stored together. */
  private readonly sendWrites = new Batcher<SendWrite, Date | null>(
    aloneOnFailure((writes) => this.writeSends(writes)),
    BATCHED,
  );
  /** Queue pages (of any devices), read together. */
  private readonly pageReads = new Batcher<string, Queued[]>(async (deviceIds) => {
    const pages = await this.repository.queuePages(deviceIds, LIMITS.drainPage);
    return deviceIds.map((id) => pages.get(id) ?? []);
  }, BATCHED);
  /** Acks (of any devices), written together. */
  private readonly ackWrites = new Batcher<AckWrite, true>(
    aloneOnFailure((acks) => this.writeAcks(acks)),
    BATCHED,
  );

  constructor(
    private readonly repository: MessagesRepository,
    private readonly devices: DevicesRepository,
    private readonly limits: RateLimits,
    private readonly realtime: Realtime,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.sweeper = setInterval(() => void this.pruneSends(), SENDS_SWEEP_EVERY_MS);
    this.sweeper.unref();
    await this.pruneSends();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Deletes `sends` rows past retention, a batch at a time (short transactions, no long lock).
   * After that a resend of the message id is no longer recognised as a duplicate and a read
   * receipt for it is ignored: both only matter while a message is fresh.
   */
  private async pruneSends(): Promise<void> {
    try {
      let deleted = 0;
      for (;;) {
        const count = await this.repository.deleteSendsOlderThan(this.config.SENDS_RETENTION_DAYS, SENDS_SWEEP_BATCH);
        deleted += count;
        if (count < SENDS_SWEEP_BATCH) break;
      }
      if (deleted) this.log.info({ deleted }, 'sends past retention deleted');
    } catch (error) {
      this.log.error({ err: error }, 'sends sweep failed');
    }
  }

  /** A send (see `admitted`), counted by its outcome in the metrics. */
  async send(caller: Caller, input: SendMessageRequest): Promise<SendMessageResponse> {
    try {
      const answer = await this.admit(caller, input);
      this.metrics.sent(answer.duplicate ? 'duplicate' : 'accepted');
      return answer;
    } catch (error) {
      this.metrics.sent(error instanceof AppError ? error.code : 'error');
      throw error;
    }
  }

  private async admit(caller: Caller, input: SendMessageRequest): Promise<SendMessageResponse> {
    // Admission control: past capacity a send is refused at once, before it waits for the database
    // (where it would time out as an INTERNAL after seconds, slowing every send behind it).
    if (this.sendsInFlight >= this.config.SENDS_MAX_IN_FLIGHT) throw serverBusy();
    this.sendsInFlight++;
    try {
      return await this.admitted(caller, input);
    } finally {
      this.sendsInFlight--;
    }
  }

  /**
   * Two statements on the hot path, each shared with the sends that arrive meanwhile: one
   * reads everything the checks need (a previous send with this id, the recipient, the destination
   * devices and their queue lengths), one stores the sends and all their envelopes atomically.
   */
  private async admitted(caller: Caller, input: SendMessageRequest): Promise<SendMessageResponse> {
    await this.limits.consume('sendPerDevice', caller.deviceId);
    const state = await this.sendReads.load({ caller, input });
    if (state.previous)
      return { messageId: input.messageId, serverTimestamp: state.previous.toISOString(), duplicate: true };
    if (!state.recipient_exists) throw new AppError('USER_NOT_FOUND', 'No such recipient');
    await checkDestinations(this.devices, input.recipientUserId, state.devices, input.envelopes);
    this.checkQueues(state.devices);

    const owners = new Map(state.devices.map((d) => [d.id, d.userId]));
    const accepted = await this.sendWrites.load({ caller, input, owners });
    if (!accepted) {
      // The same id was stored concurrently: answer as its duplicate.
      const previous = await this.repository.previousSend(caller.deviceId, input.messageId);
      if (!previous) throw new AppError('INTERNAL', 'The send vanished while being stored');
      return { messageId: input.messageId, serverTimestamp: previous.toISOString(), duplicate: true };
    }
    return { messageId: input.messageId, serverTimestamp: accepted.toISOString(), duplicate: false };
  }

  /**
   * Stores sends and their envelopes in one statement; for each, when it was accepted, or null
   * when its id was already taken (a concurrent duplicate).
   */
  private async writeSends(writes: readonly SendWrite[]): Promise<(Date | null)[]> {
    const key = (deviceId: string, messageId: string) => `${deviceId}:${messageId}`;
    const keyOf = (w: SendWrite) => key(w.caller.deviceId, w.input.messageId);
    // The same id twice in one batch: the first is stored, the others answer as its duplicates.
    const first = new Map<string, SendWrite>();
    for (const w of writes) if (!first.has(keyOf(w))) first.set(keyOf(w), w);
    const stored = [...first.values()];
    const envelopes = stored.flatMap((w) =>
      w.input.envelopes.map((e) => ({ w, e, bytes: Buffer.from(e.content, 'base64') })),
    );
    const rows = await this.repository.insertSends(
      stored,
      envelopes.map((x) => x.bytes),
    );
    const acceptedAt = new Map(rows.map((r) => [key(r.accepted_device, r.accepted_message), r.accepted_at]));
    // The envelopes just stored, as a read of their queues would give them: idle deliveries take them as they are.
    const sent = new Map(envelopes.map((x) => [`${keyOf(x.w)}:${x.e.deviceId}`, x]));
    this.realtime.queued(
      rows.flatMap((r): QueuedEnvelope[] => {
        const x = sent.get(`${key(r.accepted_device, r.accepted_message)}:${r.destination_device_id}`);
        if (!x || !r.envelope_id || !r.envelope_seq || !r.destination_device_id) return [];
        const envelope: Envelope = {
          id: r.envelope_id,
          kind: 'message',
          messageId: r.accepted_message,
          senderUserId: x.w.caller.userId,
          senderDeviceId: r.accepted_device,
          type: x.e.type,
          content: x.e.content, // the bytes stored (a decoder reads both encodings alike)
          serverTimestamp: r.accepted_at.toISOString(),
        };
        return [{ destinationDeviceId: r.destination_device_id, seq: Number(r.envelope_seq), envelope }];
      }),
    );
    return writes.map((w) => (first.get(keyOf(w)) === w ? (acceptedAt.get(keyOf(w)) ?? null) : null));
  }

  /**
   * Every destination must have room in its queue: in the whole queue, and in the caller's share
   * of it (smaller for a stranger), so that no one sender can fill a device's queue and block
   * everyone else's mail.
   */
  private checkQueues(destinations: readonly DestinationDevice[]): void {
    const { QUEUE_MAX_PER_DEVICE, QUEUE_SHARE_PER_SENDER, QUEUE_SHARE_PER_STRANGER } = this.config;
    const full = destinations
      .filter(
        (d) =>
          Number(d.queued) >= QUEUE_MAX_PER_DEVICE ||
          Number(d.queuedFromCaller) >= (d.knowsCaller ? QUEUE_SHARE_PER_SENDER : QUEUE_SHARE_PER_STRANGER),
      )
      .map((d) => d.id);
    if (full.length) {
      throw new AppError('QUEUE_FULL', 'A destination device has too many undelivered messages; try again later', {
        devices: full,
      });
    }
  }

  /** The oldest page of a device's queue (read with the pages other devices ask for meanwhile). */
  queuePage(deviceId: string): Promise<Queued[]> {
    return this.pageReads.load(deviceId);
  }

  /**
   * Deletes envelopes the device has stored (only its own) and, for messages from someone else,
   * queues a `delivered` receipt for every device of the sender. Acks that arrive together are
   * written in one statement: a commit is the expensive part.
   */
  async ack(caller: Caller, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.ackWrites.load({ caller, ids });
  }

  private async writeAcks(acks: readonly AckWrite[]): Promise<true[]> {
    const { queued, ages } = await this.repository.deleteAcked(acks);
    this.realtime.queued(queued);
    this.metrics.delivered(ages);
    return acks.map(() => true);
  }

  /**
   * Read receipts for messages the caller received: queued for the senders' devices and for the
   * caller's other devices (so they clear their unread marks). Ids it never received are ignored.
   * A message is read once: a repeated receipt (from any of the reader's devices) writes and pushes
   * nothing. Answers how many were newly read.
   */
  async markRead(caller: Caller, input: ReadReceiptsRequest): Promise<number> {
    await this.limits.consume('receiptsPerDevice', caller.deviceId);
    const { newlyRead, queued } = await this.repository.markRead(caller, input.receipts);
    this.realtime.queued(queued);
    return newlyRead;
  }
}
