import { Injectable } from '@nestjs/common';
import type { SignalEvent, SignalRequest, SignalResult, TypingRequest } from '@parley/shared';
import { ContactsRepository } from '../contacts/contacts.repository.js';
import { checkDestinations } from '../devices/destinations.js';
import { DevicesRepository } from '../devices/devices.repository.js';
import { AppError } from '../http/app-error.js';
import { RateLimits } from '../http/rate-limits.js';
import type { Caller } from '../http/route.js';
import { Realtime } from '../realtime/realtime.js';

/** Typing indicators and call signalling: relayed to whoever is online now, never stored. */
@Injectable()
export class EphemeralService {
  constructor(
    private readonly contacts: ContactsRepository,
    private readonly devices: DevicesRepository,
    private readonly limits: RateLimits,
    private readonly realtime: Realtime,
  ) {}

  /** Typing is part of my presence: it reaches a user only if I have them in my contacts. */
  async typing(caller: Caller, input: TypingRequest): Promise<void> {
    await this.limits.consume('ephemeralPerDevice', caller.deviceId);
    if (!(await this.contacts.lists(caller.userId, input.toUserId))) {
      throw new AppError('NOT_A_CONTACT', 'Typing is shown only to your contacts');
    }
    this.realtime.toUsers([input.toUserId], 'typing', { fromUserId: caller.userId, state: input.state });
  }

  /** Signals (calls) reach a user only if they have the caller in their contacts. */
  async signal(caller: Caller, input: SignalRequest): Promise<SignalResult> {
    await this.limits.consume('ephemeralPerDevice', caller.deviceId);
    if (input.toUserId !== caller.userId && !(await this.contacts.lists(input.toUserId, caller.userId))) {
      throw new AppError('NOT_A_CONTACT', 'This user does not have you in their contacts');
    }
    // Like a send, a signal addresses every receiving device of the user (but the caller's own):
    // a client with an old device list learns the new one, so every device rings.
    const receiving = await this.devices.receiving([input.toUserId], caller.deviceId);
    await checkDestinations(this.devices, input.toUserId, receiving, input.envelopes);
    const online = await this.realtime.onlineDevices(input.envelopes.map((e) => e.deviceId));
    const sentAt = new Date().toISOString();
    const deliveredTo: string[] = [];
    for (const envelope of input.envelopes) {
      if (!online.has(envelope.deviceId)) continue;
      const event: SignalEvent = {
        fromUserId: caller.userId,
        fromDeviceId: caller.deviceId,
        type: envelope.type,
        content: envelope.content,
        sentAt,
      };
      this.realtime.toDevices([envelope.deviceId], 'signal', event);
      deliveredTo.push(envelope.deviceId);
    }
    return { deliveredTo };
  }
}
