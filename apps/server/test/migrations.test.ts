import { createHash, randomUUID } from 'node:crypto';
import { searchFold } from '@parley/shared';
import { createTestDatabase, type TestDatabase } from '@parley/test-support/database';
import { call, login } from '@parley/test-support/http';
import { RELAXED_LIMITS, startServer } from '@parley/test-support/server';
import { connectClient, eventually } from '@parley/test-support/socket';
import argon2 from 'argon2';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../dist/database/data-source.js';
import { MIGRATIONS } from '../dist/database/migrations/index.js';

/**
 * Upgrades with data: the database is migrated one release at a time, and after each migration
 * rows that release's schema can hold are written, so every later migration runs on a database
 * full of an earlier release's data. Each migration has its seed (possibly nothing) and, where it
 * changes data, a check; at the end a real server starts on the result and serves the old data.
 */
const PASSWORD = 'a password from long ago';
const id = {
  alice: randomUUID(),
  bob: randomUUID(),
  alicePhone: randomUUID(),
  aliceOld: randomUUID(), // revoked before revocation cleaned up after itself
  bobLaptop: randomUUID(),
  message: randomUUID(),
  envelope: randomUUID(),
  attachment: randomUUID(),
};
const bytes = (s: string) => Buffer.from(s);
/** The refresh token a device of the old release holds (the database has only its hash). */
const refreshTokenOf = (deviceId: string) => `refresh-token-of-${deviceId}`;

type Step = (db: TestDatabase) => Promise<void>;
const SEEDS: Record<string, Step> = {
  Accounts1764000000000: async (db) => {
    const hash = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 19 * 1024,
      timeCost: 2,
      parallelism: 1,
    });
    for (const [userId, name] of [
      [id.alice, 'alice_old_release'],
      [id.bob, 'bob_old_release'],
    ] as const) {
      await db.query(
        'INSERT INTO users (id, username, display_name, display_name_key, password_hash) VALUES ($1, $2, $2, $2, $3)',
        [userId, name, hash],
      );
    }
    await db.query('INSERT INTO devices (id, user_id, name) VALUES ($1, $2, $3), ($4, $2, $5), ($6, $7, $8)', [
      id.alicePhone,
      id.alice,
      'phone',
      id.aliceOld,
      'old laptop',
      id.bobLaptop,
      id.bob,
      'laptop',
    ]);
    await db.query('UPDATE devices SET revoked_at = now() WHERE id = $1', [id.aliceOld]);
    for (const device of [id.alicePhone, id.aliceOld, id.bobLaptop]) {
      await db.query(
        "INSERT INTO refresh_tokens (device_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '30 days')",
        [device, createHash('sha256').update(refreshTokenOf(device)).digest()],
      );
    }
    await db.query('INSERT INTO contacts (owner_id, contact_id) VALUES ($1, $2), ($2, $1)', [id.alice, id.bob]);
  },
  Messaging1764100000000: async (db) => {
    for (const [device, registration] of [
      [id.alicePhone, 1],
      [id.aliceOld, 2],
      [id.bobLaptop, 3],
    ] as const) {
      await db.query(
        `UPDATE devices SET registration_id = $2, identity_key = $3, signed_prekey_id = 1, signed_prekey = $4,
           signed_prekey_signature = $5 WHERE id = $1`,
        [device, registration, bytes(`identity ${device}`), bytes('spk'), bytes('sig')],
      );
      await db.query('INSERT INTO one_time_prekeys (device_id, key_id, public_key) VALUES ($1, 1, $2), ($1, 2, $2)', [
        device,
        bytes('otpk'),
      ]);
    }
    await db.query(
      'INSERT INTO sends (sender_device_id, message_id, sender_user_id, recipient_user_id) VALUES ($1, $2, $3, $4)',
      [id.alicePhone, id.message, id.alice, id.bob],
    );
    // Queued for Bob's laptop (kept by every migration), and for Alice's revoked device (dropped by quotas).
    await db.query(
      `INSERT INTO envelopes (id, destination_device_id, destination_user_id, kind, message_id, sender_user_id, sender_device_id, type, content)
       VALUES ($1, $2, $3, 'message', $4, $5, $6, 'whisper', $7), (DEFAULT, $8, $5, 'message', $4, $5, $6, 'whisper', $7)`,
      [
        id.envelope,
        id.bobLaptop,
        id.bob,
        id.message,
        id.alice,
        id.alicePhone,
        bytes('ciphertext from long ago'),
        id.aliceOld,
      ],
    );
  },
  Attachments1764200000000: async (db) => {
    await db.query(
      'INSERT INTO attachments (id, owner_user_id, recipient_user_id, size, uploaded_at) VALUES ($1, $2, $3, 1234, now())',
      [id.attachment, id.alice, id.bob],
    );
  },
  SessionEnds1764300000000: async (db) => {
    await db.query("UPDATE devices SET revoked_by = 'user' WHERE id = $1", [id.aliceOld]);
  },
  Quotas1764310000000: async () => {},
  ReadOnce1764320000000: async () => {},
  RevokedToken1764330000000: async () => {},
  Operations1796230269084: async (db) => {
    await db.query('INSERT INTO invites (code_hash, max_uses) VALUES ($1, 2)', [bytes('hash')]);
    // A name the next release folds for search (its key was lower-cased only).
    await db.query("UPDATE users SET display_name = 'Бёб Café', display_name_key = 'бёб café' WHERE id = $1", [id.bob]);
  },
  SearchFold1796230550935: async () => {},
  AttachmentShares1796230742448: async (db) => {
    await db.query('INSERT INTO attachment_shares (attachment_id, user_id) VALUES ($1, $2)', [id.attachment, id.alice]);
  },
};

const CHECKS: Record<string, Step> = {
  SearchFold1796230550935: async (db) => {
    const rows = await db.query<{ display_name: string; display_name_key: string }>(
      'SELECT display_name, display_name_key FROM users ORDER BY username',
    );
    expect(rows.map((r) => r.display_name_key)).toEqual(rows.map((r) => searchFold(r.display_name)));
    expect(rows.map((r) => r.display_name_key)).toContain(searchFold('Беб Cafe'));
  },
  Quotas1764310000000: async (db) => {
    const left = await db.query<{ destination_device_id: string }>('SELECT destination_device_id FROM envelopes');
    expect(left.map((r) => r.destination_device_id)).toEqual([id.bobLaptop]);
    const keys = await db.query<{ device_id: string }>('SELECT DISTINCT device_id FROM one_time_prekeys ORDER BY 1');
    expect(keys.map((r) => r.device_id).sort()).toEqual([id.alicePhone, id.bobLaptop].sort());
    expect(await db.query('SELECT 1 FROM refresh_tokens WHERE device_id = $1', [id.aliceOld])).toEqual([]);
  },
  ReadOnce1764320000000: async (db) => {
    expect(await db.query('SELECT read_at FROM sends')).toEqual([{ read_at: null }]);
  },
  Operations1796230269084: async (db) => {
    expect(await db.query('SELECT username, disabled_at FROM users ORDER BY username')).toEqual([
      { username: 'alice_old_release', disabled_at: null },
      { username: 'bob_old_release', disabled_at: null },
    ]);
  },
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('migrations, release by release, with data', () => {
  it('every migration has a seed: a new one must say what data the previous release leaves it', () => {
    expect(MIGRATIONS.map((m) => m.name).sort()).toEqual(Object.keys(SEEDS).sort());
  });

  it('each migration runs on the previous release schema with its data, and keeps it', {
    timeout: 120_000,
  }, async () => {
    for (let n = 1; n <= MIGRATIONS.length; n++) {
      const migration = MIGRATIONS[n - 1] as (typeof MIGRATIONS)[number];
      const source = new DataSource({
        ...dataSourceOptions(db.url, 2),
        migrations: MIGRATIONS.slice(0, n),
        migrationsRun: false,
      });
      await source.initialize();
      try {
        const ran = await source.runMigrations({ transaction: 'each' });
        expect(ran.map((m) => m.name)).toEqual([migration.name]);
      } finally {
        await source.destroy();
      }
      await CHECKS[migration.name]?.(db);
      await SEEDS[migration.name]?.(db);
    }
    const counts = await db.query<{ t: string; n: string }>(
      `SELECT 'users' AS t, count(*) AS n FROM users UNION ALL SELECT 'devices', count(*) FROM devices
       UNION ALL SELECT 'contacts', count(*) FROM contacts UNION ALL SELECT 'sends', count(*) FROM sends
       UNION ALL SELECT 'attachments', count(*) FROM attachments`,
    );
    expect(Object.fromEntries(counts.map((r) => [r.t, Number(r.n)]))).toEqual({
      users: 2,
      devices: 3,
      contacts: 2,
      sends: 1,
      attachments: 1,
    });
  });

  it('the server of this release starts on the upgraded database and serves the old data', {
    timeout: 120_000,
  }, async () => {
    const server = await startServer({ DATABASE_URL: db.url, ...RELAXED_LIMITS });
    try {
      expect((await login(server.baseUrl, 'alice_old_release', PASSWORD)).status).toBe(200);
      const bob = await login(server.baseUrl, 'bob_old_release', PASSWORD);
      expect(bob.status).toBe(200);
      // Bob's laptop, signed in before the upgrade, refreshes its session and gets the envelope
      // that was queued for it then.
      const refreshed = await call(server.baseUrl, 'POST', '/auth/refresh', {
        body: { refreshToken: refreshTokenOf(id.bobLaptop) },
      });
      expect(refreshed.status).toBe(200);
      const laptop = await connectClient(server.baseUrl, refreshed.body.accessToken);
      await eventually(() => laptop.envelopes.length > 0, 10_000, 'the old envelope delivered');
      expect(laptop.envelopes.map((e) => [e.id, e.messageId])).toEqual([[id.envelope, id.message]]);
      expect(Buffer.from(laptop.envelopes[0]?.content ?? '', 'base64').toString()).toBe('ciphertext from long ago');
      laptop.close();
    } finally {
      await server.stop();
    }
  });
});
