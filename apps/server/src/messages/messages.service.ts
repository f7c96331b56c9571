import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type Envelope,
  LIMITS,
  type ReadReceiptsRequest,
  type SendMessageRequest,
  type SendMessageResponse,
} from '@parley/shared';
import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config.js';
import { checkDestinations } from '../devices/destinations.js';
import { DevicesRepository } from '../devices/devices.repository.js';
import { AppError, serverBusy } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { LOGGER } from '../logger.js';
import { Metrics } from '../metrics/metrics.js';
import { Realtime } from '../realtime/realtime.js';
import { type DestinationDevice, MessagesRepository, type SendWrite } from './messages.repository.js';

interface AckWrite {
  caller: Caller;
  ids: string[];
}

/** How often, and how many rows at a time, `sends` past retention are deleted. */
const SENDS_SWEEP_EVERY_MS = 3_600_000;
const SENDS_SWEEP_BATCH = 5_000;

/**
 * Writes that arrive together are batched into one statement, so one commit (the expensive part
 * of a write) serves them all; each caller still waits for its own write to be committed.
 */
const BATCHED = { cache: false, maxBatchSize: 500, batchScheduleFn: (run: () => void) => setImmediate(run) };

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

  /** Sends checked in one event-loop turn, stored in one statement. */
  private readonly sendWrites = new DataLoader<SendWrite, Date | null>(
    aloneOnFailure((writes) => this.writeSends(writes)),
    BATCHED,
  );
  /** Acks received in one event-loop turn, written in one statement. */
  private readonly ackWrites = new DataLoader<AckWrite, true>(
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
   * Two round trips on the hot path: one query reads everything the checks need (a previous
   * send with this id, the recipient, the destination devices and their queue lengths), one
   * statement stores the send and all its envelopes atomically (with the sends that arrived with it).
   */
  private async admitted(caller: Caller, input: SendMessageRequest): Promise<SendMessageResponse> {
    await this.limits.consume('sendPerDevice', caller.deviceId);
    const state = await this.repository.sendState(caller, input);
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
    const rows = await this.repository.insertSends([...first.values()]);
    const acceptedAt = new Map(rows.map((r) => [key(r.accepted_device, r.accepted_message), r.accepted_at]));
    this.realtime.queued(rows.flatMap((r) => r.destination_device_id ?? []));
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

  /** The oldest page of a device's queue. */
  queuePage(deviceId: string): Promise<Envelope[]> {
    return this.repository.queuePage(deviceId, LIMITS.drainPage);
  }

  /**
   * Deletes envelopes the device has stored (only its own) and, for messages from someone else,
   * queues a `delivered` receipt for every device of the sender. Acks that arrive together (in
   * one turn of the event loop) are written in one statement: a commit is the expensive part.
   */
  async ack(caller: Caller, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.ackWrites.load({ caller, ids });
  }

  private async writeAcks(acks: readonly AckWrite[]): Promise<true[]> {
    const { receiptsFor, ages } = await this.repository.deleteAcked(acks);
    this.realtime.queued(receiptsFor);
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
    const { newlyRead, receiptsFor } = await this.repository.markRead(caller, input.receipts);
    this.realtime.queued(receiptsFor);
    return newlyRead;
  }
}
