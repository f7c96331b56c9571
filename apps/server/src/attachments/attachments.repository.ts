import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** How long files live: past retention, or announced and never uploaded (both in seconds). */
export interface Expiry {
  retentionSeconds: number;
  unfinishedSeconds: number;
}

/** An attachment the sweep deletes: past retention ($R seconds), or announced and never uploaded ($U seconds). */
const expired = (retention: string, unfinished: string) =>
  `(created_at < now() - make_interval(secs => ${retention})
    OR (uploaded_at IS NULL AND created_at < now() - make_interval(secs => ${unfinished})))`;

/** Whether the user `$n` may fetch attachment `a`: its uploader, its recipient, or shared with. */
const mayFetch = (user: string) =>
  `(${user} IN (a.owner_user_id, a.recipient_user_id)
    OR EXISTS (SELECT 1 FROM attachment_shares s WHERE s.attachment_id = a.id AND s.user_id = ${user}))`;

/** The `attachments` and `attachment_shares` tables. */
@Injectable()
export class AttachmentsRepository {
  constructor(private readonly db: DataSource) {}

  /** Serialises a user's announcements until `tx` ends, so concurrent ones cannot both slip under the quota. */
  async lockOwner(tx: EntityManager, userId: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`attachments:${userId}`]);
  }

  /** Bytes of a user's files on the server, uploaded or only announced, until the sweep deletes them. */
  async usedBytes(tx: EntityManager, userId: string, expiry: Expiry): Promise<number> {
    const [{ used }] = await tx.query<[{ used: string }]>(
      `SELECT COALESCE(sum(size), 0) AS used FROM attachments WHERE owner_user_id = $1 AND NOT ${expired('$2', '$3')}`,
      [userId, expiry.retentionSeconds, expiry.unfinishedSeconds],
    );
    return Number(used);
  }

  /** Announces a file; false when the recipient does not exist. */
  async insert(
    tx: EntityManager,
    row: { id: string; ownerUserId: string; recipientUserId: string; size: number },
  ): Promise<boolean> {
    const inserted = await tx.query<{ id: string }[]>(
      `INSERT INTO attachments (id, owner_user_id, recipient_user_id, size)
       SELECT $1, $2, id, $4 FROM users WHERE id = $3
       RETURNING id`,
      [row.id, row.ownerUserId, row.recipientUserId, row.size],
    );
    return inserted.length > 0;
  }

  /** The uploader's view of a file: its announced size and whether it is uploaded. */
  async forUpload(id: string, ownerUserId: string): Promise<{ size: number; uploaded: boolean } | undefined> {
    const [row] = await this.db.query<{ size: string; uploaded: boolean }[]>(
      'SELECT size, uploaded_at IS NOT NULL AS uploaded FROM attachments WHERE id = $1 AND owner_user_id = $2',
      [id, ownerUserId],
    );
    return row && { size: Number(row.size), uploaded: row.uploaded };
  }

  async markUploaded(id: string): Promise<void> {
    await this.db.query('UPDATE attachments SET uploaded_at = now() WHERE id = $1', [id]);
  }

  /** The size of an uploaded file, for its uploader, its recipient and those it was shared with only. */
  async downloadableSize(id: string, userId: string): Promise<number | undefined> {
    const [row] = await this.db.query<{ size: string }[]>(
      `SELECT size FROM attachments a WHERE id = $1 AND uploaded_at IS NOT NULL AND ${mayFetch('$2')}`,
      [id, userId],
    );
    return row && Number(row.size);
  }

  /**
   * Shares an uploaded file that `userId` may fetch with `recipientUserId` (idempotent), while it
   * has fewer than `limit` shares; the file's row is locked, so concurrent shares cannot pass it.
   */
  async share(
    tx: EntityManager,
    id: string,
    userId: string,
    recipientUserId: string,
    limit: number,
  ): Promise<'shared' | 'no file' | 'no user' | 'full'> {
    const [file] = await tx.query<{ shares: string; has: boolean }[]>(
      `SELECT (SELECT count(*) FROM attachment_shares s WHERE s.attachment_id = a.id) AS shares, ${mayFetch('$3')} AS has
       FROM attachments a WHERE id = $1 AND uploaded_at IS NOT NULL AND ${mayFetch('$2')} FOR UPDATE`,
      [id, userId, recipientUserId],
    );
    if (!file) return 'no file';
    if (file.has) return 'shared';
    if (Number(file.shares) >= limit) return 'full';
    const inserted = await tx.query<unknown[]>(
      'INSERT INTO attachment_shares (attachment_id, user_id) SELECT $1, id FROM users WHERE id = $2 RETURNING user_id',
      [id, recipientUserId],
    );
    return inserted.length > 0 ? 'shared' : 'no user';
  }

  /** Deletes up to `limit` expired rows no other sweep holds (SKIP LOCKED); their ids. */
  async deleteExpired(tx: EntityManager, expiry: Expiry, limit: number): Promise<string[]> {
    // A SELECT around the DELETE, so that the driver answers rows (not rows and a count).
    const gone = await tx.query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM attachments WHERE id IN (
           SELECT id FROM attachments WHERE ${expired('$1', '$2')}
           LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING id)
       SELECT id FROM gone`,
      [expiry.retentionSeconds, expiry.unfinishedSeconds, limit],
    );
    return gone.map((r) => r.id);
  }
}
