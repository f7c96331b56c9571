import { Injectable } from '@nestjs/common';
import {
  SERVER_EVENTS,
  type SignalEvent,
  type SignalRequest,
  type SignalResult,
  type TypingRequest,
} from '@parley/shared';
import { DataSource, In, IsNull } from 'typeorm';
import { ContactEntity, DeviceEntity } from '../database/entities.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { Realtime } from './realtime.js';

/** Typing indicators and call signalling: relayed to whoever is online now, never stored. */
@Injectable()
export class EphemeralService {
  constructor(
    private readonly db: DataSource,
    private readonly limits: RateLimits,
    private readonly realtime: Realtime,
  ) {}

  /** Typing is part of my presence: it reaches a user only if I have them in my contacts. */
  async typing(caller: Caller, input: TypingRequest): Promise<void> {
    await this.limits.consume('ephemeralPerDevice', caller.deviceId);
    if (!(await this.lists(caller.userId, input.toUserId))) {
      throw new AppError('NOT_A_CONTACT', 'Typing is shown only to your contacts');
    }
    this.realtime.toUsers([input.toUserId], SERVER_EVENTS.typing, { fromUserId: caller.userId, state: input.state });
  }

  /** Signals (calls) reach a user only if they have the caller in their contacts. */
  async signal(caller: Caller, input: SignalRequest): Promise<SignalResult> {
    await this.limits.consume('ephemeralPerDevice', caller.deviceId);
    if (input.toUserId !== caller.userId && !(await this.lists(input.toUserId, caller.userId))) {
      throw new AppError('NOT_A_CONTACT', 'This user does not have you in their contacts');
    }
    const deviceIds = input.envelopes.map((e) => e.deviceId);
    const theirs = await this.db.getRepository(DeviceEntity).find({
      where: { id: In(deviceIds), userId: input.toUserId, revokedAt: IsNull() },
      select: { id: true },
    });
    if (theirs.length !== new Set(deviceIds).size) {
      throw new AppError('VALIDATION_FAILED', 'Signals may only address the devices of `toUserId`', {
        issues: [{ path: 'envelopes', code: 'custom', message: 'Unknown device for this user' }],
      });
    }
    const online = await this.realtime.onlineDevices(deviceIds);
    const sentAt = new Date().toISOString();
    const deliveredTo: string[] = [];
    for (const envelope of input.envelopes) {
      if (!online.has(envelope.deviceId) || envelope.deviceId === caller.deviceId) continue;
      const event: SignalEvent = {
        fromUserId: caller.userId,
        fromDeviceId: caller.deviceId,
        type: envelope.type,
        content: envelope.content,
        sentAt,
      };
      this.realtime.toDevices([envelope.deviceId], SERVER_EVENTS.signal, event);
      deliveredTo.push(envelope.deviceId);
    }
    return { deliveredTo };
  }

  /** Whether `owner` has `contact` in their address book. */
  private lists(owner: string, contact: string): Promise<boolean> {
    return this.db.getRepository(ContactEntity).existsBy({ ownerId: owner, contactId: contact });
  }
}
