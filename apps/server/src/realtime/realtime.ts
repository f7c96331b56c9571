import { Inject, Injectable } from '@nestjs/common';
import { SERVER_EVENTS, type ServerEvent, type ServerPayload, type SessionEndedBy } from '@parley/shared';
import type { Server } from 'socket.io';
import type { Queued, QueuedEnvelope } from '../messages/messages.repository.js';
import { REDIS, type RedisClient } from './redis.js';

export const userRoom = (userId: string) => `user:${userId}`;
export const deviceRoom = (deviceId: string) => `device:${deviceId}`;

/** Wakes the deliveries of these devices, with what was just queued for them when it is known. */
export type WakeLocal = (queued: ReadonlyMap<string, readonly Queued[] | undefined>) => void;

/** Socket.IO event sent between server instances (through the adapter) to wake queue delivery. */
const WAKE = 'parley:wake';

/**
 * What services may do to connected clients, without knowing about sockets: wake a device's
 * queue delivery, emit to users or devices, end a device's session. Works across instances
 * through the Socket.IO adapter; a no-op until the gateway attaches its server.
 */
@Injectable()
export class Realtime {
  private server?: Server;
  /** Runs the queue delivery of devices connected to this instance (the messaging module's). */
  private wakeLocal: WakeLocal = () => {};
  /** Other instances exist only with a shared adapter; the in-memory one cannot relay to them. */
  private readonly clustered: boolean;

  constructor(@Inject(REDIS) redis: RedisClient | null) {
    this.clustered = redis !== null;
  }

  attach(server: Server): void {
    this.server = server;
    server.on(WAKE, (deviceIds: string[]) => this.wakeLocal(new Map(deviceIds.map((id) => [id, undefined]))));
  }

  /** Who delivers the queues of this instance's connected devices when `queued` names them. */
  onQueued(wakeLocal: WakeLocal): void {
    this.wakeLocal = wakeLocal;
  }

  /**
   * Envelopes just queued: wake their devices' delivery wherever they are connected. Here, the
   * envelopes go with the wake (a delivery that is idle sends them without reading its queue);
   * other instances are told the device ids, and read.
   */
  queued(envelopes: readonly QueuedEnvelope[]): void {
    if (envelopes.length === 0) return;
    const byDevice = new Map<string, Queued[]>();
    for (const { destinationDeviceId, ...queued } of envelopes) {
      const page = byDevice.get(destinationDeviceId);
      if (page) page.push(queued);
      else byDevice.set(destinationDeviceId, [queued]);
    }
    this.wakeLocal(byDevice);
    if (this.clustered) this.server?.serverSideEmit(WAKE, [...byDevice.keys()]);
  }

  toUsers<E extends ServerEvent>(userIds: readonly string[], event: E, payload: ServerPayload<E>): void {
    if (userIds.length > 0) this.server?.to(userIds.map(userRoom)).emit(SERVER_EVENTS[event], payload);
  }

  toDevices<E extends ServerEvent>(deviceIds: readonly string[], event: E, payload: ServerPayload<E>): void {
    if (deviceIds.length > 0) this.server?.to(deviceIds.map(deviceRoom)).emit(SERVER_EVENTS[event], payload);
  }

  /** The users (of those given) online: a connected device with an app window open, on any instance. */
  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    if (!this.server || userIds.length === 0) return new Set();
    const sockets = await this.server.in(userIds.map(userRoom)).fetchSockets();
    return new Set(sockets.filter((s) => s.data.active !== false).map((s) => s.data.userId as string));
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.onlineUsers([userId])).size > 0;
  }

  /** The devices (of those given) that are connected, on any instance. */
  async onlineDevices(deviceIds: readonly string[]): Promise<Set<string>> {
    if (!this.server || deviceIds.length === 0) return new Set();
    const sockets = await this.server.in(deviceIds.map(deviceRoom)).fetchSockets();
    return new Set(sockets.map((s) => s.data.deviceId as string));
  }

  /** How many sockets, and of how many devices, are connected to this instance. */
  localConnections(): { sockets: number; devices: number } {
    const sockets = this.server?.of('/').sockets;
    if (!sockets) return { sockets: 0, devices: 0 };
    const devices = new Set<unknown>();
    for (const socket of sockets.values()) devices.add(socket.data?.deviceId);
    devices.delete(undefined);
    return { sockets: sockets.size, devices: devices.size };
  }

  /** The devices connected to this instance. */
  localDeviceIds(): string[] {
    const sockets = this.server?.of('/').sockets.values() ?? [];
    return [...new Set([...sockets].flatMap((s) => (s.data?.deviceId ? [s.data.deviceId as string] : [])))];
  }

  /**
   * Ends the sessions of a user or a device connected to this instance only: for a notice every
   * instance hears by itself (see `SessionNotices`).
   */
  endLocalSessions(
    target: { kind: 'user'; userId: string } | { kind: 'device'; deviceId: string },
    by: SessionEndedBy,
  ): void {
    if (!this.server) return;
    const room = target.kind === 'user' ? userRoom(target.userId) : deviceRoom(target.deviceId);
    this.server.local
      .to(room)
      .emit(SERVER_EVENTS.sessionEnded, { reason: 'revoked', by } satisfies ServerPayload<'sessionEnded'>);
    this.server.local.in(room).disconnectSockets(true);
  }

  /** Tells a device its session ended (and who ended it), and closes its sockets. */
  endDeviceSession(deviceId: string, reason: 'revoked' | 'replaced', by?: SessionEndedBy): void {
    if (!this.server) return;
    this.toDevices([deviceId], 'sessionEnded', { reason, ...(by ? { by } : {}) });
    this.server.in(deviceRoom(deviceId)).disconnectSockets(true);
  }
}
