import { API_PREFIX, ROUTES } from '@parley/shared';
import { call, login, PASSWORD, register } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

const t = withServer({ CORS_ORIGINS: 'http://allowed.example' });

describe('HTTP surface', () => {
  it('reports the database state on /health', async () => {
    const res = await call(t.url, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'up' });
  });

  it('sends security headers', async () => {
    const res = await call(t.url, 'GET', '/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('allows only configured origins (CORS is closed otherwise)', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}${API_PREFIX}/auth/login`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect((await preflight('http://allowed.example')).headers.get('access-control-allow-origin')).toBe(
      'http://allowed.example',
    );
    expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('tags every response with a request id, keeping a well-formed one the client sent', async () => {
    const mine = await call(t.url, 'GET', '/health', { headers: { 'x-request-id': 'client-chosen-id-123' } });
    expect(mine.headers.get('x-request-id')).toBe('client-chosen-id-123');
    const bad = await call(t.url, 'GET', '/health', { headers: { 'x-request-id': '<script>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI document covering every route, and a docs page', async () => {
    const doc = await call(t.url, 'GET', '/api/docs/openapi.json');
    expect(doc.status).toBe(200);
    for (const route of Object.values(ROUTES)) {
      const path = API_PREFIX + route.path.replace(/:(\w+)/g, '{$1}');
      expect(doc.body.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined();
    }
    const page = await fetch(`${t.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    expect((await fetch(`${t.url}/api/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('writes structured JSON logs with request ids and no password or token', async () => {
    const alice = await register(t.url);
    const again = await login(t.url, alice.user.username);
    const refreshed = await call(t.url, 'POST', '/auth/refresh', { body: { refreshToken: again.body.refreshToken } });
    await call(t.url, 'GET', '/users/me', { token: refreshed.body.accessToken });
    await new Promise((r) => setTimeout(r, 200)); // let the last log lines arrive
    const lines = t.server
      .output()
      .split('\n')
      .filter((l) => l.trim());
    const requests = lines.map((l) => JSON.parse(l)).filter((entry) => entry.req?.id);
    expect(requests.some((entry) => entry.req.path === `${API_PREFIX}/auth/refresh`)).toBe(true);
    const all = lines.join('\n');
    for (const secret of [
      PASSWORD,
      alice.refreshToken,
      alice.accessToken,
      again.body.refreshToken,
      refreshed.body.accessToken,
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
