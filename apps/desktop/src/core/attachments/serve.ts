import { Readable } from 'node:stream';
import { INLINE_IMAGE_TYPES } from '@parley/shared';
import type { ParleyCore } from '../core.js';

/**
 * Serves an attachment's plaintext to the renderer (the browser host over HTTP, Electron through
 * its `parley-attachment:` protocol): decrypted from the local copy as it is read, with byte
 * ranges so audio can seek. What a file says its type is cannot make it run in the app: only
 * images, audio and video are shown inline, and never SVG (it can carry script); everything else
 * is served as a download, and every answer is sandboxed and unsniffable.
 */
export interface AttachmentResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable | null;
}

const INLINE_MEDIA = /^(audio|video)\/[\w.+-]+$/;

export function attachmentResponse(
  core: ParleyCore,
  messageId: string,
  options: { range?: string | null; download: boolean },
): AttachmentResponse {
  const base = {
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': 'sandbox',
    'Cache-Control': 'no-store',
  };
  const opened = /^[0-9a-f-]{36}$/.test(messageId) ? core.openAttachment(messageId) : null;
  if (!opened) return { status: 404, headers: base, body: null };
  const { pointer, data } = opened;
  const type = pointer.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const inline = !options.download && (INLINE_IMAGE_TYPES.has(type) || INLINE_MEDIA.test(type));
  const headers: Record<string, string> = {
    ...base,
    'Content-Type': inline ? type : 'application/octet-stream',
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; ${dispositionFilename(pointer.name)}`,
    'Accept-Ranges': 'bytes',
  };
  const range = parseRange(options.range, pointer.size);
  if (range === 'unsatisfiable') {
    data.destroy();
    return { status: 416, headers: { ...base, 'Content-Range': `bytes */${pointer.size}` }, body: null };
  }
  if (!range) return { status: 200, headers: { ...headers, 'Content-Length': String(pointer.size) }, body: data };
  const [start, end] = range;
  return {
    status: 206,
    headers: {
      ...headers,
      'Content-Length': String(end - start + 1),
      'Content-Range': `bytes ${start}-${end}/${pointer.size}`,
    },
    body: Readable.from(slice(data, start, end)),
  };
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` (one range); null means the whole file. */
function parseRange(header: string | null | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (!match[1] && !match[2])) return null;
  const start = match[1] ? Number(match[1]) : Math.max(0, size - Number(match[2]));
  const end = match[1] && match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  return start > end || start >= size ? 'unsatisfiable' : [start, end];
}

/** Both forms of a filename: a plain ASCII fallback and the exact UTF-8 name (RFC 6266). */
function dispositionFilename(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Bytes `start`…`end` (inclusive) of `data`; stops reading (and decrypting) once past the end. */
async function* slice(data: AsyncIterable<Buffer>, start: number, end: number): AsyncGenerator<Buffer> {
  let position = 0;
  for await (const chunk of data) {
    const from = Math.max(0, start - position);
    const to = Math.min(chunk.length, end + 1 - position);
    position += chunk.length;
    if (to > from) yield chunk.subarray(from, to);
    if (position > end) return;
  }
}
