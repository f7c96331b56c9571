import { DisplayName, Password, Username } from '@parley/shared';
import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import type { BlobStore } from '../attachments/blob-store.js';
import { type InviteRow, InvitesRepository, newInviteCode } from '../auth/invites.repository.js';
import { hashPassword } from '../auth/passwords.js';
import { DevicesRepository } from '../devices/devices.repository.js';
import { notifySessionsEnded } from '../devices/session-notices.js';
import { type ServerStats, StatsRepository } from '../metrics/stats.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { AdminRepository } from './admin.repository.js';

/** A refusal the command reports in words (exit 1), never a stack trace. */
export class AdminError extends Error {
  override name = 'AdminError';
}

export interface AdminDevice {
  id: string;
  name: string;
  createdAt: string;
  lastSeenAt: string;
}

/** Checks an input against a shared field schema, naming the field when it fails. */
function field<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AdminError(`${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/**
 * What the server's admin can do, straight on the database (the server need not be running).
 * Whatever ends sessions revokes the devices in the database and notifies every running instance
 * (`notifySessionsEnded`), which ends their sockets at once. Sessions ended here count as ended
 * by the server: the devices keep their encrypted history for the next sign-in.
 */
export class Admin {
  private readonly users: UsersRepository;
  private readonly devices: DevicesRepository;
  private readonly invites: InvitesRepository;
  private readonly stats: StatsRepository;
  private readonly erasure = new AdminRepository();

  constructor(
    private readonly db: DataSource,
    private readonly blobs: BlobStore,
  ) {
    this.users = new UsersRepository(db);
    this.devices = new DevicesRepository(db);
    this.invites = new InvitesRepository(db);
    this.stats = new StatsRepository(db);
  }

  async createUser(input: {
    username: string;
    displayName?: string;
    password: string;
  }): Promise<{ id: string; username: string }> {
    const username = field(Username, 'username', input.username);
    const displayName = field(DisplayName, 'display name', input.displayName ?? input.username);
    const password = field(Password, 'password', input.password);
    const taken = new AdminError(`username: "${username}" is taken`);
    if (await this.users.findByUsername(username)) throw taken;
    const passwordHash = await hashPassword(password);
    try {
      const user = await this.db.transaction((tx) => this.users.create(tx, { username, displayName, passwordHash }));
      return { id: user.id, username: user.username };
    } catch (error) {
      // Taken meanwhile (a sign-up between the check and the insert).
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') throw taken;
      throw error;
    }
  }

  /** Sets a new password and signs every device out (the old password may be what leaked). */
  async resetPassword(username: string, password: string): Promise<{ revokedDevices: number }> {
    const user = await this.user(username);
    const passwordHash = await hashPassword(field(Password, 'password', password));
    return this.db.transaction(async (tx) => {
      await this.users.setPasswordHash(tx, user.id, passwordHash);
      return { revokedDevices: await this.revokeAll(tx, user.id) };
    });
  }

  /** Disabling signs every device out and refuses sign-ins (ACCOUNT_DISABLED) until enabled. */
  async setDisabled(username: string, disabled: boolean): Promise<{ revokedDevices: number }> {
    const user = await this.user(username);
    return this.db.transaction(async (tx) => {
      await this.users.setDisabled(tx, user.id, disabled ? new Date() : null);
      return { revokedDevices: disabled ? await this.revokeAll(tx, user.id) : 0 };
    });
  }

  async listDevices(username: string): Promise<AdminDevice[]> {
    const user = await this.user(username);
    return (await this.devices.active(user.id)).map((d) => ({
      id: d.id,
      name: d.name,
      createdAt: d.createdAt.toISOString(),
      lastSeenAt: d.lastSeenAt.toISOString(),
    }));
  }

  async revokeDevice(username: string, deviceId: string): Promise<void> {
    const user = await this.user(username);
    await this.db.transaction(async (tx) => {
      const device = await this.devices.findOfUser(user.id, deviceId, tx);
      if (!device || device.revokedAt) throw new AdminError(`${username} has no signed-in device ${deviceId}`);
      await this.devices.revoke(tx, deviceId, 'server');
      await notifySessionsEnded(tx, { target: { kind: 'device', deviceId }, by: 'server' });
    });
  }

  /** A new invite code, shown once: only its hash is stored. */
  async createInvite(input: { uses: number; expiresInSeconds?: number }): Promise<{ code: string; invite: InviteRow }> {
    if (!Number.isInteger(input.uses) || input.uses < 1 || input.uses > 1_000_000) {
      throw new AdminError('uses: a whole number from 1 to 1000000');
    }
    const expiresAt =
      input.expiresInSeconds === undefined ? null : new Date(Date.now() + input.expiresInSeconds * 1000);
    const { code, hash } = newInviteCode();
    return { code, invite: await this.invites.create(hash, input.uses, expiresAt) };
  }

  listInvites(): Promise<InviteRow[]> {
    return this.invites.usable();
  }

  async deleteInvite(id: string): Promise<void> {
    if (!(await this.invites.delete(id))) throw new AdminError(`no invite ${id}`);
  }

  readStats(): Promise<ServerStats> {
    return this.stats.read();
  }

  /**
   * Erases the account and all the server holds about it (GDPR): queues both ways, keys, devices,
   * contacts both ways, `sends` rows, attachments and their blobs. The blobs are removed inside
   * the transaction, so a store that fails leaves the account whole to try again.
   */
  async deleteUser(username: string): Promise<{ attachments: number }> {
    const user = await this.user(username);
    return this.db.transaction(async (tx) => {
      await notifySessionsEnded(tx, { target: { kind: 'user', userId: user.id }, by: 'server' });
      const attachments = await this.erasure.lockAttachments(tx, user.id);
      await this.erasure.eraseUser(tx, user.id);
      for (const id of attachments) await this.blobs.remove(id);
      return { attachments: attachments.length };
    });
  }

  private async user(username: string): Promise<{ id: string }> {
    const user = await this.users.findByUsername(field(Username, 'username', username));
    if (!user) throw new AdminError(`no user "${username}"`);
    return user;
  }

  private async revokeAll(tx: EntityManager, userId: string): Promise<number> {
    const ids = await this.devices.activeIds(tx, userId);
    for (const id of ids) await this.devices.revoke(tx, id, 'server');
    await notifySessionsEnded(tx, { target: { kind: 'user', userId }, by: 'server' });
    return ids.length;
  }
}
