import { Accounts1764000000000 } from './1764000000000-accounts.js';
import { Messaging1764100000000 } from './1764100000000-messaging.js';
import { Attachments1764200000000 } from './1764200000000-attachments.js';
import { SessionEnds1764300000000 } from './1764300000000-session-ends.js';
import { Quotas1764310000000 } from './1764310000000-quotas.js';
import { ReadOnce1764320000000 } from './1764320000000-read-once.js';
import { RevokedToken1764330000000 } from './1764330000000-revoked-token.js';
import { Operations1796230269084 } from './1796230269084-operations.js';
import { AttachmentShares1796230742448 } from './1796230742448-attachment-shares.js';

/** Every migration, in order. Listed explicitly so the build, not a glob, decides what runs. */
export const MIGRATIONS = [
  Accounts1764000000000,
  Messaging1764100000000,
  Attachments1764200000000,
  SessionEnds1764300000000,
  Quotas1764310000000,
  ReadOnce1764320000000,
  RevokedToken1764330000000,
  Operations1796230269084,
  AttachmentShares1796230742448,
];
