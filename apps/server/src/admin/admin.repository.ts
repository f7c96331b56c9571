import type { EntityManager } from 'typeorm';

/**
 * Erasure of an account (GDPR): the statements that reach across tables. Everything else the
 * admin commands do goes through the tables' own repositories.
 */
export class AdminRepository {
  /** The ids of every attachment the user uploaded or was sent, locked until `tx` ends. */
  async lockAttachments(tx: EntityManager, userId: string): Promise<string[]> {
    const rows = await tx.query<{ id: string }[]>(
      'SELECT id FROM attachments WHERE $1 IN (owner_user_id, recipient_user_id) FOR UPDATE',
      [userId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Deletes the user and everything the server holds about them: queued envelopes to and from
   * them (receipts included), `sends` rows either way, contacts both ways, attachments' rows,
   * then the user (devices, prekeys and refresh tokens go with it by cascade).
   */
  async eraseUser(tx: EntityManager, userId: string): Promise<void> {
    await tx.query('DELETE FROM envelopes WHERE $1 IN (sender_user_id, destination_user_id)', [userId]);
    await tx.query('DELETE FROM sends WHERE $1 IN (sender_user_id, recipient_user_id)', [userId]);
    await tx.query('DELETE FROM contacts WHERE $1 IN (owner_id, contact_id)', [userId]);
    await tx.query('DELETE FROM attachments WHERE $1 IN (owner_user_id, recipient_user_id)', [userId]);
    await tx.query('DELETE FROM users WHERE id = $1', [userId]);
  }
}
