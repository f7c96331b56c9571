import { Injectable } from '@nestjs/common';
import {
  SERVER_EVENTS,
  type SignalEvent,
  type SignalRequest,
  type SignalResult,
  type TypingRequest,
} from '@parley/shared';
import { DataSource, In } from 'typeorm';
import { ContactEntity, DeviceEntity } from '../database/entities.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { RECEIVING_DEVICE } from '../keys/keys.service.js';
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
    // Like a send, a signal addresses every receiving device of the user (but the caller's own):
    // a client with an old device list learns the new one, so every device rings.
    const receiving = await this.db.getRepository(DeviceEntity).find({
      where: { userId: input.toUserId, ...RECEIVING_DEVICE },
      select: { id: true },
    });
    const expected = new Set(receiving.map((d) => d.id).filter((id) => id !== caller.deviceId));
    const given = new Set(deviceIds);
    const missing = [...expected].filter((id) => !given.has(id));
    const extra = [...given].filter((id) => !expected.has(id));
    if (missing.length || extra.length || given.size !== deviceIds.length) {
      const owners = extra.length
        ? await this.db
            .getRepository(DeviceEntity)
            .find({ where: { id: In(extra) }, select: { id: true, userId: true } })
        : [];
      throw new AppError('MISMATCHED_DEVICES', 'The device list is out of date; refetch keys and resend', {
        missingDevices: missing.map((deviceId) => ({ userId: input.toUserId, deviceId })),
        extraDevices: extra.map((deviceId) => ({
          userId: owners.find((d) => d.id === deviceId)?.userId ?? input.toUserId,
          deviceId,
        })),
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
