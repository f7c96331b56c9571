import { createConnection, createServer, type Socket } from 'node:net';

export interface ByteMeter {
  /** `http://127.0.0.1:<port>`: connections here go on to the target. */
  url: string;
  /** Bytes sent towards the target so far, over all connections. */
  sent(): number;
  /** Connections closed so far. */
  closed(): number;
  close(): Promise<void>;
}

/** A loopback TCP relay to `target` counting what goes through it, to see a request body arrive. */
export function byteMeter(target: { host: string; port: number }): Promise<ByteMeter> {
  let sent = 0;
  let closed = 0;
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection(target);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on('data', (chunk: Buffer) => (sent += chunk.length));
    inbound.on('close', () => closed++);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || !address) return reject(new Error('no address'));
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        sent: () => sent,
        closed: () => closed,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
