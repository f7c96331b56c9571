import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

/** The S3-compatible bucket when one is configured, else the filesystem under DATA_DIR. */
export function configuredBlobStore(config: Config, log: Logger): BlobStore {
  if (!config.ATTACHMENT_S3_BUCKET) return new FsBlobStore(join(config.DATA_DIR, 'attachments'));
  const { ATTACHMENT_S3_ACCESS_KEY_ID: accessKeyId, ATTACHMENT_S3_SECRET_ACCESS_KEY: secretAccessKey } = config;
  return new S3BlobStore({
    bucket: config.ATTACHMENT_S3_BUCKET,
    prefix: config.ATTACHMENT_S3_PREFIX,
    endpoint: config.ATTACHMENT_S3_ENDPOINT,
    region: config.ATTACHMENT_S3_REGION,
    forcePathStyle: config.ATTACHMENT_S3_FORCE_PATH_STYLE,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    log,
  });
}
