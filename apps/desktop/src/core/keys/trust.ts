import type { IdentityChange, SafetyNumber } from '@parley/shared';
import { CoreError } from '../errors.js';
import type { Messaging } from '../messaging/messaging.js';
import type { Outbox } from '../messaging/outbox.js';
import type { SignalService } from '../signal/signal-service.js';
import type { OutboxRepository } from '../store/outbox.js';

/**
 * Safety numbers and the user's decisions on changed keys. A decision lets the sends held for
 * it go (every outbox job is made due).
 */
export class Trust {
  private stopped = false;

  constructor(
    private readonly me: { userId: string },
    private readonly signal: SignalService,
    private readonly messaging: Pick<Messaging, 'openSessions'>,
    private readonly jobs: Pick<OutboxRepository, 'expediteAll'>,
    private readonly outbox: Pick<Outbox, 'kick'>,
  ) {}

  async safetyNumber(peerUserId: string): Promise<SafetyNumber> {
    if (this.signal.knownDevices(peerUserId).length === 0)
      await this.messaging.openSessions(peerUserId).catch(() => {});
    if (this.stopped) throw new CoreError('NOT_SIGNED_IN', 'Signed out meanwhile');
    const changed = this.signal.hasUnacceptedChange(peerUserId);
    return {
      userId: peerUserId,
      digits: await this.signal.safetyNumber(this.me.userId, peerUserId),
      changed,
      pendingDigits: changed ? await this.signal.safetyNumber(this.me.userId, peerUserId, true) : null,
      verified: this.signal.isVerified(peerUserId),
    };
  }

  /** "Mark as verified" (or clear it): the user compared the safety number with the peer. */
  setVerified(peerUserId: string, verified: boolean): Promise<SafetyNumber> {
    this.signal.setVerified(peerUserId, verified);
    return this.safetyNumber(peerUserId);
  }

  accept(peerUserId: string): void {
    this.signal.acceptChanges(peerUserId);
    this.resumeSending();
  }

  reject(peerUserId: string): void {
    this.signal.rejectChanges(peerUserId);
    this.resumeSending();
  }

  pending(): IdentityChange[] {
    return this.signal.pendingChanges();
  }

  stop(): void {
    this.stopped = true;
  }

  private resumeSending(): void {
    this.jobs.expediteAll();
    this.outbox.kick();
  }
}
