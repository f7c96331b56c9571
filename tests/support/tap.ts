import { createConnection, createServer } from 'node:net';

export interface Tap {
  /** The URL to use instead of the server's. */
  url: string;
  /** Every byte the server sent through the tap so far (WebSocket frames from a server are unmasked). */
  fromServer(): Buffer;
  close(): Promise<void>;
}

/** A TCP pass-through in front of a server that records what the server sends: what a network observer, or a bug, would see. */
export async function startTap(serverUrl: string): Promise<Tap> {
  const target = new URL(serverUrl);
  const chunks: Buffer[] = [];
  const open = new Set<() => void>();
  const proxy = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    upstream.on('data', (chunk) => chunks.push(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(end);
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
    close: () =>
      new Promise((resolve) => {
        proxy.close(() => resolve());
        for (const end of open) end();
      }),
  };
}
