import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { attachmentCiphertextSize } from '@parley/shared';
import { z } from 'zod';

/** "points/seconds": at most `points` actions per `seconds`. */
const RateLimit = z
  .string()
  .regex(/^\d+\/\d+$/, 'expected "points/seconds", e.g. "10/60"')
  .transform((s) => {
    const [points, seconds] = s.split('/').map(Number) as [number, number];
    return { points, seconds };
  })
  .refine((r) => r.points > 0 && r.seconds > 0, 'points and seconds must be positive');
export type RateLimit = z.output<typeof RateLimit>;

const Bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** An IPv4/IPv6 address or CIDR range, or one of proxy-addr's names for ranges (`loopback`…). */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Which hops before the server are proxies (express's `trust proxy`): a hop count, or the
 * proxies' addresses. Never "every hop": the leftmost X-Forwarded-For entry is the client's own
 * choice, so trusting it would let anyone pick the IP every per-IP limit counts against.
 */
const TrustProxy = z
  .string()
  .refine(
    (s) => s !== 'true',
    '"true" would trust every hop, so a client could pick its own IP in X-Forwarded-For; give the number of proxies in front of the server (e.g. 1) or their addresses',
  )
  .transform((s): number | string[] =>
    s === 'false'
      ? 0
      : /^\d+$/.test(s)
        ? Number(s)
        : s
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
  )
  .pipe(
    z.union([
      z.number().int().min(0).max(32),
      z
        .array(z.string().refine(isProxyAddress, 'expected a hop count or proxy addresses/CIDRs, comma-separated'))
        .min(1),
    ]),
  );

/** A comma-separated list of ICE server URLs (`stun:host:port`, `turn:host:port?transport=udp`, `turns:…`). */
const IceUrls = (scheme: RegExp) =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(scheme, `expected URLs like ${scheme.source.slice(1)}host:port`)));

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/ })
    .optional()
    .describe('PostgreSQL URL; without it an embedded PostgreSQL runs under DATA_DIR'),
  DATABASE_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(2)
    .max(1_000)
    .default(10)
    .describe('PostgreSQL connections one instance keeps at most (sends batch their statements, so few are busy)'),
  DATA_DIR: z.string().min(1).default('.data'),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .describe('Redis shared by several instances: Socket.IO rooms (streams adapter) and rate limits'),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/)
    .default('parley'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url())),
  TRUST_PROXY: TrustProxy.default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_LOGIN_PER_IP: RateLimit.default({ points: 30, seconds: 60 }),
  RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME_IP: RateLimit.default({ points: 10, seconds: 300 }),
  RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME: RateLimit.default({ points: 100, seconds: 3600 }),
  RATE_LIMIT_REGISTER_PER_IP: RateLimit.default({ points: 10, seconds: 3600 }),
  RATE_LIMIT_REFRESH_PER_IP: RateLimit.default({ points: 60, seconds: 60 }),
  RATE_LIMIT_SEARCH_PER_USER: RateLimit.default({ points: 60, seconds: 60 }),
  RATE_LIMIT_KEYS_PER_TARGET: RateLimit.default({ points: 30, seconds: 600 }),
  RATE_LIMIT_KEYS_PER_TARGET_IP: RateLimit.default({ points: 60, seconds: 600 }),
  RATE_LIMIT_SEND_PER_DEVICE: RateLimit.default({ points: 600, seconds: 60 }),
  RATE_LIMIT_EPHEMERAL_PER_DEVICE: RateLimit.default({ points: 1200, seconds: 60 }),
  RATE_LIMIT_ATTACHMENT_ANNOUNCE_PER_USER: RateLimit.default({ points: 100, seconds: 600 }),
  RATE_LIMIT_RECEIPTS_PER_DEVICE: RateLimit.default({ points: 300, seconds: 60 }),
  RATE_LIMIT_CONTACTS_PER_USER: RateLimit.default({ points: 60, seconds: 600 }),
  RATE_LIMIT_PROFILE_PER_USER: RateLimit.default({ points: 20, seconds: 600 }),
  RATE_LIMIT_CONNECT_PER_USER: RateLimit.default({ points: 30, seconds: 60 }),
  QUEUE_MAX_PER_DEVICE: z.coerce.number().int().min(1).default(10_000),
  QUEUE_SHARE_PER_SENDER: z.coerce.number().int().min(1).default(2_000),
  QUEUE_SHARE_PER_STRANGER: z.coerce.number().int().min(1).default(200),
  SENDS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  SENDS_MAX_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(64)
    .describe('Sends being checked and stored at once on this instance; past it a send is refused with SERVER_BUSY'),
  STUN_URLS: IceUrls(/^stun:/).describe('STUN servers for calls, comma-separated'),
  TURN_URLS: IceUrls(/^turns?:/).describe('TURN servers for calls (coturn with use-auth-secret), comma-separated'),
  TURN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3_600),
  CALL_RING_SECONDS: z.coerce.number().int().min(1).max(300).default(45),
  HTTP_IDLE_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3_600)
    .default(60)
    .describe('A connection with no byte in either direction this long is closed (no limit on a whole request)'),
  SHUTDOWN_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(600)
    .default(10)
    .describe('On SIGTERM/SIGINT, how long requests and socket events under way may take before connections are cut'),
  REGISTRATION: z
    .enum(['open', 'invite', 'closed'])
    .default('open')
    .describe('Who may create an account: anyone, holders of an invite code (parley-admin create-invite), or no one'),
  METRICS_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('Serve GET /metrics (Prometheus) on this separate port, on METRICS_HOST'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('Require "Authorization: Bearer <token>" for /metrics; without METRICS_PORT, /metrics is served on PORT'),
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * 1024 * 1024),
  ATTACHMENT_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30 * 86_400),
  ATTACHMENT_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(2 * 1024 ** 3),
  ATTACHMENT_S3_BUCKET: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'expected a bucket name: 3 to 63 lowercase letters, digits, dots, hyphens',
    )
    .optional()
    .describe('Keep attachment blobs in this S3-compatible bucket instead of DATA_DIR/attachments'),
  ATTACHMENT_S3_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .refine(
      (u) => !/^\w+:\/\/[^/]*@/.test(u),
      'no credentials in the URL: use ATTACHMENT_S3_ACCESS_KEY_ID and …_SECRET_ACCESS_KEY',
    )
    .optional()
    .describe('Endpoint of an S3-compatible store (MinIO, Garage, Ceph RGW…); AWS S3 without it'),
  ATTACHMENT_S3_REGION: z
    .string()
    .regex(/^[\w-]{1,64}$/, 'expected a region name, e.g. us-east-1')
    .default('us-east-1'),
  ATTACHMENT_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  ATTACHMENT_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  ATTACHMENT_S3_FORCE_PATH_STYLE: Bool.optional().describe('Default: true with ATTACHMENT_S3_ENDPOINT, else false'),
  ATTACHMENT_S3_PREFIX: z
    .string()
    .regex(/^([\w.-]+\/)*$/, 'expected nothing or a path ending in "/", e.g. parley/attachments/')
    .default(''),
});

/** One S3 PUT takes at most 5 GiB. */
const S3_MAX_OBJECT_BYTES = 5 * 1024 ** 3;

export type Config = Omit<z.output<typeof EnvSchema>, 'DATA_DIR' | 'ATTACHMENT_S3_FORCE_PATH_STYLE'> & {
  DATA_DIR: string;
  ATTACHMENT_S3_FORCE_PATH_STYLE: boolean;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment; a bad or missing value throws naming every culprit. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const problems: string[] = [];
  if (present.RATE_LIMIT_LOGIN_PER_USERNAME) {
    problems.push(
      'RATE_LIMIT_LOGIN_PER_USERNAME: replaced by RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME_IP and RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME',
    );
  }
  if (config.QUEUE_SHARE_PER_STRANGER > config.QUEUE_SHARE_PER_SENDER) {
    problems.push('QUEUE_SHARE_PER_STRANGER: cannot exceed QUEUE_SHARE_PER_SENDER');
  }
  if (config.QUEUE_SHARE_PER_SENDER > config.QUEUE_MAX_PER_DEVICE) {
    problems.push('QUEUE_SHARE_PER_SENDER: cannot exceed QUEUE_MAX_PER_DEVICE');
  }
  if (config.ATTACHMENT_QUOTA_BYTES < attachmentCiphertextSize(config.ATTACHMENT_MAX_BYTES)) {
    problems.push('ATTACHMENT_QUOTA_BYTES: must hold at least one file of ATTACHMENT_MAX_BYTES');
  }
  if (config.METRICS_PORT !== undefined && config.METRICS_PORT === config.PORT) {
    problems.push('METRICS_PORT: must differ from PORT (set METRICS_TOKEN alone to serve /metrics on PORT)');
  }
  if (config.TURN_URLS.length > 0 && !config.TURN_SECRET) problems.push('TURN_SECRET: required when TURN_URLS is set');
  const s3Set = Object.keys(present).filter((name) => name.startsWith('ATTACHMENT_S3_'));
  if (s3Set.length > 0 && !config.ATTACHMENT_S3_BUCKET) {
    problems.push(`ATTACHMENT_S3_BUCKET: required when ${s3Set.join(', ')} is set`);
  }
  const keyPair = ['ATTACHMENT_S3_ACCESS_KEY_ID', 'ATTACHMENT_S3_SECRET_ACCESS_KEY'] as const;
  for (const [name, other] of [keyPair, [keyPair[1], keyPair[0]]]) {
    if (config[other] && !config[name]) problems.push(`${name}: required when ${other} is set`);
  }
  if (config.ATTACHMENT_S3_BUCKET && attachmentCiphertextSize(config.ATTACHMENT_MAX_BYTES) > S3_MAX_OBJECT_BYTES) {
    problems.push('ATTACHMENT_MAX_BYTES: too large for ATTACHMENT_S3_BUCKET (one S3 object takes at most 5 GiB)');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const dataDir = config.DATA_DIR;
  return {
    ...config,
    DATA_DIR: isAbsolute(dataDir) ? dataDir : resolve(dataDir),
    ATTACHMENT_S3_FORCE_PATH_STYLE:
      config.ATTACHMENT_S3_FORCE_PATH_STYLE ?? config.ATTACHMENT_S3_ENDPOINT !== undefined,
  };
}

/** The configuration, or (a bad or missing value) the problems on stderr and exit 78, EX_CONFIG. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(78);
  }
}

export const CONFIG = Symbol('CONFIG');
