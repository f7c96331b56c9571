import { ErrorBody, ROUTES } from '@parley/shared';
import { call, register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { beforeAll, describe, expect, it } from 'vitest';

const t = withServer();
let token: string;

beforeAll(async () => {
  token = (await register(t.url)).accessToken;
});

const HUGE = 'x'.repeat(100_000);
const BAD_BODIES: [string, string, string?][] = [
  ['invalid JSON', '{"username": '],
  ['JSON null', 'null'],
  ['a JSON array', '[1,2,3]'],
  ['a JSON string', '"hello"'],
  ['a number', '42'],
  ['an empty object', '{}'],
  [
    'wrong types',
    JSON.stringify({ username: 1, password: true, displayName: [], device: 'x', userId: 5, refreshToken: {} }),
  ],
  ['extra fields', JSON.stringify({ surprise: 1 })],
  ['huge strings', JSON.stringify({ username: HUGE.slice(0, 60_000) })],
  ['a body over the size limit', JSON.stringify({ username: HUGE })],
  ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ['text/plain', 'username=alice', 'text/plain'],
  ['form encoding', 'username=alice&password=x', 'application/x-www-form-urlencoded'],
  ['no content type', '{"a":1}', ''],
  ['a bad charset', '{"a":1}', 'application/json; charset=klingon'],
];
const BAD_PATH_VALUES = ['not-a-uuid', '1', '%00', `${'a'.repeat(5000)}`, "'; DROP TABLE users; --", '..%2F..%2Fetc'];
const BAD_QUERIES = [
  'q=',
  `q=${'x'.repeat(5000)}`,
  'q=a&q=b',
  'limit=-1&q=a',
  'limit=1e9&q=a',
  'cursor=%ZZ&q=a',
  'q[a]=1',
  'x=1',
];

function expectClientError(res: { status: number; body: unknown }, what: string) {
  expect(res.status, `${what} → ${res.status} ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, what).toBeLessThan(500);
  expect(ErrorBody.safeParse(res.body).success, `${what} answers the error shape`).toBe(true);
}

const concretePath = (path: string, value = '00000000-0000-4000-8000-000000000000') => path.replace(/:\w+/g, value);

describe('malformed requests', () => {
  for (const [name, route] of Object.entries(ROUTES)) {
    it(`${route.method} ${route.path} (${name}) never answers 5xx`, async () => {
      const auth = route.auth ? { token } : {};
      if ('body' in route || 'binaryBody' in route) {
        for (const [what, rawBody, contentType = 'application/json'] of BAD_BODIES) {
          const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
          const res = await call(t.url, route.method, concretePath(route.path), { ...auth, rawBody, headers });
          expectClientError(res, `${name}: ${what}`);
        }
      }
      if ('params' in route) {
        for (const value of BAD_PATH_VALUES) {
          const res = await call(t.url, route.method, concretePath(route.path, value), auth);
          expectClientError(res, `${name}: path ${value.slice(0, 20)}`);
        }
      }
      if ('query' in route) {
        for (const qs of BAD_QUERIES) {
          if (name === 'listContacts' && (qs === 'q=' || qs.startsWith('limit') || qs.startsWith('cursor'))) continue;
          const res = await call(t.url, route.method, `${concretePath(route.path)}?${qs}`, auth);
          expectClientError(res, `${name}: query ${qs.slice(0, 20)}`);
        }
      }
      // A bad or missing token on a protected route is a 401, never a 5xx.
      if (route.auth) {
        for (const bad of ['', 'Bearer', 'Bearer x.y.z', `Bearer ${'a'.repeat(10_000)}`, 'Basic dXNlcjpwYXNz']) {
          const res = await call(t.url, route.method, concretePath(route.path), {
            headers: bad ? { authorization: bad } : {},
          });
          expect(res.status, `${name}: auth "${bad.slice(0, 12)}"`).toBe(401);
        }
      }
    });
  }

  it('answers unknown routes and methods with 404 in the error shape', async () => {
    expectClientError(await call(t.url, 'GET', '/nope'), 'unknown route');
    expectClientError(await call(t.url, 'PUT', '/auth/login', { body: {} }), 'unknown method');
    expectClientError(await call(t.url, 'GET', '/api/v2/users/me'), 'unknown prefix');
  });

  it('keeps serving after the sweep', async () => {
    expect((await call(t.url, 'GET', '/health')).status).toBe(200);
    expect((await call(t.url, 'GET', '/users/me', { token })).status).toBe(200);
    expect(t.server.output()).not.toMatch(/"level":50/); // no error was logged: nothing unexpected happened
  });
});
