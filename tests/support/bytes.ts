import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Everything a stream gives, in one buffer (test files are small enough). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
