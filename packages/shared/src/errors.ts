import { z } from 'zod';

/**
 * Stable error codes. Clients branch on these, never on messages or HTTP statuses alone.
 * Each maps to one HTTP status.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  CANNOT_ADD_SELF: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  SESSION_REVOKED: 401,
  FORBIDDEN: 403,
  REGISTRATION_CLOSED: 403,
  INVALID_INVITE: 403,
  ACCOUNT_DISABLED: 403,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  USERNAME_TAKEN: 409,
  MISMATCHED_DEVICES: 409,
  IDENTITY_KEY_CHANGED: 409,
  STALE_DEVICES: 410,
  KEYS_NOT_UPLOADED: 409,
  PREKEY_LIMIT_REACHED: 409,
  NOT_A_CONTACT: 403,
  INVALID_SIGNATURE: 422,

  CONTACT_LIMIT_REACHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  ATTACHMENT_TOO_LARGE: 413,
  ATTACHMENT_QUOTA_EXCEEDED: 413,
  ALREADY_UPLOADED: 409,
  ATTACHMENT_SHARE_LIMIT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  QUEUE_FULL: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  /** The server is at capacity: retry after `details.retryAfterSeconds` (`RetryAfterDetails`). */
  SERVER_BUSY: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** One problem with one field of a request, as reported in `details.issues`. */
export const FieldIssue = z.object({
  /** Dotted path of the field, `""` for the whole body. */
  path: z.string(),
  /** zod's issue code: `too_small`, `too_big`, `invalid_format`, `invalid_type`, `unrecognized_keys`, `custom`… */
  code: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssue>;

/** The one error shape every failing REST call answers with. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * Who ended a device's session (the `details` of SESSION_REVOKED, and of `session:ended`): the
 * user (signed out, or revoked it from another device: it erases its local data) or the server
 * (a refresh token was presented again: it keeps its encrypted store for the next sign-in).
 */
export const SessionEndedBy = z.enum(['user', 'server']);
export type SessionEndedBy = z.infer<typeof SessionEndedBy>;
export const SessionRevokedDetails = z.object({ by: SessionEndedBy });
export type SessionRevokedDetails = z.infer<typeof SessionRevokedDetails>;

/**
 * The `details` of RATE_LIMITED and SERVER_BUSY, wherever they are answered (REST, with a
 * `Retry-After` header too; a socket event's ack; a refused socket connection's `connect_error`):
 * try again after this long.
 */
export const RetryAfterDetails = z.object({ retryAfterSeconds: z.number().int().positive() });
export type RetryAfterDetails = z.infer<typeof RetryAfterDetails>;

/** Turns a zod error into field issues (the `details.issues` of a VALIDATION_FAILED error). */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    code: issue.code,
    message: issue.message,
  }));
}
