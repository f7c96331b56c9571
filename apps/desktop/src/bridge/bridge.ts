import {
  CLIENT_API_ARGS,
  CLIENT_API_EVENTS,
  CLIENT_API_METHODS,
  type ClientApi,
  type ClientBridge,
  type ClientError,
  type ClientEvents,
  toFieldIssues,
} from '@parley/shared';

/**
 * The one way the UI reaches the core across a process boundary, whatever carries it (Electron
 * IPC or the browser host's socket). Both sides are generated from the shared API definition:
 * there is no hand-kept list of channels. Runtime: any (no Node, DOM or Electron imports).
 */

/** What a call answers: never a thrown error across the boundary, which would lose its code. */
export type BridgeResult = { ok: true; value: unknown } | { ok: false; error: ClientError };

export interface BridgeTransport {
  invoke(method: string, args: unknown[]): Promise<BridgeResult>;
  /** Delivers every core event; returns the function that stops it. */
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

/** Channel names, for transports that need them. */
export const BRIDGE_CALL = 'parley:call';
export const BRIDGE_EVENT = 'parley:event';

/** The renderer's side: a `ClientBridge` whose calls go through the transport. */
export function bridgeClient(transport: BridgeTransport): ClientBridge {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  transport.subscribe((event, payload) => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  });
  const api = Object.fromEntries(
    CLIENT_API_METHODS.map((method) => [
      method,
      async (...args: unknown[]) => {
        const result = await transport.invoke(method, args);
        if (result.ok) return result.value;
        throw Object.assign(new Error(result.error.message), result.error);
      },
    ]),
  ) as unknown as ClientApi;
  return {
    ...api,
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
}

/** The core's side: validates a call against the shared definition, runs it, answers a result. */
export async function serveCall(
  core: ClientApi,
  method: unknown,
  args: unknown,
  report: (error: unknown, method: string) => void,
): Promise<BridgeResult> {
  if (typeof method !== 'string' || !Object.hasOwn(CLIENT_API_ARGS, method)) {
    return { ok: false, error: { code: 'NOT_FOUND', message: `No such method: ${String(method).slice(0, 64)}` } };
  }
  const name = method as keyof ClientApi;
  // JSON carries an omitted argument in the middle of a list as null: no API argument is null.
  const normalized = Array.isArray(args) ? args.map((a) => (a === null ? undefined : a)) : args;
  const parsed = CLIENT_API_ARGS[name].safeParse(normalized);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: `Invalid arguments for ${name}`,
        details: { issues: toFieldIssues(parsed.error) },
      },
    };
  }
  try {
    const value = await (core[name] as (...a: unknown[]) => Promise<unknown>).apply(core, parsed.data as unknown[]);
    return { ok: true, value: value ?? null };
  } catch (error) {
    const e = error as Partial<ClientError> & Error;
    if (typeof e.code === 'string')
      return { ok: false, error: { code: e.code, message: e.message, details: e.details } };
    report(error, name);
    return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong' } };
  }
}

/** Forwards every core event to `send`; returns the function that stops it. */
export function forwardEvents(
  core: ClientBridge,
  send: (event: keyof ClientEvents, payload: unknown) => void,
): () => void {
  const stops = CLIENT_API_EVENTS.map((event) => core.on(event, (payload) => send(event, payload)));
  return () => {
    for (const stop of stops) stop();
  };
}
