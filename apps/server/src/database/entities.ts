import type { SessionEndedBy } from '@parley/shared';
import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Always lowercase: uniqueness and lookups are case-insensitive. */
  @Column({ type: 'text' })
  username!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  /** Lowercased display name, kept by the service, searched through a trigram index. */
  @Column({ name: 'display_name_key', type: 'text' })
  displayNameKey!: string;

  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set while the admin has disabled the account: no sign-in, refresh or connection. */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  /** When the user's last device went offline. */
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;
}

@Entity('devices')
export class DeviceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'text' })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** Who revoked it (see SessionEndedBy); null while it is active. */
  @Column({ name: 'revoked_by', type: 'text', nullable: true })
  revokedBy!: SessionEndedBy | null;

  /** The hash of the refresh token it held when revoked, so that it is told who ended its session. */
  @Column({ name: 'revoked_token_hash', type: 'bytea', nullable: true })
  revokedTokenHash!: Buffer | null;

  @Column({ name: 'registration_id', type: 'integer', nullable: true })
  registrationId!: number | null;

  @Column({ name: 'identity_key', type: 'bytea', nullable: true })
  identityKey!: Buffer | null;

  @Column({ name: 'signed_prekey_id', type: 'integer', nullable: true })
  signedPreKeyId!: number | null;

  @Column({ name: 'signed_prekey', type: 'bytea', nullable: true })
  signedPreKey!: Buffer | null;

  @Column({ name: 'signed_prekey_signature', type: 'bytea', nullable: true })
  signedPreKeySignature!: Buffer | null;
}

@Entity('one_time_prekeys')
export class OneTimePreKeyEntity {
  @PrimaryColumn({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  @PrimaryColumn({ name: 'key_id', type: 'integer' })
  keyId!: number;

  @Column({ name: 'public_key', type: 'bytea' })
  publicKey!: Buffer;
}

/** One row per refresh token ever issued to a device; only the SHA-256 of the token is kept. */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Set when the token was exchanged; presenting it again is reuse (but see `graceUsedAt`). */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;

  /** Set when the rotated token was accepted once more, its answer having been lost (only once). */
  @Column({ name: 'grace_used_at', type: 'timestamptz', nullable: true })
  graceUsedAt!: Date | null;
}

@Entity('contacts')
export class ContactEntity {
  @PrimaryColumn({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @PrimaryColumn({ name: 'contact_id', type: 'uuid' })
  contactId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id' })
  contact?: UserEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const ENTITIES = [UserEntity, DeviceEntity, OneTimePreKeyEntity, RefreshTokenEntity, ContactEntity];
