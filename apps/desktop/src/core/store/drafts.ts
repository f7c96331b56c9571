import type { Db } from './database.js';
import { prepare } from './statements.js';

const SQL = {
  all: 'SELECT peer_user_id, text FROM drafts',
  save: `INSERT INTO drafts (peer_user_id, text, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (peer_user_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`,
  delete: 'DELETE FROM drafts WHERE peer_user_id = ?',
};

/** `drafts`: the unsent text of each conversation, in the encrypted store so it survives a restart. */
export class DraftsRepository {
  private readonly sql;

  constructor(db: Db) {
    this.sql = prepare(db, SQL);
  }

  /** Peer user id → text. */
  all(): Record<string, string> {
    const rows = this.sql.all.all() as { peer_user_id: string; text: string }[];
    return Object.fromEntries(rows.map((r) => [r.peer_user_id, r.text]));
  }

  /** Keeps a conversation's draft; an empty one removes it. */
  save(peerUserId: string, text: string): void {
    if (text) this.sql.save.run(peerUserId, text, Date.now());
    else this.sql.delete.run(peerUserId);
  }
}
