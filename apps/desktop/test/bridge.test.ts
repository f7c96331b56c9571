import { randomUUID } from 'node:crypto';
import { CoreError } from '@parley/desktop';
import type { ClientApi } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { serveCall } from '../src/bridge/bridge.js';

/**
 * The core's side of the bridge alone (`serveCall`): what crosses a process boundary is checked
 * against the shared API definition, and every failure comes back as a typed result, never a
 * throw. The core is a fake that records its calls; real bridges run in host.test.ts and e2e.
 */
function setup(behaviour: Partial<Record<keyof ClientApi, (...args: unknown[]) => unknown>> = {}) {
  const calls: [string, unknown[]][] = [];
  const reported: [unknown, string][] = [];
  const core = new Proxy({} as ClientApi, {
    get(_, name: string) {
      return async (...args: unknown[]) => {
        calls.push([name, args]);
        return behaviour[name as keyof ClientApi]?.(...args);
      };
    },
  });
  const serve = (method: unknown, args: unknown) =>
    serveCall(core, method, args, (error, name) => reported.push([error, name]));
  return { serve, calls, reported };
}

describe('serveCall', () => {
  it.each([
    ['a method the API lacks', 'dropDatabase'],
    ['an inherited property', 'constructor'],
    ['a prototype key', '__proto__'],
    ['a non-string', 42],
    ['nothing', undefined],
  ])('refuses %s with NOT_FOUND and runs nothing', async (_, method) => {
    const { serve, calls } = setup();
    const result = await serve(method, []);
    expect(result).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: `No such method: ${String(method)}` } });
    expect(calls).toEqual([]);
  });

  it('echoes at most 64 characters of an unknown method name', async () => {
    const { serve } = setup();
    const result = await serve('x'.repeat(10_000), []);
    expect(result.ok || result.error.message).toBe(`No such method: ${'x'.repeat(64)}`);
  });

  it.each([
    ['a wrong type', 'revokeDevice', [42], '0'],
    ['a malformed id', 'markRead', ['not-a-uuid'], '0'],
    ['a missing argument', 'setTyping', [randomUUID()], ''],
    ['an extra argument', 'logout', ['surprise'], ''],
    ['an unknown field', 'updateProfile', [{ displayName: 'Ann', isAdmin: true }], '0'],
    ['a history cursor the core never handed out', 'history', [randomUUID(), 'abc', 50], '1'],
    ['arguments that are not a list', 'markRead', { 0: randomUUID() }, ''],
  ])('answers VALIDATION_FAILED with field issues for %s, and runs nothing', async (_, method, args, path) => {
    const { serve, calls } = setup();
    const result = await serve(method, args);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: `Invalid arguments for ${method}` },
    });
    const issues = (result as { error: { details: { issues: { path: string }[] } } }).error.details.issues;
    expect(issues.map((issue) => issue.path)).toContain(path);
    expect(calls).toEqual([]);
  });

  it('runs a valid call with null read as an omitted argument, and answers undefined as null', async () => {
    const peer = randomUUID();
    const { serve, calls } = setup({ history: () => ['page'] });
    expect(await serve('history', [peer, null, 50])).toEqual({ ok: true, value: ['page'] });
    expect(await serve('history', [peer, '1764000000000:42', 50])).toEqual({ ok: true, value: ['page'] });
    expect(calls).toEqual([
      ['history', [peer, undefined, 50]],
      ['history', [peer, '1764000000000:42', 50]],
    ]);
    expect(await serve('logout', [])).toEqual({ ok: true, value: null });
  });

  it('keeps a CoreError’s code, message and details, and does not report it', async () => {
    const details = { retryAfterSeconds: 7 };
    const { serve, reported } = setup({
      sendText: () => {
        throw new CoreError('RATE_LIMITED', 'Too many messages', details);
      },
    });
    const result = await serve('sendText', [randomUUID(), 'hi']);
    expect(result).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'Too many messages', details } });
    expect(reported).toEqual([]);
  });

  it('turns any other failure into INTERNAL without its message or stack, and reports it', async () => {
    const bug = new TypeError('cannot read secretKey of undefined at /home/ann/.parley/keys');
    const { serve, reported } = setup({
      contacts: () => {
        throw bug;
      },
    });
    const result = await serve('contacts', []);
    expect(result).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'Something went wrong' } });
    expect(JSON.stringify(result)).not.toMatch(/secretKey|parley\/keys|TypeError/);
    expect(reported).toEqual([[bug, 'contacts']]);
  });
});
