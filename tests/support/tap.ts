import { createConnection, createServer } from 'node:net';

export interface Tap {
  /** The URL to use instead of the server's. */
  url: string;
  /** Every byte the server sent through the tap so far (WebSocket frames from a server are unmasked). */
  fromServer(): Buffer;
  /**
   * Plays a hostile server: from now on, every `from` in what the server sends is replaced by its
   * `to` (of the same length, so frame lengths hold), e.g. to relabel one device's messages as
   * another's. Call with no pairs to stop.
   */
  relabel(pairs: [from: string, to: string][]): void;
  close(): Promise<void>;
}

/** `data` with every `from` replaced by `to`. */
function replaceAll(data: Buffer, from: Buffer, to: Buffer): Buffer {
  let at = data.indexOf(from);
  if (at < 0) return data;
  const out = Buffer.from(data);
  for (; at >= 0; at = out.indexOf(from, at + from.length)) to.copy(out, at);
  return out;
}

/** A TCP pass-through in front of a server that records what the server sends: what a network observer, or a bug, would see. */
export async function startTap(serverUrl: string): Promise<Tap> {
  const target = new URL(serverUrl);
  const chunks: Buffer[] = [];
  const open = new Set<() => void>();
  let relabels: [Buffer, Buffer][] = [];
  /** Per connection: sends on what was held back (the start of a `from` cut by a chunk's end). */
  const flushes = new Set<() => void>();
  const proxy = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    let held: Buffer = Buffer.alloc(0);
    const forward = (chunk: Buffer) => {
      let data: Buffer = Buffer.concat([held, chunk]);
      for (const [from, to] of relabels) data = replaceAll(data, from, to);
      // Hold back the longest tail that could be the start of a `from`: the next chunk completes it.
      let keep = 0;
      for (const [from] of relabels) {
        for (let n = Math.min(from.length - 1, data.length); n > keep; n--) {
          if (data.subarray(data.length - n).equals(from.subarray(0, n))) keep = n;
        }
      }
      held = data.subarray(data.length - keep);
      client.write(data.subarray(0, data.length - keep));
    };
    const flush = () => forward(Buffer.alloc(0));
    flushes.add(flush);
    upstream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      forward(chunk);
    });
    client.pipe(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(end);
      flushes.delete(flush);
    };
    open.add(end);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (typeof address !== 'object' || !address) throw new Error('the tap has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    fromServer: () => Buffer.concat(chunks),
    relabel(pairs) {
      for (const [from, to] of pairs) {
        if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error('a relabel must keep the length');
      }
      relabels = pairs.map(([from, to]) => [Buffer.from(from), Buffer.from(to)]);
      for (const flush of flushes) flush();
    },
    close: () =>
      new Promise((resolve) => {
        proxy.close(() => resolve());
        for (const end of open) end();
      }),
  };
}
