import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A new invite code (100 random bits, in groups of five for reading out) and the hash that is stored. */
export function newInviteCode(): { code: string; hash: Buffer } {
  // 256 is a multiple of 32, so each byte's low five bits are uniform.
  const chars = [...randomBytes(20)].map((b) => BASE32[b & 31]).join('');
  return { code: (chars.match(/.{5}/g) as string[]).join('-'), hash: hashInviteCode(chars) };
}

/** The stored form of a code, as `InviteCode` normalises it (no separators, lowercase). */
export const hashInviteCode = (normalized: string): Buffer => createHash('sha256').update(normalized).digest();

export interface InviteRow {
  id: string;
  max_uses: number;
  uses: number;
  expires_at: Date | null;
  created_at: Date;
}

/** The `invites` table: codes for REGISTRATION=invite, kept hashed. */
@Injectable()
export class InvitesRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Takes one use of the code in the caller's transaction if it is known, not used up and not
   * expired. The row lock of the UPDATE serialises sign-ups racing for one code: the last use
   * goes to exactly one of them. Answers whether a use was taken.
   */
  async use(tx: EntityManager, codeHash: Buffer): Promise<boolean> {
    // A SELECT around the UPDATE, so that the driver answers rows (not rows and a count).
    const rows: unknown[] = await tx.query(
      `WITH used AS (
         UPDATE invites SET uses = uses + 1
         WHERE code_hash = $1 AND uses < max_uses AND (expires_at IS NULL OR expires_at > now())
         RETURNING id)
       SELECT id FROM used`,
      [codeHash],
    );
    return rows.length === 1;
  }

  async create(codeHash: Buffer, maxUses: number, expiresAt: Date | null): Promise<InviteRow> {
    const [row] = await this.db.query<InviteRow[]>(
      `INSERT INTO invites (code_hash, max_uses, expires_at) VALUES ($1, $2, $3)
       RETURNING id, max_uses, uses, expires_at, created_at`,
      [codeHash, maxUses, expiresAt],
    );
    return row as InviteRow;
  }

  /** Invites that can still be used, newest first. */
  usable(): Promise<InviteRow[]> {
    return this.db.query(
      `SELECT id, max_uses, uses, expires_at, created_at FROM invites
       WHERE uses < max_uses AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at DESC`,
    );
  }

  /** Deletes an invite; answers whether there was one. */
  async delete(id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      'WITH gone AS (DELETE FROM invites WHERE id = $1 RETURNING id) SELECT id FROM gone',
      [id],
    );
    return rows.length === 1;
  }
}
