import { MessageContent, ReadReceiptsRequest } from '@parley/shared';
import { z } from 'zod';
import type { Db } from './database.js';
import { prepare } from './statements.js';

/**
 * The kinds of outbox job (the `outbox.kind` column) and their payloads: a stored payload is
 * parsed by its kind's schema when read back, never cast. A new kind is a new entry here (and in
 * the column's CHECK, by a migration).
 */
export const JOB_KINDS = {
  /** Send the outgoing message `message_id`; `uploaded` once its attachment has reached the server. */
  message: z.object({ uploaded: z.boolean().optional() }),
  /** Tell a sender that their messages were read. */
  read: ReadReceiptsRequest,
  /**
   * Send a message action (`message_id` is the action's own id): to the peer and my other
   * devices, or with `selfOnly` (delete for me) only to my other devices.
   */
  action: z.object({ content: MessageContent, selfOnly: z.boolean() }),
} satisfies Record<string, { parse(data: unknown): unknown }>;

export type JobKind = keyof typeof JOB_KINDS;
export type JobPayload<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]>;

interface JobBase {
  id: number;
  /** The conversation: its jobs go out in order. */
  peerUserId: string;
  messageId: string | null;
  attempts: number;
  nextAttemptAt: number;
}

export type OutboxJob = { [K in JobKind]: JobBase & { kind: K; payload: JobPayload<K> } }[JobKind];
export type NewJob = {
  [K in JobKind]: { kind: K; peerUserId: string; messageId: string | null; payload: JobPayload<K> };
}[JobKind];
/** A stored job whose payload does not parse (written by another version, or damaged): it can only be given up. */
export type UnreadableJob = JobBase & { kind: 'unreadable'; error: string };

const SQL = {
  insert: 'INSERT INTO outbox (kind, peer_user_id, message_id, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
  // Not a job behind one of its conversation that waits (for a retry, an upload, a decision): they go out in order.
  due: `SELECT * FROM outbox o WHERE next_attempt_at <= @now AND NOT EXISTS
          (SELECT 1 FROM outbox w WHERE w.peer_user_id = o.peer_user_id AND w.id < o.id AND w.next_attempt_at > @now)
        ORDER BY id`,
  nextAt: 'SELECT min(next_attempt_at) AS at FROM outbox',
  ofMessage: 'SELECT * FROM outbox WHERE message_id = ?',
  schedule: 'UPDATE outbox SET next_attempt_at = ? WHERE id = ?',
  scheduleWith: 'UPDATE outbox SET next_attempt_at = ?, payload = ? WHERE id = ?',
  expediteMessage: 'UPDATE outbox SET next_attempt_at = ? WHERE message_id = ?',
  expediteAll: 'UPDATE outbox SET next_attempt_at = min(next_attempt_at, ?)',
  complete: 'DELETE FROM outbox WHERE id = ?',
  retry: 'UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?',
};

interface OutboxRow {
  id: number;
  kind: string;
  peer_user_id: string;
  message_id: string | null;
  payload: string;
  attempts: number;
  next_attempt_at: number;
}

function toJob(r: OutboxRow): OutboxJob | UnreadableJob {
  const base: JobBase = {
    id: r.id,
    peerUserId: r.peer_user_id,
    messageId: r.message_id,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
  };
  try {
    if (!Object.hasOwn(JOB_KINDS, r.kind)) throw new Error(`unknown kind ${r.kind}`);
    const kind = r.kind as JobKind;
    return { ...base, kind, payload: JOB_KINDS[kind].parse(JSON.parse(r.payload)) } as OutboxJob;
  } catch (error) {
    return { ...base, kind: 'unreadable', error: (error as Error).message };
  }
}

/** The `outbox` table: work that must reach the server, surviving restarts. */
export class OutboxRepository {
  private readonly sql;

  constructor(db: Db) {
    this.sql = prepare(db, SQL);
  }

  enqueue(job: NewJob): void {
    this.sql.insert.run(job.kind, job.peerUserId, job.messageId, JSON.stringify(job.payload), Date.now());
  }

  /** Jobs due now, oldest first, but none behind a job of its conversation that is not due. */
  due(now: number): (OutboxJob | UnreadableJob)[] {
    return (this.sql.due.all({ now }) as OutboxRow[]).map(toJob);
  }

  nextAt(): number | null {
    return (this.sql.nextAt.get() as { at: number | null }).at;
  }

  /** The job sending a message, if it has one. */
  ofMessage(messageId: string): OutboxJob | UnreadableJob | undefined {
    const row = this.sql.ofMessage.get(messageId) as OutboxRow | undefined;
    return row && toJob(row);
  }

  /** When a job is next due. */
  schedule(id: number, nextAttemptAt: number): void {
    this.sql.schedule.run(nextAttemptAt, id);
  }

  /** When a message job is next due, with its new payload. */
  scheduleMessage(id: number, nextAttemptAt: number, payload: JobPayload<'message'>): void {
    this.sql.scheduleWith.run(nextAttemptAt, JSON.stringify(payload), id);
  }

  /** Makes a message's waiting job due now; false when it has none. */
  expediteMessage(messageId: string): boolean {
    return this.sql.expediteMessage.run(Date.now(), messageId).changes > 0;
  }

  /** Makes every waiting job due now (the connection came back, a safety number was decided). */
  expediteAll(): void {
    this.sql.expediteAll.run(Date.now());
  }

  complete(id: number): void {
    this.sql.complete.run(id);
  }

  retry(id: number, attempts: number, nextAttemptAt: number, error: string): void {
    this.sql.retry.run(attempts, nextAttemptAt, error, id);
  }
}
