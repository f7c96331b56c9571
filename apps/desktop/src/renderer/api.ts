import { type ClientBridge, type ClientError, type FieldIssue, RetryAfterDetails } from '@parley/shared';
import i18next, { type TFunction } from 'i18next';

declare global {
  interface Window {
    /** Set by the Electron preload, or in the browser host by platform/install-bridge.ts, before the app loads. */
    parley: ClientBridge;
  }
}

/** The only way to the core: the shared client API, whichever shell carries it. */
export const parley: ClientBridge = window.parley;

/** The stable code of a failed call (`ClientError.code`), if it has one. */
export function errorCode(error: unknown): ClientError['code'] | undefined {
  const code = (error as Partial<ClientError> | null)?.code;
  return typeof code === 'string' ? (code as ClientError['code']) : undefined;
}

function details(error: unknown): Record<string, unknown> {
  const value = (error as Partial<ClientError> | null)?.details;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Seconds to wait before trying again, from a RATE_LIMITED answer. */
export function retryAfterSeconds(error: unknown): number | null {
  const parsed = RetryAfterDetails.safeParse(details(error));
  return errorCode(error) === 'RATE_LIMITED' && parsed.success ? parsed.data.retryAfterSeconds : null;
}

/** The field problems of a VALIDATION_FAILED answer (`details.issues`). */
export function fieldIssues(error: unknown): FieldIssue[] {
  const issues = details(error).issues;
  return errorCode(error) === 'VALIDATION_FAILED' && Array.isArray(issues) ? (issues as FieldIssue[]) : [];
}

/** Whose changed key refused a send (`details.userId` of IDENTITY_UNTRUSTED): the peer's, or mine. */
export function untrustedUserId(error: unknown): string | null {
  const userId = details(error).userId;
  return errorCode(error) === 'IDENTITY_UNTRUSTED' && typeof userId === 'string' ? userId : null;
}

/** A failed call in words, by its code; anything unknown gets a calm generic sentence. */
export function errorMessage(error: unknown, t: TFunction): string {
  const code = errorCode(error);
  const seconds = retryAfterSeconds(error);
  if (seconds !== null) return t('errors.RATE_LIMITED_retry', { count: seconds });
  // Codes without words of their own (an internal fault) get the generic sentence.
  const key: string = `errors.${code}`;
  return code && i18next.exists(key) ? t(key as 'errors.default') : t('errors.default');
}
