import { API_PREFIX, type AuthResponse, ErrorBody } from '@parley/shared';
import { expect } from 'vitest';

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** A raw HTTP call: what a client on the wire sees, statuses and headers included. */
// biome-ignore lint/suspicious/noExplicitAny: tests read raw, possibly malformed answers field by field
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const url = path.startsWith('/api/') || path === '/health' ? path : `${API_PREFIX}${path}`;
  const res = await fetch(`${baseUrl}${url}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** Asserts the one error shape with the given status and code. */
export function expectError(result: HttpResult, status: number, code: string): void {
  expect({ status: result.status, body: result.body }).toMatchObject({ status, body: { error: { code } } });
  expect(ErrorBody.safeParse(result.body).success).toBe(true);
}

let counter = 0;
/** A unique, valid username for this run. */
export const uniqueName = (prefix = 'user') => `${prefix}_${process.pid}_${++counter}`.slice(0, 32);

export const PASSWORD = 'correct horse battery';

export async function register(
  baseUrl: string,
  username = uniqueName(),
  displayName = username,
): Promise<AuthResponse & { password: string }> {
  const res = await call<AuthResponse>(baseUrl, 'POST', '/auth/register', {
    body: { username, password: PASSWORD, displayName, device: { name: 'Test device' } },
  });
  expect(res.status).toBe(201);
  return { ...res.body, password: PASSWORD };
}

export async function login(baseUrl: string, username: string, password = PASSWORD): Promise<HttpResult<AuthResponse>> {
  return call<AuthResponse>(baseUrl, 'POST', '/auth/login', {
    body: { username, password, device: { name: 'Another device' } },
  });
}
