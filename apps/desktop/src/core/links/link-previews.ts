import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { FETCHED_PREVIEW_IMAGE_BYTES, FetchedLinkPreview, PREVIEW_IMAGE_TYPES } from '@parley/shared';

export interface LinkPreviewOptions {
  /**
   * FOR TESTS ONLY: hosts (`hostname:port`, exactly as in the URL) that may be reached on
   * loopback or private addresses, so a test can serve a page on 127.0.0.1. Empty in the apps:
   * only the test support sets it, through the browser host's options.
   */
  allowPrivateHosts?: readonly string[];
}

/** The whole fetch (page, redirects and picture) ends after this long. */
const TIMEOUT_MS = 8_000;
/** Of a page, only this much is read: the `<head>` with its title and Open Graph tags comes first. */
const PAGE_BYTES = 512 * 1024;
const REDIRECTS = 3;
const PAGE_TYPES = ['text/html', 'application/xhtml+xml'];

/**
 * Addresses a preview must never reach: this computer, the local network and every other
 * non-public range (RFC 6890 and friends), IPv4 also as IPv6-mapped. A link in a message must not
 * become a way to probe the sender's router or services on 127.0.0.1.
 */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
  NOT_PUBLIC.addSubnet(`::ffff:${net}`, 96 + prefix, 'ipv6');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

export const isPublicAddress = (address: string): boolean => {
  const family = isIP(address);
  return family !== 0 && !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

class PreviewRefused extends Error {}

/**
 * Resolves a host name and hands the connection only a public address: the check and the
 * connection use the same answer, so a name that resolves to 127.0.0.1 on the second asking
 * (DNS rebinding) gets nowhere.
 */
const publicOnly: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 4);
    const list = addresses as unknown as { address: string; family: number }[];
    const refused = list.find((a) => !isPublicAddress(a.address));
    const first = list[0];
    if (refused || !first) return callback(new PreviewRefused(`${hostname} is not a public address`), '', 4);
    if ((options as { all?: boolean }).all) return (callback as (e: null, a: typeof list) => void)(null, list);
    callback(null, first.address, first.family);
  });
};

const decodeEntities = (s: string) =>
  s
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16) % 0x110000))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec) % 0x110000))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');

const clean = (s: string | undefined, max: number) =>
  s === undefined ? undefined : decodeEntities(s).replace(/\s+/g, ' ').trim().slice(0, max) || undefined;

/** `<meta property|name=… content=…>` values of a page, attributes in any order. */
function metaTags(html: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const [tag] of html.matchAll(/<meta\b[^>]*>/gi)) {
    const attr = (name: string) =>
      new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i')
        .exec(tag)
        ?.slice(1)
        .find((v) => v !== undefined);
    const key = (attr('property') ?? attr('name'))?.toLowerCase();
    const content = attr('content');
    if (key && content !== undefined && !tags.has(key)) tags.set(key, content);
  }
  return tags;
}

/** Title, description and picture URL of a page, from its Open Graph tags or its `<title>`. */
export function parsePage(
  html: string,
  pageUrl: string,
): { title: string; description?: string; image?: string } | null {
  const meta = metaTags(html);
  const title = clean(
    meta.get('og:title') ?? meta.get('twitter:title') ?? /<title[^>]*>([^<]*)</i.exec(html)?.[1],
    300,
  );
  if (!title) return null;
  const description = clean(
    meta.get('og:description') ?? meta.get('description') ?? meta.get('twitter:description'),
    1000,
  );
  let image: string | undefined;
  const imageUrl = meta.get('og:image') ?? meta.get('twitter:image');
  if (imageUrl) {
    try {
      const resolved = new URL(decodeEntities(imageUrl.trim()), pageUrl);
      if (resolved.protocol === 'https:' || resolved.protocol === 'http:') image = resolved.href;
    } catch {}
  }
  return { title, ...(description ? { description } : {}), ...(image ? { image } : {}) };
}

/**
 * Link previews made on this computer, for the messages it sends: the page's title, description
 * and picture, fetched over http(s) from public addresses only, at most `REDIRECTS` redirects,
 * `PAGE_BYTES` of the page and `FETCHED_PREVIEW_IMAGE_BYTES` of the picture, all within
 * `TIMEOUT_MS`. No cookies or credentials are sent. The receiver of the message never fetches
 * anything: the preview travels inside the encrypted message.
 */
export class LinkPreviews {
  private readonly allowPrivateHosts: ReadonlySet<string>;

  constructor(options: LinkPreviewOptions = {}) {
    this.allowPrivateHosts = new Set(options.allowPrivateHosts ?? []);
  }

  /** The preview of `url`; null when it cannot be had (refused, unreachable, too big, slow, no title). */
  async fetch(url: string): Promise<FetchedLinkPreview | null> {
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    try {
      const page = await this.get(url, signal, PAGE_TYPES, PAGE_BYTES, true);
      if (!page) return null;
      const parsed = parsePage(decode(page.body, page.charset), page.url);
      if (!parsed) return null;
      const preview: FetchedLinkPreview = { url, title: parsed.title };
      if (parsed.description) preview.description = parsed.description;
      if (parsed.image) {
        const image = await this.get(
          parsed.image,
          signal,
          PREVIEW_IMAGE_TYPES,
          FETCHED_PREVIEW_IMAGE_BYTES,
          false,
        ).catch(() => null);
        if (image)
          preview.image = {
            contentType: image.type as (typeof PREVIEW_IMAGE_TYPES)[number],
            data: image.body.toString('base64'),
          };
      }
      return FetchedLinkPreview.safeParse(preview).success ? preview : null;
    } catch {
      return null;
    }
  }

  /**
   * One resource, following redirects: its body (a page is cut at `maxBytes`, anything else over
   * `maxBytes` is refused) if its type is one of `types`; null otherwise.
   */
  private async get(
    url: string,
    signal: AbortSignal,
    types: readonly string[],
    maxBytes: number,
    truncate: boolean,
  ): Promise<{ body: Buffer; type: string; charset: string | undefined; url: string } | null> {
    let target = new URL(url);
    for (let hop = 0; hop <= REDIRECTS; hop++) {
      if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
      if (target.username || target.password) return null;
      const res = await this.request(target, signal);
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
        res.destroy();
        target = new URL(location, target);
        continue;
      }
      const [type = '', ...params] = (res.headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase());
      const declared = Number(res.headers['content-length'] ?? 0);
      if (res.statusCode !== 200 || !types.includes(type) || (!truncate && declared > maxBytes)) {
        res.destroy();
        return null;
      }
      const body = await readAtMost(res, maxBytes, truncate);
      if (!body) return null;
      const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
      return { body, type, charset, url: target.href };
    }
    return null;
  }

  private request(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    // Test hosts named in the options may be private; everything else must be public.
    const allowed = this.allowPrivateHosts.has(url.host);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowed && isIP(literal) && !isPublicAddress(literal))
      return Promise.reject(new PreviewRefused(`${url.host} is not a public address`));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'GET',
        signal,
        headers: { 'user-agent': 'Parley link preview', accept: '*/*', 'accept-encoding': 'identity' },
        ...(allowed ? {} : { lookup: publicOnly }),
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
  }
}

/** Reads a response up to `max` bytes: a page is cut there (truncate), anything else over it is refused (null). */
async function readAtMost(res: IncomingMessage, max: number, truncate: boolean): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.destroy();
      if (!truncate) return null;
      chunks.push(chunk.subarray(0, chunk.length - (size - max)));
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function decode(body: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}
