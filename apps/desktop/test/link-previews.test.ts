import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPublicAddress, LinkPreviews, parsePage } from '@parley/desktop';
import { FETCHED_PREVIEW_IMAGE_BYTES } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PAGE = `<html><head><title>Plain title</title>
  <meta content="Open &amp; Graph" property="og:title">
  <meta name="description" content="A description">
  <meta property="og:image" content="/picture.png"></head></html>`;

/** A site on loopback that logs every request; `routes` answer by path. */
function site(routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>) {
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    log.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  return {
    log,
    server,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
  };
}

const html = (body: string) => (_: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
};

describe('link previews, made safely by the sender', () => {
  let host = '';
  let other = '';
  const target = site({
    '/article': html(PAGE),
    '/picture.png': (_, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    },
    '/huge-picture': html('<title>Big picture</title><meta property="og:image" content="/huge.png">'),
    '/huge.png': (_, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.alloc(FETCHED_PREVIEW_IMAGE_BYTES + 1));
    },
    '/endless': (_, res) => {
      // A title, then far more page than a preview reads: the rest is never asked for.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<title>Endless</title>');
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const more = () => {
        while (res.write(chunk)) {}
      };
      res.on('drain', more);
      more();
    },
    '/to-internal': (_, res) => {
      res.writeHead(302, { location: `http://${other}/secret` });
      res.end();
    },
    '/to-file': (_, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    },
    '/script': (_, res) => {
      res.writeHead(200, { 'content-type': 'application/javascript' });
      res.end('<title>not a page</title>');
    },
  });
  // Something on the local network the attacker would like the sender's app to reach.
  const internal = site({ '/secret': html('<title>Router admin</title>') });

  beforeAll(async () => {
    host = await target.start();
    other = await internal.start();
  });
  afterAll(async () => {
    target.server.closeAllConnections();
    await new Promise((resolve) => target.server.close(resolve));
    await new Promise((resolve) => internal.server.close(resolve));
  });

  it('makes a preview: Open Graph title and description, and the picture', async () => {
    const previews = new LinkPreviews({ allowPrivateHosts: [host] });
    const preview = await previews.fetch(`http://${host}/article`);
    expect(preview).toEqual({
      url: `http://${host}/article`,
      title: 'Open & Graph',
      description: 'A description',
      image: { contentType: 'image/png', data: PNG.toString('base64') },
    });
  });

  it('never reaches loopback or private addresses, however named, unless a test allows that host', async () => {
    const previews = new LinkPreviews();
    const before = target.log.length;
    const port = host.split(':')[1];
    for (const url of [
      `http://${host}/article`,
      `http://localhost:${port}/article`,
      `http://[::1]:${port}/article`,
      `http://[::ffff:127.0.0.1]:${port}/article`,
      `http://0x7f000001:${port}/article`,
      `http://2130706433:${port}/article`,
    ])
      expect(await previews.fetch(url)).toBeNull();
    expect(target.log.length).toBe(before);
  });

  it('follows no redirect to a private address or out of http(s), even from an allowed host', async () => {
    const previews = new LinkPreviews({ allowPrivateHosts: [host] });
    expect(await previews.fetch(`http://${host}/to-internal`)).toBeNull();
    expect(internal.log).toEqual([]);
    expect(await previews.fetch(`http://${host}/to-file`)).toBeNull();
    for (const url of ['file:///etc/passwd', 'ftp://example.org/', 'javascript:alert(1)', 'not a url'])
      expect(await previews.fetch(url)).toBeNull();
  });

  it('reads a limited part of a page, refuses a picture over the limit, and only pages make previews', async () => {
    const previews = new LinkPreviews({ allowPrivateHosts: [host] });
    expect(await previews.fetch(`http://${host}/endless`)).toEqual({ url: `http://${host}/endless`, title: 'Endless' });
    expect(await previews.fetch(`http://${host}/huge-picture`)).toEqual({
      url: `http://${host}/huge-picture`,
      title: 'Big picture',
    });
    expect(await previews.fetch(`http://${host}/script`)).toBeNull();
  });

  it('knows which addresses are public', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1'])
      expect(isPublicAddress(address), address).toBe(false);
    for (const address of ['::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1'])
      expect(isPublicAddress(address), address).toBe(false);
    for (const address of ['1.1.1.1', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isPublicAddress(address), address).toBe(true);
  });

  it('reads titles however the page writes its tags', () => {
    expect(parsePage("<meta property='og:title' content='Single'>", 'https://a.example/')).toEqual({ title: 'Single' });
    expect(parsePage('<TITLE>  Upper\n case  </TITLE>', 'https://a.example/')).toEqual({ title: 'Upper case' });
    expect(parsePage('<p>No title</p>', 'https://a.example/')).toBeNull();
    expect(
      parsePage('<title>T</title><meta property="og:image" content="javascript:alert(1)">', 'https://a.example/'),
    ).toEqual({ title: 'T' });
  });
});
