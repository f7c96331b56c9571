import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type AttachmentQuotaDetails,
  type AttachmentTooLargeDetails,
  attachmentCiphertextSize,
  type CreateAttachmentRequest,
  type CreateAttachmentResponse,
  LIMITS,
  type ShareAttachmentRequest,
} from '@parley/shared';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CONFIG, type Config } from '../config/config.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { LOGGER } from '../logger.js';
import { AttachmentsRepository, type Expiry } from './attachments.repository.js';
import { BlobNotFound, type BlobStore, SizeMismatch } from './blob-store.js';
import { configuredBlobStore } from './configured-blob-store.js';

/** An upload not finished within this time is abandoned: its row and partial file go. */
const UNFINISHED_UPLOAD_MS = 24 * 3_600_000;
const SWEEP_EVERY_MS = 3_600_000;
const SWEEP_BATCH = 500;

const notFound = () => new AppError('NOT_FOUND', 'No such attachment');

/**
 * Encrypted attachments: announced (size, recipient), uploaded whole, fetched only by the uploader
 * and the recipient, deleted after the retention period. The server never has a file's key.
 */
@Injectable()
export class AttachmentsService implements OnModuleInit, OnModuleDestroy {
  private readonly blobs: BlobStore;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly attachments: AttachmentsRepository,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly limits: RateLimits,
  ) {
    this.blobs = configuredBlobStore(config, log);
  }

  /** Throws unless the blob store is reachable (for readiness). */
  async checkBlobStore(): Promise<void> {
    await this.blobs.init();
  }

  async onModuleInit(): Promise<void> {
    await this.blobs.init();
    const bucket = this.config.ATTACHMENT_S3_BUCKET;
    this.log.info(
      bucket ? { store: 's3', bucket, endpoint: this.config.ATTACHMENT_S3_ENDPOINT ?? 'aws' } : { store: 'filesystem' },
      'attachment blob store ready',
    );
    const every = Math.min(SWEEP_EVERY_MS, Math.max(1_000, (this.config.ATTACHMENT_RETENTION_SECONDS * 1000) / 4));
    this.sweeper = setInterval(() => void this.sweep(), every);
    this.sweeper.unref();
    await this.sweep();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Announces a file. A user's files on the server, uploaded or only announced (until the sweep
   * deletes them), may not exceed the quota: announcements are serialised per user (an advisory
   * lock), so concurrent ones cannot both slip under it.
   */
  async create(caller: Caller, input: CreateAttachmentRequest): Promise<CreateAttachmentResponse> {
    await this.limits.consume('attachmentAnnouncePerUser', caller.userId);
    const maxBytes = this.config.ATTACHMENT_MAX_BYTES;
    if (input.size > attachmentCiphertextSize(maxBytes)) {
      const details: AttachmentTooLargeDetails = { maxBytes };
      throw new AppError('ATTACHMENT_TOO_LARGE', `Files can be at most ${maxBytes} bytes`, details);
    }
    const id = randomUUID();
    const quotaBytes = this.config.ATTACHMENT_QUOTA_BYTES;
    const inserted = await this.db.transaction(async (tx) => {
      await this.attachments.lockOwner(tx, caller.userId);
      const usedBytes = await this.attachments.usedBytes(tx, caller.userId, this.expiry());
      if (usedBytes + input.size > quotaBytes) {
        const details: AttachmentQuotaDetails = { usedBytes, quotaBytes };
        throw new AppError(
          'ATTACHMENT_QUOTA_EXCEEDED',
          `Your files on the server take ${usedBytes} of ${quotaBytes} bytes; this one does not fit until older ones expire`,
          details,
        );
      }
      return this.attachments.insert(tx, {
        id,
        ownerUserId: caller.userId,
        recipientUserId: input.recipientUserId,
        size: input.size,
      });
    });
    if (!inserted) throw new AppError('USER_NOT_FOUND', 'No such recipient');
    return { id, maxBytes };
  }

  private expiry(): Expiry {
    return {
      retentionSeconds: this.config.ATTACHMENT_RETENTION_SECONDS,
      unfinishedSeconds: UNFINISHED_UPLOAD_MS / 1000,
    };
  }

  /** Stores the whole ciphertext, or nothing; only the uploader, only until it is complete. */
  async upload(caller: Caller, id: string, body: Readable, contentLength: number | undefined): Promise<void> {
    const row = await this.attachments.forUpload(id, caller.userId);
    if (!row) throw notFound();
    if (row.uploaded) throw new AppError('ALREADY_UPLOADED', 'This attachment is already uploaded');
    const { size } = row;
    if (contentLength !== size) {
      throw new AppError('VALIDATION_FAILED', `Content-Length must be the announced size, ${size} bytes`);
    }
    try {
      await this.blobs.write(id, body, size);
    } catch (error) {
      if (error instanceof SizeMismatch) throw new AppError('VALIDATION_FAILED', error.message);
      // The client went away mid-upload: its doing, not a fault here; it sends the file again.
      if (body.readableAborted) throw new AppError('VALIDATION_FAILED', 'The upload was cut off; send it again');
      throw error;
    }
    await this.attachments.markUploaded(id);
  }

  /**
   * Lets one more user fetch a file (a forward), asked by someone who may fetch it; at most
   * `LIMITS.attachmentShares` users per file. Anyone else, or a file gone, gets the same 404.
   */
  async share(caller: Caller, id: string, input: ShareAttachmentRequest): Promise<void> {
    await this.limits.consume('attachmentAnnouncePerUser', caller.userId);
    const result = await this.db.transaction((tx) =>
      this.attachments.share(tx, id, caller.userId, input.recipientUserId, LIMITS.attachmentShares),
    );
    if (result === 'no file') throw notFound();
    if (result === 'no user') throw new AppError('USER_NOT_FOUND', 'No such recipient');
    if (result === 'full') {
      throw new AppError(
        'ATTACHMENT_SHARE_LIMIT',
        `A file can be shared with at most ${LIMITS.attachmentShares} people`,
      );
    }
  }

  /** The ciphertext and its size, for the uploader, the recipient and those it was shared with; anyone else learns nothing. */
  async download(caller: Caller, id: string): Promise<{ stream: Readable; size: number }> {
    const size = await this.attachments.downloadableSize(id, caller.userId);
    if (size === undefined) throw notFound();
    try {
      return { stream: await this.blobs.read(id), size };
    } catch (error) {
      // Only while a sweep is deleting it (past retention): as gone as its row is about to be.
      if (error instanceof BlobNotFound) throw notFound();
      throw error;
    }
  }

  /**
   * Deletes attachments past the retention period and uploads abandoned half-way, a batch at a
   * time: the rows go in the same transaction as their blobs, so a blob the store failed to remove
   * keeps its row and is tried again at the next sweep (removing is idempotent). SKIP LOCKED lets
   * the instances sharing a store sweep side by side.
   */
  private async sweep(): Promise<void> {
    try {
      let deleted = 0;
      for (;;) {
        const batch = await this.db.transaction(async (tx) => {
          const gone = await this.attachments.deleteExpired(tx, this.expiry(), SWEEP_BATCH);
          for (const id of gone) await this.blobs.remove(id);
          return gone.length;
        });
        deleted += batch;
        if (batch < SWEEP_BATCH) break;
      }
      await this.blobs.sweepPartials(UNFINISHED_UPLOAD_MS);
      if (deleted) this.log.info({ deleted }, 'attachments past retention deleted');
    } catch (error) {
      this.log.error({ err: error }, 'attachment sweep failed');
    }
  }
}
