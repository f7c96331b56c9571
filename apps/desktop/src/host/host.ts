import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ClientBridge } from '@parley/shared';
import { Server } from 'socket.io';
import { BRIDGE_CALL, BRIDGE_EVENT, bridgeClient } from '../bridge/bridge.js';
import { contentSecurityPolicy } from '../bridge/content-security-policy.js';
import { CoreThread } from '../core/core-thread.js';

export interface HostOptions {
  dataDir: string;
  serverUrl: string;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
}

export interface RunningHost {
  /** The URL to open, with the per-run key. */
  url: string;
  origin: string;
  /** The core (in its own thread), as the page reaches it. */
  core: ClientBridge;
  /** Settles with the reason if the core's thread dies (it is reported here too); the host is no use then. */
  coreCrashed: Promise<Error>;
  close(): Promise<void>;
}

export const BRIDGE_PATH = '/bridge';
/** Where the host's redirect puts the key for the page (a fragment never reaches a server). */
export const KEY_FRAGMENT = 'key';
const COOKIE = 'parley_host';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

function securityHeaders(origin: string): Record<string, string> {
  const ws = origin.replace(/^http/, 'ws');
  return {
    'Content-Security-Policy': contentSecurityPolicy([ws]),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

const same = (a: string | undefined, b: string) =>
  !!a && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The browser host: serves the renderer to a browser on 127.0.0.1, with the core's API on a
 * Socket.IO bridge; the core runs in its own thread (`CoreThread`), this one only serves. Two
 * per-run secrets guard it. The key, printed in the URL, is exchanged once for a cookie
 * (HttpOnly, SameSite=Strict) that every file needs; the redirect hands the key on to the page
 * in the URL fragment, which the page keeps in its tab's sessionStorage and presents in the
 * bridge handshake. Cookies are not port-scoped (any other server on 127.0.0.1 receives this
 * one), so the cookie alone never opens the bridge. Every request must name this host in its
 * Host header (127.0.0.1 or localhost, this port): a DNS-rebinding page, same IP under another
 * name, is refused.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const key = randomBytes(32).toString('base64url');
  const cookieSecret = randomBytes(32).toString('base64url');
  // The core's thread opens the keychain and the store at once, while the browser loads the page.
  const thread = new CoreThread({ dataDir: options.dataDir, serverUrl: options.serverUrl });
  void thread.crashed.then((error) => console.error('parley host: the core stopped', error));
  const root = resolve(options.rendererDir);
  let origin = '';
  let hosts = new Set<string>();
  const ownHost = (req: IncomingMessage) => hosts.has(req.headers.host ?? '');

  const http = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      console.error(`parley host: serving ${req.url} failed`, error);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const headers = securityHeaders(origin);
    if (!ownHost(req)) {
      res.writeHead(421, headers).end('Not this host');
      return;
    }
    if (url.searchParams.has('key')) {
      if (!same(url.searchParams.get('key') ?? undefined, key)) {
        res.writeHead(403, headers).end('Wrong key');
        return;
      }
      res
        .writeHead(303, {
          ...headers,
          Location: `/#${KEY_FRAGMENT}=${key}`,
          'Set-Cookie': `${COOKIE}=${cookieSecret}; HttpOnly; SameSite=Strict; Path=/`,
        })
        .end();
      return;
    }
    if (!same(cookieOf(req), cookieSecret)) {
      res
        .writeHead(403, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
        .end('Open the address the Parley host printed.');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    const attachment = url.pathname.match(/^\/attachments\/([^/]+)$/);
    if (attachment?.[1]) {
      const answer = await thread.attachment(attachment[1], {
        range: req.headers.range,
        download: url.searchParams.has('download'),
      });
      res.writeHead(answer.status, { ...headers, ...answer.headers });
      if (!answer.body || req.method === 'HEAD') {
        answer.body?.destroy();
        res.end();
        return;
      }
      // A player that seeks closes the connection mid-file: not a fault.
      await pipeline(answer.body, res).catch(() => {});
      return;
    }
    const path = normalize(join(root, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)));
    if (path !== root && !path.startsWith(root + sep)) {
      res.writeHead(404, headers).end();
      return;
    }
    const file = (await stat(path).catch(() => null))?.isFile() ? path : join(root, 'index.html');
    const body = await readFile(file);
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  }

  const io = new Server(http, {
    path: BRIDGE_PATH,
    transports: ['websocket'],
    serveClient: false,
    maxHttpBufferSize: 8 * 1024 * 1024,
    // Only our page: our Host, its own origin and the cookie; then the key (below).
    allowRequest: (req, callback) =>
      callback(
        null,
        ownHost(req) && req.headers.origin === `http://${req.headers.host}` && same(cookieOf(req), cookieSecret),
      ),
  });
  io.use((socket, next) => {
    const presented = (socket.handshake.auth as { key?: unknown }).key;
    next(
      typeof presented === 'string' && same(presented, key)
        ? undefined
        : new Error('Open the address the Parley host printed.'),
    );
  });
  // A page connected is a window open: presence says "online" while one is (not while only the host runs).
  let pages = 0;
  const windowOpen = (open: boolean) => void thread.invoke('setWindowOpen', [open]);
  io.on('connection', (socket) => {
    if (++pages === 1) windowOpen(true);
    socket.on('disconnect', () => {
      if (--pages === 0) windowOpen(false);
    });
    socket.on(BRIDGE_CALL, async (method: unknown, args: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      ack(await thread.invoke(method, args));
    });
  });
  const stopEvents = thread.subscribe((event, payload) => io.emit(BRIDGE_EVENT, event, payload));

  await new Promise<void>((ok) => http.listen(options.port, '127.0.0.1', ok));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  origin = `http://127.0.0.1:${port}`;
  hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return {
    url: `${origin}/?key=${key}`,
    origin,
    core: bridgeClient(thread),
    coreCrashed: thread.crashed,
    async close() {
      stopEvents();
      await thread.close();
      await new Promise<void>((ok) => io.close(() => ok()));
      // Keep-alive connections would otherwise go on being served by a host that has stopped.
      http.closeAllConnections();
    },
  };
}
