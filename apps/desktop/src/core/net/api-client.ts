import { API_PREFIX, ErrorBody, type ErrorCode, ROUTES, type RouteDef } from '@parley/shared';
import type { z } from 'zod';

type Routes = typeof ROUTES;
export type RouteName = keyof Routes;

type In<S> = S extends z.ZodType ? z.input<S> : never;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a call takes: the route's body, query and path parameters, each only where it has one. */
type Nothing = Record<never, never>;
export type CallInput<K extends RouteName> = (Routes[K] extends { body: infer B } ? { body: In<B> } : Nothing) &
  (Routes[K] extends { query: infer Q } ? { query: In<Q> } : Nothing) &
  (Routes[K] extends { params: infer P } ? { params: In<P> } : Nothing) & { accessToken?: string };

export type CallOutput<K extends RouteName> = Routes[K] extends { response: infer R } ? Out<R> : undefined;

/** A failure the server answered with its error shape, or a network failure (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function buildPath(def: RouteDef, params: Record<string, string> | undefined, query: object | undefined): string {
  const path = def.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params?.[name] ?? ''));
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(key, String(value));
  const qs = search.toString();
  return `${API_PREFIX}${path}${qs ? `?${qs}` : ''}`;
}

/**
 * Typed calls to every REST route of the shared route table. Bodies are validated before they
 * leave and responses when they arrive, so a contract mismatch fails loudly at the boundary.
 */
/** JSON calls are small: one that hangs this long (a stalled server or link) fails as NETWORK, so nothing waits on it forever. */
const REQUEST_TIMEOUT_MS = 30_000;

export function createApiClient(baseUrl: string, fetchImpl: typeof fetch = fetch) {
  return async function call<K extends RouteName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> {
    const def: RouteDef = ROUTES[name];
    const { body, query, params, accessToken } = input as {
      body?: unknown;
      query?: object;
      params?: Record<string, string>;
      accessToken?: string;
    };
    const headers: Record<string, string> = {};
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (def.body) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetchImpl(baseUrl + buildPath(def, params, query), {
        method: def.method,
        headers,
        body: def.body ? JSON.stringify(def.body.parse(body)) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `The server at ${baseUrl} cannot be reached: ${(error as Error).message}`);
    }
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const parsed = ErrorBody.safeParse(json);
      if (!parsed.success) throw new ApiError(res.status, 'INTERNAL', `Unexpected answer ${res.status}`);
      const { code, message, details } = parsed.data.error;
      throw new ApiError(res.status, code, message, details);
    }
    return (def.response ? def.response.parse(json) : undefined) as CallOutput<K>;
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
