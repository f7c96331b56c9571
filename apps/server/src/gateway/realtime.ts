import { Inject, Injectable } from '@nestjs/common';
import { SERVER_EVENTS, type SessionEndedBy } from '@parley/shared';
import type { Server } from 'socket.io';
import { REDIS, type RedisClient } from './redis.js';

export const userRoom = (userId: string) => `user:${userId}`;
export const deviceRoom = (deviceId: string) => `device:${deviceId}`;

/** Runs a device's queue delivery on the instance that holds its socket. */
export interface QueuePump {
  /** These devices' queues have something new: read them. */
  wakeLocal(deviceIds: readonly string[]): void;
}

/** Socket.IO event sent between server instances (through the adapter) to wake queue delivery. */
const WAKE = 'parley:wake';

/**
 * What services may do to connected clients, without knowing about sockets: wake a device's
 * queue delivery, emit to users or devices, end a device's session. Works across instances
 * through the Socket.IO adapter; a no-op until the gateway is up.
 */
@Injectable()
export class Realtime {
  private server?: Server;
  private pump?: QueuePump;
  /** Other instances exist only with a shared adapter; the in-memory one cannot relay to them. */
  private readonly clustered: boolean;

  constructor(@Inject(REDIS) redis: RedisClient | null) {
    this.clustered = redis !== null;
  }

  attach(server: Server, pump: QueuePump): void {
    this.server = server;
    this.pump = pump;
    server.on(WAKE, (deviceIds: string[]) => pump.wakeLocal(deviceIds));
  }

  /** New envelopes are waiting for these devices: wake their delivery wherever they are connected. */
  queued(deviceIds: readonly string[]): void {
    const ids = [...new Set(deviceIds)];
    if (ids.length === 0) return;
    this.pump?.wakeLocal(ids);
    if (this.clustered) this.server?.serverSideEmit(WAKE, ids);
  }

  toUsers(userIds: readonly string[], event: string, payload: unknown): void {
    if (userIds.length > 0) this.server?.to(userIds.map(userRoom)).emit(event, payload);
  }

  toDevices(deviceIds: readonly string[], event: string, payload: unknown): void {
    if (deviceIds.length > 0) this.server?.to(deviceIds.map(deviceRoom)).emit(event, payload);
  }

  /** The users (of those given) with at least one connected device, on any instance. */
  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    if (!this.server || userIds.length === 0) return new Set();
    const sockets = await this.server.in(userIds.map(userRoom)).fetchSockets();
    return new Set(sockets.map((s) => s.data.userId as string));
  }

  /** The devices (of those given) that are connected, on any instance. */
  async onlineDevices(deviceIds: readonly string[]): Promise<Set<string>> {
    if (!this.server || deviceIds.length === 0) return new Set();
    const sockets = await this.server.in(deviceIds.map(deviceRoom)).fetchSockets();
    return new Set(sockets.map((s) => s.data.deviceId as string));
  }

  /** Tells a device its session ended (and who ended it), and closes its sockets. */
  endDeviceSession(deviceId: string, reason: 'revoked' | 'replaced', by?: SessionEndedBy): void {
    if (!this.server) return;
    this.server.to(deviceRoom(deviceId)).emit(SERVER_EVENTS.sessionEnded, { reason, ...(by ? { by } : {}) });
    this.server.in(deviceRoom(deviceId)).disconnectSockets(true);
  }
}
