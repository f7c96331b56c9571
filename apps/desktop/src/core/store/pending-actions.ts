import type { Db } from './database.js';
import { prepare } from './statements.js';

/** An action (edit, delete, reaction) that arrived before the message it is about. */
export interface PendingAction {
  /** The action's own message id. */
  id: string;
  targetId: string;
  senderUserId: string;
  /** The decrypted content, as JSON: it is parsed again when applied. */
  content: string;
  serverTimestamp: string;
}

/** Held actions per sender at most: past it the oldest go, so no one can fill the disk with them. */
export const PENDING_PER_SENDER = 500;
/** A target that has not come in this long will not come (a message deleted for me is still known). */
export const PENDING_MAX_AGE_MS = 7 * 24 * 3_600_000;

const SQL = {
  insert: `INSERT INTO pending_actions (id, target_id, sender_user_id, content, server_ts, received_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  trimSender: `DELETE FROM pending_actions WHERE sender_user_id = @sender AND rowid NOT IN
                 (SELECT rowid FROM pending_actions WHERE sender_user_id = @sender ORDER BY received_at DESC, rowid DESC LIMIT @keep)`,
  expire: 'DELETE FROM pending_actions WHERE received_at < ?',
  forTarget: 'SELECT * FROM pending_actions WHERE target_id = ? ORDER BY server_ts, rowid',
  remove: 'DELETE FROM pending_actions WHERE id = ? AND target_id = ?',
  count: 'SELECT count(*) AS n FROM pending_actions WHERE sender_user_id = ?',
};

interface Row {
  id: string;
  target_id: string;
  sender_user_id: string;
  content: string;
  server_ts: string;
}

/** `pending_actions`: actions held in the encrypted store until their target arrives. */
export class PendingActionsRepository {
  private readonly sql;

  constructor(db: Db) {
    this.sql = prepare(db, SQL);
  }

  /** Holds an action (once per target it names), within the sender's bound; old ones expire. */
  hold(action: PendingAction, now = Date.now()): void {
    this.sql.expire.run(now - PENDING_MAX_AGE_MS);
    this.sql.insert.run(action.id, action.targetId, action.senderUserId, action.content, action.serverTimestamp, now);
    this.sql.trimSender.run({ sender: action.senderUserId, keep: PENDING_PER_SENDER });
  }

  /** The actions waiting for a message, in server order, taken out of the store. */
  take(targetId: string): PendingAction[] {
    const rows = this.sql.forTarget.all(targetId) as Row[];
    for (const r of rows) this.sql.remove.run(r.id, targetId);
    return rows.map((r) => ({
      id: r.id,
      targetId: r.target_id,
      senderUserId: r.sender_user_id,
      content: r.content,
      serverTimestamp: r.server_ts,
    }));
  }

  countFrom(senderUserId: string): number {
    return (this.sql.count.get(senderUserId) as { n: number }).n;
  }
}
