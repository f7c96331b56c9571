import {
  type AttachmentPointer,
  type ConversationSummary,
  type HistoryPage,
  type LocalMessage,
  type MessageStatus,
  type SearchHit,
  STATUS_ORDER,
  searchFold,
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
  insert: `INSERT INTO messages (id, peer_user_id, sender_user_id, direction, text, status, sent_at, server_ts, sort_ts, read_at, attachment, attachment_ready, call, preview, long_text, text_incomplete)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  touchConversation: `INSERT INTO conversations (peer_user_id, last_message_id, unread_count, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (peer_user_id) DO UPDATE SET
               last_message_id = CASE WHEN excluded.updated_at >= updated_at THEN excluded.last_message_id ELSE last_message_id END,
               unread_count = unread_count + excluded.unread_count,
               updated_at = max(updated_at, excluded.updated_at)`,
  setStatusAt: 'UPDATE messages SET status = ?, server_ts = ?, sort_ts = ? WHERE id = ?',
  setStatus: 'UPDATE messages SET status = ? WHERE id = ?',
  setAttachment: 'UPDATE messages SET attachment = ? WHERE id = ?',
  setAttachmentReady: 'UPDATE messages SET attachment_ready = 1 WHERE id = ?',
  longText: 'SELECT long_text FROM messages WHERE id = ?',
  setLongText: 'UPDATE messages SET long_text = ? WHERE id = ?',
  incompleteTexts: "SELECT id FROM messages WHERE text_incomplete = 'loading'",
  completeText: 'UPDATE messages SET text = ?, text_incomplete = NULL, long_text = NULL WHERE id = ?',
  textUnavailable: "UPDATE messages SET text_incomplete = 'unavailable', long_text = NULL WHERE id = ?",
  unread: "SELECT id FROM messages WHERE peer_user_id = ? AND direction = 'in' AND read_at IS NULL",
  setRead: 'UPDATE messages SET read_at = ? WHERE id = ?',
  countUnread: `UPDATE conversations SET unread_count = (SELECT count(*) FROM messages
                  WHERE peer_user_id = ? AND direction = 'in' AND read_at IS NULL) WHERE peer_user_id = ?`,
  unreadCount: 'SELECT unread_count FROM conversations WHERE peer_user_id = ?',
  unreadTotal: 'SELECT coalesce(sum(unread_count), 0) AS total FROM conversations',
  conversations: `${SUMMARY} ORDER BY c.updated_at DESC`,
  conversation: `${SUMMARY} WHERE c.peer_user_id = ?`,
  history: `SELECT * FROM messages WHERE peer_user_id = ? AND (sort_ts, seq) < (?, ?)
              ORDER BY sort_ts DESC, seq DESC LIMIT ?`,
  // Newest first by local arrival (the FTS rowid), which FTS5 streams without sorting every match.
  search: `SELECT m.* FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
             WHERE messages_fts MATCH ? ORDER BY messages_fts.rowid DESC LIMIT ?`,
  searchConversation: `SELECT m.* FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
             WHERE messages_fts MATCH ? AND m.peer_user_id = ? ORDER BY messages_fts.rowid DESC LIMIT ?`,
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
  preview: string | null;
  text_incomplete: 'loading' | 'unavailable' | null;
}

type SummaryRow = MessageRow & {
  unread_count: number;
  updated_at: number;
  username: string | null;
  display_name: string | null;
};

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
  ...(r.preview === null ? {} : { preview: JSON.parse(r.preview) }),
  ...(r.text_incomplete === null ? {} : { textIncomplete: r.text_incomplete }),
});

const toSummary = (r: SummaryRow): ConversationSummary => ({
  peer: { id: r.peer_user_id, username: r.username ?? '', displayName: r.display_name ?? r.username ?? '' },
  lastMessage: r.id ? toMessage(r) : null,
  unreadCount: r.unread_count,
  updatedAt: new Date(r.updated_at).toISOString(),
});

const WORD = /[\p{L}\p{N}]+/gu;
const searchWords = (input: string) => searchFold(input).match(WORD) ?? [];

/**
 * Turns what a person types into an FTS5 query: every word must match, each as a prefix, folded
 * as the index is (ё = е, diacritics ignored).
 */
export function ftsQuery(input: string): string | null {
  const words = searchWords(input);
  if (!words.length) return null;
  return words.map((w) => `"${w}"*`).join(' ');
}

/** Words shown around the first match. */
const SNIPPET_WORDS = 12;

/**
 * The part of a text around what matched, with each matching word wrapped in `[` `]`. Made here,
 * not by FTS5, because the index holds folded text: a query "елка" must mark "ёлка" as written.
 */
export function searchSnippet(text: string, query: string): string {
  const wanted = searchWords(query);
  const words = [...text.matchAll(WORD)];
  const matches = (word: string) => {
    const folded = searchFold(word);
    return wanted.some((w) => folded.startsWith(w));
  };
  const first = Math.max(
    0,
    words.findIndex((w) => matches(w[0])),
  );
  const from = Math.max(0, first - 3);
  const to = Math.min(words.length, from + SNIPPET_WORDS);
  const start = from === 0 ? 0 : (words[from]?.index ?? 0);
  const last = words[to - 1];
  const end = to === words.length || !last ? text.length : last.index + last[0].length;
  let out = from > 0 ? '…' : '';
  let at = start;
  for (const word of words.slice(from, to)) {
    out += text.slice(at, word.index);
    out += matches(word[0]) ? `[${word[0]}]` : word[0];
    at = word.index + word[0].length;
  }
  out += text.slice(at, end);
  return end < text.length ? `${out}…` : out;
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

  get(id: string): LocalMessage | undefined {
    const row = this.sql.get.get(id) as MessageRow | undefined;
    return row && toMessage(row);
  }

  /**
   * Stores a message (idempotent by id) and brings its conversation up to date. Returns false if
   * it was known. `longText`: the pointer to a long text's body (mine to upload, or theirs to fetch).
   */
  insert(m: LocalMessage, sortTs: number, longText?: AttachmentPointer): boolean {
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
      m.preview ? JSON.stringify(m.preview) : null,
      longText ? JSON.stringify(longText) : null,
      m.textIncomplete ?? null,
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

  /** The pointer to a long text's body, while there is one to upload or fetch. */
  longText(messageId: string): AttachmentPointer | undefined {
    const row = this.sql.longText.get(messageId) as { long_text: string | null } | undefined;
    return row?.long_text ? JSON.parse(row.long_text) : undefined;
  }

  setLongText(messageId: string, pointer: AttachmentPointer): void {
    this.sql.setLongText.run(JSON.stringify(pointer), messageId);
  }

  /** Received long texts whose body has not arrived yet. */
  incompleteTexts(): string[] {
    return (this.sql.incompleteTexts.all() as { id: string }[]).map((r) => r.id);
  }

  /** A long text's body has arrived: the message holds all of it (and search finds all of it). */
  completeText(messageId: string, text: string): LocalMessage | undefined {
    this.sql.completeText.run(text, messageId);
    return this.get(messageId);
  }

  /** A long text's body cannot be had any more: the message keeps its beginning, and says so. */
  textUnavailable(messageId: string): LocalMessage | undefined {
    this.sql.textUnavailable.run(messageId);
    return this.get(messageId);
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
    return (this.sql.conversations.all() as SummaryRow[]).map(toSummary);
  }

  conversation(peerUserId: string): ConversationSummary | undefined {
    const row = this.sql.conversation.get(peerUserId) as SummaryRow | undefined;
    return row && toSummary(row);
  }

  /** A page of a conversation, newest `limit` before the cursor, returned oldest first. */
  history(peerUserId: string, before: string | undefined, limit: number): HistoryPage {
    const [sortTs, seq] = before ? before.split(':').map(Number) : [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    const rows = this.sql.history.all(peerUserId, sortTs, seq, limit + 1) as MessageRow[];
    const page = rows.slice(0, limit).reverse();
    const oldest = page[0];
    return {
      messages: page.map(toMessage),
      before: rows.length > limit && oldest ? `${oldest.sort_ts}:${oldest.seq}` : null,
    };
  }

  /** Full-text search, newest first: over every conversation, or one. */
  search(query: string, limit: number, peerUserId?: string): SearchHit[] {
    const match = ftsQuery(query);
    if (!match) return [];
    const rows = (
      peerUserId ? this.sql.searchConversation.all(match, peerUserId, limit) : this.sql.search.all(match, limit)
    ) as MessageRow[];
    return rows.map((r) => ({ message: toMessage(r), snippet: searchSnippet(r.text, query) }));
  }
}
