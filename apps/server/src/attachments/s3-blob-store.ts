import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { BlobNotFound, type BlobStore, exactly } from './blob-store.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'). */
  prefix: string;
  /** For S3-compatible stores (MinIO, Garage, Ceph RGW…); AWS S3 without it. */
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  /** Static keys; without them the SDK's default chain (AWS_* variables, profile, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Where the SDK's warnings go (it never logs credentials). */
  log: Pick<Logger, 'warn'>;
}

/** Sockets to the store at once: every upload and download in progress holds one for its duration. */
const MAX_SOCKETS = 256;

/**
 * Encrypted attachment blobs as objects in an S3-compatible bucket, one single streamed
 * `PutObject` with `Content-Length` per blob. S3 (and the compatible stores) make an object
 * visible only once its whole body has arrived, so a write cut off — the body shorter than
 * announced, the request aborted, this server killed — stores nothing: that is the
 * whole-or-nothing guarantee, and there are no partial objects to sweep. One PUT takes up to
 * 5 GiB, far above any attachment (the configuration refuses a larger `ATTACHMENT_MAX_BYTES`), and
 * streams with back-pressure: memory stays flat, no blob or part is ever held in memory (as the
 * multipart `Upload` helper would, 5 MiB per part and several parts per upload).
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      logger: {
        trace: () => {},
        debug: () => {},
        info: () => {},
        warn: (...content: unknown[]) => {
          // Said of every PUT that fails; the failure itself reaches the caller.
          if (!String(content[0]).includes('non-retryable streaming request')) {
            options.log.warn({ s3: content }, 'S3 client warning');
          }
        },
        // Said of every failed command, which fails to the caller anyway (a client cutting off
        // its upload is no server fault).
        error: () => {},
      },
      // A checksum of a streamed body goes in an aws-chunked trailer, which several S3-compatible
      // stores refuse; the ciphertext is authenticated end to end by the clients anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: 10_000,
        socketTimeout: 120_000,
        httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
        httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      },
    });
  }

  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      const { name, message, $metadata } = error as Partial<Error> & { $metadata?: { httpStatusCode?: number } };
      const status = $metadata?.httpStatusCode;
      const why =
        status === 404
          ? 'it does not exist'
          : status === 403 || status === 400
            ? `access denied (HTTP ${status}): check the credentials and ATTACHMENT_S3_REGION`
            : `${name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${message}`;
      const where = this.options.endpoint ?? `AWS S3 (${this.options.region})`;
      throw new Error(`ATTACHMENT_S3_BUCKET: the bucket "${this.options.bucket}" at ${where} cannot be used: ${why}`);
    }
  }

  async write(id: string, source: Readable, size: number): Promise<void> {
    // The SDK pipes the body into its request without passing errors on, so an error of the
    // source (a client gone, a wrong size) aborts the request: the store sees a cut-off PUT.
    const abort = new AbortController();
    const body = new PassThrough();
    const fed = pipeline(source, exactly(size), body);
    let fault: unknown;
    fed.catch((error: unknown) => {
      fault ??= error;
      abort.abort(error);
    });
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: this.key(id),
          Body: body,
          ContentLength: size,
          ContentType: 'application/octet-stream',
        }),
        { abortSignal: abort.signal },
      );
    } catch (error) {
      const cause = fault ?? error;
      body.destroy(); // unblocks the pipeline if the store failed first
      await fed.catch(() => {});
      throw cause;
    }
    // The store answered once it had `size` bytes; a source going on past them is refused all the same.
    try {
      await fed;
    } catch (error) {
      await this.remove(id);
      throw error;
    }
  }

  async read(id: string): Promise<Readable> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(id) }));
      return object.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey) throw new BlobNotFound(id);
      throw error;
    }
  }

  async remove(id: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(id) }));
  }

  /** Nothing to do: a PUT cut off leaves no object behind. */
  async sweepPartials(): Promise<void> {}

  private key(id: string): string {
    return `${this.options.prefix}${id}`;
  }
}
