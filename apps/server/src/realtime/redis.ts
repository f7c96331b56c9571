import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { Server, ServerOptions } from 'socket.io';

export type RedisClient = ReturnType<typeof createClient>;
export const REDIS = Symbol('REDIS');

export async function connectRedis(url: string): Promise<RedisClient> {
  const client = createClient({ url });
  client.on('error', () => {}); // the client reconnects by itself; callers see failed commands
  await client.connect();
  return client;
}

/**
 * Socket.IO on the Redis streams adapter, so several instances share rooms, broadcasts,
 * `fetchSockets` and server-side events. Delivery never depends on it: envelopes are in
 * PostgreSQL and every connection drains its queue.
 */
export class RedisStreamsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly redis: RedisClient,
    private readonly streamName: string,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, options);
    server.adapter(createAdapter(this.redis, { streamName: this.streamName }));
    return server;
  }
}
