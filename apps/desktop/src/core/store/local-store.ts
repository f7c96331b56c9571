import {
  type AttachmentPointer,
  type Contact,
  type ConversationSummary,
  type HistoryPage,
  type LocalMessage,
  type MessageStatus,
  type Presence,
  type SearchHit,
  STATUS_ORDER,
  type User,
} from '@parley/shared';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { Db } from './database.js';

type Statement = Database.Statement<unknown[]>;

interface MessageRow {
  seq: number;
  id: string;
  peer_user_id: string;
  sender_user_id: string;
  direction: 'in' | 'out';
  text: string;
  status: MessageStatus;
  sent_at: string;
  server_ts: string | null;
  sort_ts: number;
  read_at: string | null;
  attachment: string | null;
  attachment_ready: number;
  call: string | null;
}

const toMessage = (r: MessageRow): LocalMessage => ({
  id: r.id,
  peerUserId: r.peer_user_id,
  senderUserId: r.sender_user_id,
  direction: r.direction,
  text: r.text,
  status: r.status,
  sentAt: r.sent_at,
  serverTimestamp: r.server_ts,
  readAt: r.read_at,
  attachment: r.attachment === null ? null : JSON.parse(r.attachment),
  attachmentReady: r.attachment_ready === 1,
  call: r.call === null ? null : JSON.parse(r.call),
});

interface OutboxRow {
  id: number;
  kind: OutboxJob['kind'];
  peer_user_id: string;
  message_id: string | null;
  payload: string;
  attempts: number;
  next_attempt_at: number;
}

const toJob = (r: OutboxRow): OutboxJob => ({
  id: r.id,
  kind: r.kind,
  peerUserId: r.peer_user_id,
  messageId: r.message_id,
  payload: r.payload,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
});

export interface OutboxJob {
  id: number;
  kind: 'message' | 'read';
  peerUserId: string;
  messageId: string | null;
  payload: string;
  attempts: number;
  nextAttemptAt: number;
}

/** Turns what a person types into an FTS5 query: every word must match, each as a prefix. */
export function ftsQuery(input: string): string | null {
  const words = input.normalize('NFC').match(/[\p{L}\p{N}]+/gu);
  if (!words?.length) return null;
  return words.map((w) => `"${w}"*`).join(' ');
}

/**
 * The local database's data access: messages, conversations, people, outbox. Synchronous
 * (better-sqlite3); every multi-row change is one transaction.
 */
export class LocalStore {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Db) {}

  /** A prepared statement, compiled once per store (preparing is most of a small query's cost). */
  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  getValue(key: string): string | undefined {
    return (this.sql('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setValue(key: string, value: string): void {
    this.sql('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)').run(key, value);
  }

  // People ------------------------------------------------------------------------------------

  upsertUser(user: Pick<User, 'id' | 'username' | 'displayName'>): void {
    this.sql(
      `INSERT INTO users (id, username, display_name) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name`,
    ).run(user.id, user.username, user.displayName);
  }

  /** Replaces the cached address book with the server's. */
  replaceContacts(contacts: Contact[]): void {
    this.db.transaction(() => {
      this.sql('UPDATE users SET is_contact = 0').run();
      for (const c of contacts) this.saveContact(c);
    })();
  }

  saveContact(c: Contact): void {
    this.upsertUser({ id: c.userId, username: c.username, displayName: c.displayName });
    this.sql('UPDATE users SET is_contact = 1, added_at = ?, online = ?, last_seen_at = ? WHERE id = ?').run(
      c.addedAt,
      c.presence ? Number(c.presence.online) : null,
      c.presence?.lastSeenAt ?? null,
      c.userId,
    );
  }

  removeContact(userId: string): void {
    this.sql('UPDATE users SET is_contact = 0 WHERE id = ?').run(userId);
  }

  contacts(): Contact[] {
    const rows = this.sql('SELECT * FROM users WHERE is_contact = 1 ORDER BY lower(display_name), username').all() as {
      id: string;
      username: string;
      display_name: string;
      added_at: string;
      online: number | null;
      last_seen_at: string | null;
    }[];
    return rows.map((r) => ({
      userId: r.id,
      username: r.username,
      displayName: r.display_name,
      addedAt: r.added_at,
      presence: r.online === null ? null : { online: r.online === 1, lastSeenAt: r.last_seen_at },
    }));
  }

  setPresence(userId: string, presence: Presence): void {
    this.sql('UPDATE users SET online = ?, last_seen_at = ? WHERE id = ?').run(
      Number(presence.online),
      presence.lastSeenAt,
      userId,
    );
  }

  // Messages ----------------------------------------------------------------------------------

  hasMessage(id: string): boolean {
    return !!this.sql('SELECT 1 FROM messages WHERE id = ?').get(id);
  }

  message(id: string): LocalMessage | undefined {
    const row = this.sql('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    return row && toMessage(row);
  }

  /** Stores a message (idempotent by id) and brings its conversation up to date. Returns false if it was known. */
  insertMessage(m: LocalMessage, sortTs: number): boolean {
    const inserted = this.sql(
      `INSERT INTO messages (id, peer_user_id, sender_user_id, direction, text, status, sent_at, server_ts, sort_ts, read_at, attachment, attachment_ready, call)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ).run(
      m.id,
      m.peerUserId,
      m.senderUserId,
      m.direction,
      m.text,
      m.status,
      m.sentAt,
      m.serverTimestamp,
      sortTs,
      m.readAt,
      m.attachment && JSON.stringify(m.attachment),
      Number(m.attachmentReady),
      m.call && JSON.stringify(m.call),
    );
    if (inserted.changes === 0) return false;
    this.sql(
      `INSERT INTO conversations (peer_user_id, last_message_id, unread_count, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (peer_user_id) DO UPDATE SET
           last_message_id = CASE WHEN excluded.updated_at >= updated_at THEN excluded.last_message_id ELSE last_message_id END,
           unread_count = unread_count + excluded.unread_count,
           updated_at = max(updated_at, excluded.updated_at)`,
    ).run(m.peerUserId, m.id, m.direction === 'in' && !m.readAt ? 1 : 0, sortTs);
    return true;
  }

  /** Moves an outgoing message forward (never back) in pending → sent → delivered → read. */
  advanceStatus(messageId: string, status: MessageStatus, serverTimestamp?: string): LocalMessage | undefined {
    const current = this.message(messageId);
    if (current?.direction !== 'out') return undefined;
    if (status !== 'failed' && STATUS_ORDER[status] <= STATUS_ORDER[current.status]) return undefined;
    if (serverTimestamp) {
      this.sql('UPDATE messages SET status = ?, server_ts = ?, sort_ts = ? WHERE id = ?').run(
        status,
        serverTimestamp,
        Date.parse(serverTimestamp),
        messageId,
      );
    } else {
      this.sql('UPDATE messages SET status = ? WHERE id = ?').run(status, messageId);
    }
    return { ...current, status, serverTimestamp: serverTimestamp ?? current.serverTimestamp };
  }

  /** A failed outgoing message goes back to pending, to be sent again. */
  resendFailed(messageId: string): LocalMessage | undefined {
    const current = this.message(messageId);
    if (current?.direction !== 'out' || current.status !== 'failed') return undefined;
    this.db.transaction(() => {
      this.sql("UPDATE messages SET status = 'pending' WHERE id = ?").run(messageId);
      this.enqueue('message', current.peerUserId, messageId, {});
    })();
    return { ...current, status: 'pending' };
  }

  setAttachment(messageId: string, attachment: AttachmentPointer): void {
    this.sql('UPDATE messages SET attachment = ? WHERE id = ?').run(JSON.stringify(attachment), messageId);
  }

  setAttachmentReady(messageId: string): void {
    this.sql('UPDATE messages SET attachment_ready = 1 WHERE id = ?').run(messageId);
  }

  /** Marks incoming messages read: all of a conversation, or only the given ids. Returns the ids newly read. */
  markRead(peerUserId: string, onlyIds?: string[]): string[] {
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      const unread = (
        this.sql("SELECT id FROM messages WHERE peer_user_id = ? AND direction = 'in' AND read_at IS NULL").all(
          peerUserId,
        ) as { id: string }[]
      )
        .map((r) => r.id)
        .filter((id) => !onlyIds || onlyIds.includes(id));
      const update = this.sql('UPDATE messages SET read_at = ? WHERE id = ?');
      for (const id of unread) update.run(now, id);
      this.sql(
        `UPDATE conversations SET unread_count = (SELECT count(*) FROM messages
             WHERE peer_user_id = ? AND direction = 'in' AND read_at IS NULL) WHERE peer_user_id = ?`,
      ).run(peerUserId, peerUserId);
      return unread;
    })();
  }

  unreadCount(peerUserId: string): number {
    return (
      (
        this.sql('SELECT unread_count FROM conversations WHERE peer_user_id = ?').get(peerUserId) as
          | { unread_count: number }
          | undefined
      )?.unread_count ?? 0
    );
  }

  conversations(): ConversationSummary[] {
    const rows = this.sql(
      `SELECT c.peer_user_id, c.unread_count, c.updated_at, u.username, u.display_name, m.*
         FROM conversations c
         LEFT JOIN users u ON u.id = c.peer_user_id
         LEFT JOIN messages m ON m.id = c.last_message_id
         ORDER BY c.updated_at DESC`,
    ).all() as (MessageRow & {
      unread_count: number;
      updated_at: number;
      username: string | null;
      display_name: string | null;
    })[];
    return rows.map((r) => ({
      peer: { id: r.peer_user_id, username: r.username ?? '', displayName: r.display_name ?? r.username ?? '' },
      lastMessage: r.id ? toMessage(r) : null,
      unreadCount: r.unread_count,
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

  /** A page of a conversation, newest `limit` before the cursor, returned oldest first. */
  history(peerUserId: string, before: string | undefined, limit: number): HistoryPage {
    const [sortTs, seq] = before ? before.split(':').map(Number) : [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    const rows = this.sql(
      `SELECT * FROM messages WHERE peer_user_id = ? AND (sort_ts, seq) < (?, ?)
         ORDER BY sort_ts DESC, seq DESC LIMIT ?`,
    ).all(peerUserId, sortTs, seq, limit + 1) as MessageRow[];
    const page = rows.slice(0, limit).reverse();
    const oldest = page[0];
    return {
      messages: page.map(toMessage),
      before: rows.length > limit && oldest ? `${oldest.sort_ts}:${oldest.seq}` : null,
    };
  }

  search(query: string, limit: number): SearchHit[] {
    const match = ftsQuery(query);
    if (!match) return [];
    const rows = this.sql(
      // Newest first by local arrival (the FTS rowid), which FTS5 streams without sorting every match.
      `SELECT m.*, snippet(messages_fts, 0, '[', ']', '…', 12) AS snippet
         FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
         WHERE messages_fts MATCH ? ORDER BY messages_fts.rowid DESC LIMIT ?`,
    ).all(match, limit) as (MessageRow & { snippet: string })[];
    return rows.map((r) => ({ message: toMessage(r), snippet: r.snippet }));
  }

  // Outbox ------------------------------------------------------------------------------------

  enqueue(kind: OutboxJob['kind'], peerUserId: string, messageId: string | null, payload: unknown): void {
    this.sql(
      'INSERT INTO outbox (kind, peer_user_id, message_id, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
    ).run(kind, peerUserId, messageId, JSON.stringify(payload), Date.now());
  }

  /** Jobs due now, oldest first. */
  dueJobs(now: number): OutboxJob[] {
    return (this.sql('SELECT * FROM outbox WHERE next_attempt_at <= ? ORDER BY id').all(now) as OutboxRow[]).map(toJob);
  }

  nextJobAt(): number | null {
    return (this.sql('SELECT min(next_attempt_at) AS at FROM outbox').get() as { at: number | null }).at;
  }

  /** The outbox job sending a message, if it has one. */
  jobOf(messageId: string): OutboxJob | undefined {
    const row = this.sql('SELECT * FROM outbox WHERE message_id = ?').get(messageId) as OutboxRow | undefined;
    return row && toJob(row);
  }

  /** When a job is next due, and (if given) its new payload. */
  scheduleJob(id: number, nextAttemptAt: number, payload?: unknown): void {
    if (payload === undefined) {
      this.sql('UPDATE outbox SET next_attempt_at = ? WHERE id = ?').run(nextAttemptAt, id);
    } else {
      this.sql('UPDATE outbox SET next_attempt_at = ?, payload = ? WHERE id = ?').run(
        nextAttemptAt,
        JSON.stringify(payload),
        id,
      );
    }
  }

  /** Makes a message's waiting job due now; false when it has none. */
  expediteMessage(messageId: string): boolean {
    return (
      this.sql('UPDATE outbox SET next_attempt_at = ? WHERE message_id = ?').run(Date.now(), messageId).changes > 0
    );
  }

  completeJob(id: number): void {
    this.sql('DELETE FROM outbox WHERE id = ?').run(id);
  }

  retryJob(id: number, attempts: number, nextAttemptAt: number, error: string): void {
    this.sql('UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?').run(
      attempts,
      nextAttemptAt,
      error,
      id,
    );
  }

  /** Makes every waiting job due now (e.g. when the connection comes back). */
  expediteJobs(): void {
    this.sql('UPDATE outbox SET next_attempt_at = min(next_attempt_at, ?)').run(Date.now());
  }
}
