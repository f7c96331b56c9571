import {
  type AttachmentPointer,
  type ConversationSummary,
  type HistoryPage,
  type LocalMessage,
  type MessageStatus,
  type MessageVersion,
  type Quote,
  type Reaction,
  type SearchHit,
  STATUS_ORDER,
} from '@parley/shared';
import type { Db } from './database.js';
import { prepare } from './statements.js';

const SUMMARY = `SELECT c.peer_user_id, c.unread_count, c.updated_at, u.username, u.display_name, m.*
                   FROM conversations c
                   LEFT JOIN users u ON u.id = c.peer_user_id
                   LEFT JOIN messages m ON m.id = c.last_message_id`;

const SQL = {
  has: 'SELECT 1 FROM messages WHERE id = ?',
  get: 'SELECT * FROM messages WHERE id = ?',
  insert: `INSERT INTO messages (id, peer_user_id, sender_user_id, direction, text, status, sent_at, server_ts, sort_ts, read_at, attachment, attachment_ready, call, quote, forwarded)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  touchConversation: `INSERT INTO conversations (peer_user_id, last_message_id, unread_count, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (peer_user_id) DO UPDATE SET
               last_message_id = CASE WHEN excluded.updated_at >= updated_at THEN excluded.last_message_id ELSE last_message_id END,
               unread_count = unread_count + excluded.unread_count,
               updated_at = max(updated_at, excluded.updated_at)`,
  setStatusAt: 'UPDATE messages SET status = ?, server_ts = ?, sort_ts = ? WHERE id = ?',
  setStatus: 'UPDATE messages SET status = ? WHERE id = ?',
  setAttachment: 'UPDATE messages SET attachment = ? WHERE id = ?',
  setAttachmentReady: 'UPDATE messages SET attachment_ready = 1 WHERE id = ?',
  unread: "SELECT id FROM messages WHERE peer_user_id = ? AND direction = 'in' AND read_at IS NULL",
  // Edits: every text a message has had, the original under the message's own id; the newest is current.
  keepOriginal: `INSERT INTO message_versions (id, message_id, text, at)
                   SELECT id, id, text, coalesce(server_ts, sent_at) FROM messages WHERE id = ? ON CONFLICT DO NOTHING`,
  addVersion: 'INSERT INTO message_versions (id, message_id, text, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  applyVersions: `UPDATE messages SET
                    (text, edited_at) = (SELECT text, at FROM message_versions WHERE message_id = @id ORDER BY at DESC, id DESC LIMIT 1),
                    edit_count = (SELECT count(*) - 1 FROM message_versions WHERE message_id = @id)
                  WHERE id = @id`,
  versions: 'SELECT text, at FROM message_versions WHERE message_id = ? ORDER BY at, id',
  dropVersions: 'DELETE FROM message_versions WHERE message_id = ?',
  // Deleting: the row stays (a tombstone for everyone, an id only for me), its content goes.
  wipe: `UPDATE messages SET deleted = @how, text = '', attachment = NULL, attachment_ready = 0, quote = NULL,
           edited_at = NULL, edit_count = 0, read_at = CASE WHEN @how = 'me' THEN coalesce(read_at, @now) ELSE read_at END
         WHERE id = @id`,
  attachmentUsers: "SELECT count(*) AS n FROM messages WHERE json_extract(attachment, '$.id') = ?",
  lastShown: `UPDATE conversations SET last_message_id = (SELECT id FROM messages WHERE peer_user_id = @peer
                AND deleted IS NOT 'me' ORDER BY sort_ts DESC, seq DESC LIMIT 1) WHERE peer_user_id = @peer`,
  react: `INSERT INTO reactions (message_id, user_id, emoji, at) VALUES (?, ?, ?, ?)
            ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji, at = excluded.at
            WHERE excluded.at >= reactions.at`,
  reactionsOf: `SELECT message_id, user_id, emoji FROM reactions
                  WHERE message_id IN (SELECT value FROM json_each(?)) AND emoji IS NOT NULL ORDER BY at, user_id`,
  dropReactions: 'DELETE FROM reactions WHERE message_id = ?',
  setRead: 'UPDATE messages SET read_at = ? WHERE id = ?',
  countUnread: `UPDATE conversations SET unread_count = (SELECT count(*) FROM messages
                  WHERE peer_user_id = ? AND direction = 'in' AND read_at IS NULL) WHERE peer_user_id = ?`,
  unreadCount: 'SELECT unread_count FROM conversations WHERE peer_user_id = ?',
  unreadTotal: 'SELECT coalesce(sum(unread_count), 0) AS total FROM conversations',
  conversations: `${SUMMARY} ORDER BY c.updated_at DESC`,
  conversation: `${SUMMARY} WHERE c.peer_user_id = ?`,
  history: `SELECT * FROM messages WHERE peer_user_id = ? AND (sort_ts, seq) < (?, ?) AND deleted IS NOT 'me'
              ORDER BY sort_ts DESC, seq DESC LIMIT ?`,
  // Newest first by local arrival (the FTS rowid), which FTS5 streams without sorting every match.
  search: `SELECT m.*, snippet(messages_fts, 0, '[', ']', '…', 12) AS snippet
             FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
             WHERE messages_fts MATCH ? ORDER BY messages_fts.rowid DESC LIMIT ?`,
};

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
  quote: string | null;
  forwarded: number;
  edited_at: string | null;
  edit_count: number;
  deleted: 'everyone' | 'me' | null;
}

type SummaryRow = MessageRow & {
  unread_count: number;
  updated_at: number;
  username: string | null;
  display_name: string | null;
};

const toMessage = (r: MessageRow, reactions: Reaction[] = []): LocalMessage => ({
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
  quote: r.quote === null ? null : (JSON.parse(r.quote) as Quote),
  forwarded: r.forwarded === 1,
  editedAt: r.edited_at,
  editCount: r.edit_count,
  deleted: r.deleted === 'everyone',
  reactions,
});

const toSummary = (r: SummaryRow, reactions: Reaction[] = []): ConversationSummary => ({
  peer: { id: r.peer_user_id, username: r.username ?? '', displayName: r.display_name ?? r.username ?? '' },
  lastMessage: r.id ? toMessage(r, reactions) : null,
  unreadCount: r.unread_count,
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** Turns what a person types into an FTS5 query: every word must match, each as a prefix. */
export function ftsQuery(input: string): string | null {
  const words = input.normalize('NFC').match(/[\p{L}\p{N}]+/gu);
  if (!words?.length) return null;
  return words.map((w) => `"${w}"*`).join(' ');
}

/**
 * `messages` with what derives from them: `conversations` (last message, unread count, order)
 * and the full-text index `messages_fts` (kept by triggers).
 */
export class MessagesRepository {
  private readonly sql;

  constructor(private readonly db: Db) {
    this.sql = prepare(db, SQL);
  }

  has(id: string): boolean {
    return !!this.sql.has.get(id);
  }

  /** A message as shown; a message deleted for me is no longer one. */
  get(id: string): LocalMessage | undefined {
    const row = this.sql.get.get(id) as MessageRow | undefined;
    return row && row.deleted !== 'me' ? this.withReactions([row])[0] : undefined;
  }

  /** Who wrote a stored message and whether it is still shown (also for one deleted for me). */
  author(id: string): { senderUserId: string; peerUserId: string; shown: boolean } | undefined {
    const row = this.sql.get.get(id) as MessageRow | undefined;
    return row && { senderUserId: row.sender_user_id, peerUserId: row.peer_user_id, shown: row.deleted !== 'me' };
  }

  /** Rows as messages, with their reactions (one query for them all). */
  private withReactions(rows: MessageRow[]): LocalMessage[] {
    const byMessage = this.reactionsOf(rows.map((r) => r.id));
    return rows.map((r) => toMessage(r, byMessage.get(r.id)));
  }

  private reactionsOf(ids: (string | null)[]): Map<string, Reaction[]> {
    const byMessage = new Map<string, Reaction[]>();
    const present = ids.filter((id): id is string => id !== null);
    if (present.length === 0) return byMessage;
    const rows = this.sql.reactionsOf.all(JSON.stringify(present)) as {
      message_id: string;
      user_id: string;
      emoji: string;
    }[];
    for (const r of rows) {
      const list = byMessage.get(r.message_id) ?? [];
      list.push({ userId: r.user_id, emoji: r.emoji });
      byMessage.set(r.message_id, list);
    }
    return byMessage;
  }

  /** Stores a message (idempotent by id) and brings its conversation up to date. Returns false if it was known. */
  insert(m: LocalMessage, sortTs: number): boolean {
    const inserted = this.sql.insert.run(
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
      m.quote && JSON.stringify(m.quote),
      Number(m.forwarded),
    );
    if (inserted.changes === 0) return false;
    this.sql.touchConversation.run(m.peerUserId, m.id, m.direction === 'in' && !m.readAt ? 1 : 0, sortTs);
    return true;
  }

  /** Moves an outgoing message forward (never back) in pending → sent → delivered → read. */
  advanceStatus(messageId: string, status: MessageStatus, serverTimestamp?: string): LocalMessage | undefined {
    const current = this.get(messageId);
    if (current?.direction !== 'out') return undefined;
    if (status !== 'failed' && STATUS_ORDER[status] <= STATUS_ORDER[current.status]) return undefined;
    if (serverTimestamp) this.sql.setStatusAt.run(status, serverTimestamp, Date.parse(serverTimestamp), messageId);
    else this.sql.setStatus.run(status, messageId);
    return { ...current, status, serverTimestamp: serverTimestamp ?? current.serverTimestamp };
  }

  /** A failed outgoing message goes back to pending; undefined when it is not a failed one of mine. */
  resendFailed(messageId: string): LocalMessage | undefined {
    const current = this.get(messageId);
    if (current?.direction !== 'out' || current.status !== 'failed') return undefined;
    this.sql.setStatus.run('pending', messageId);
    return { ...current, status: 'pending' };
  }

  setAttachment(messageId: string, attachment: AttachmentPointer): void {
    this.sql.setAttachment.run(JSON.stringify(attachment), messageId);
  }

  setAttachmentReady(messageId: string): void {
    this.sql.setAttachmentReady.run(messageId);
  }

  /** Marks incoming messages read: all of a conversation, or only the given ids. Returns the ids newly read. */
  markRead(peerUserId: string, onlyIds?: string[]): string[] {
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      const unread = (this.sql.unread.all(peerUserId) as { id: string }[])
        .map((r) => r.id)
        .filter((id) => !onlyIds || onlyIds.includes(id));
      for (const id of unread) this.sql.setRead.run(now, id);
      this.sql.countUnread.run(peerUserId, peerUserId);
      return unread;
    })();
  }

  unreadCount(peerUserId: string): number {
    return (this.sql.unreadCount.get(peerUserId) as { unread_count: number } | undefined)?.unread_count ?? 0;
  }

  /** Unread messages over all conversations (the app's badge). */
  unreadTotal(): number {
    return (this.sql.unreadTotal.get() as { total: number }).total;
  }

  conversations(): ConversationSummary[] {
    const rows = this.sql.conversations.all() as SummaryRow[];
    const reactions = this.reactionsOf(rows.map((r) => r.id));
    return rows.map((r) => toSummary(r, reactions.get(r.id)));
  }

  conversation(peerUserId: string): ConversationSummary | undefined {
    const row = this.sql.conversation.get(peerUserId) as SummaryRow | undefined;
    return row && toSummary(row, this.reactionsOf([row.id]).get(row.id));
  }

  /** A page of a conversation, newest `limit` before the cursor, returned oldest first. */
  history(peerUserId: string, before: string | undefined, limit: number): HistoryPage {
    const [sortTs, seq] = before ? before.split(':').map(Number) : [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    const rows = this.sql.history.all(peerUserId, sortTs, seq, limit + 1) as MessageRow[];
    const page = rows.slice(0, limit).reverse();
    const oldest = page[0];
    return {
      messages: this.withReactions(page),
      before: rows.length > limit && oldest ? `${oldest.sort_ts}:${oldest.seq}` : null,
    };
  }

  search(query: string, limit: number): SearchHit[] {
    const match = ftsQuery(query);
    if (!match) return [];
    const rows = this.sql.search.all(match, limit) as (MessageRow & { snippet: string })[];
    const messages = this.withReactions(rows);
    return rows.map((r, i) => ({ message: messages[i] as LocalMessage, snippet: r.snippet }));
  }

  /**
   * Adds a version of a message's text (`versionId`: the edit's id, so a repeated edit adds
   * nothing); the newest version by `at` is the text shown. Returns the message as now stored.
   */
  addVersion(messageId: string, versionId: string, text: string, at: string): LocalMessage | undefined {
    this.sql.keepOriginal.run(messageId);
    this.sql.addVersion.run(versionId, messageId, text, at);
    this.sql.applyVersions.run({ id: messageId });
    return this.get(messageId);
  }

  /** The earlier texts of an edited message, oldest first (not the current one). */
  versions(messageId: string): MessageVersion[] {
    return (this.sql.versions.all(messageId) as MessageVersion[]).slice(0, -1);
  }

  /**
   * Deletes a message's content, its earlier texts and its reactions: for everyone it stays as a
   * tombstone, for me only its id stays (read, and out of the history and the conversation's
   * last message). Returns its attachment, whose local copy may have to go too.
   */
  wipe(messageId: string, how: 'everyone' | 'me'): AttachmentPointer | null {
    const row = this.sql.get.get(messageId) as MessageRow | undefined;
    if (!row) return null;
    this.sql.wipe.run({ id: messageId, how, now: new Date().toISOString() });
    this.sql.dropVersions.run(messageId);
    this.sql.dropReactions.run(messageId);
    this.sql.lastShown.run({ peer: row.peer_user_id });
    this.sql.countUnread.run(row.peer_user_id, row.peer_user_id);
    return row.attachment === null ? null : (JSON.parse(row.attachment) as AttachmentPointer);
  }

  /** Whether any message still points at this attachment (a forwarded copy shares the file). */
  attachmentInUse(attachmentId: string): boolean {
    return (this.sql.attachmentUsers.get(attachmentId) as { n: number }).n > 0;
  }

  /** Records a person's reaction (null: removed) unless a later one of theirs is already there. */
  react(messageId: string, userId: string, emoji: string | null, at: string): void {
    this.sql.react.run(messageId, userId, emoji, at);
  }
}
