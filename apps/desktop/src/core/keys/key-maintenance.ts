import { LIMITS, RegistrationId } from '@parley/shared';
import type { ServerSession } from '../net/server-session.js';
import {
  newRegistrationId,
  PREKEY_BATCH,
  SIGNED_PREKEY_MAX_AGE_MS,
  type SignalService,
} from '../signal/signal-service.js';
import type { KvRepository } from '../store/kv.js';

/**
 * This device's keys on the server: the first upload (retried when it failed), one-time prekey
 * top-ups (at every connect and at `keys:low`), signed prekey rotation.
 */
export class KeyMaintenance {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly kv: KvRepository,
    private readonly signal: SignalService,
    private readonly server: ServerSession,
  ) {}

  /** A new device: its Signal keys are made here and uploaded before it goes online (offline: at the next connect). */
  async createDeviceKeys(): Promise<void> {
    const keys = await this.signal.createDeviceKeys();
    this.kv.setKeysUploaded(false);
    await this.server
      .call('uploadKeys', { body: keys })
      .then(() => this.kv.setKeysUploaded(true))
      .catch(() => {}); // offline: retried when the connection comes up
  }

  /**
   * Runs key maintenance, one at a time: two at once would give out the same prekey ids with
   * different keys. Asked again while it runs (a burst of `keys:low` while someone drains the
   * prekeys), it runs once more right after, so the top-up follows the drain.
   */
  maintain(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.once();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Keys upload (if it failed at sign-in), one-time prekey top-up, signed prekey rotation. */
  private async once(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.kv.keysUploaded()) {
        // The first upload never reached the server: send the same identity with fresh prekeys.
        const identity = this.kv.identityKeyPair();
        if (!identity) return;
        let registrationId = RegistrationId.safeParse(this.kv.registrationId()).data;
        if (registrationId === undefined) {
          // Made by an older version out of range, so refused and never seen by anyone: replace it.
          registrationId = newRegistrationId();
          this.kv.setRegistrationId(registrationId);
        }
        await this.server.call('uploadKeys', {
          body: {
            registrationId,
            identityKey: identity.pub,
            signedPreKey: await this.signal.newSignedPreKey(),
            preKeys: await this.signal.newPreKeys(PREKEY_BATCH),
          },
        });
        this.kv.setKeysUploaded(true);
        return;
      }
      const { count } = await this.server.call('preKeyCount', {});
      if (count < LIMITS.preKeyLowWater) {
        await this.server.call('addPreKeys', { body: { preKeys: await this.signal.newPreKeys(PREKEY_BATCH) } });
      }
      if (this.signal.signedPreKeyAge() > SIGNED_PREKEY_MAX_AGE_MS) {
        await this.server.call('replaceSignedPreKey', {
          body: { signedPreKey: await this.signal.newSignedPreKey() },
        });
      }
    } catch (error) {
      // Stopped meanwhile (closed, signed out): the store is gone and the next start maintains the keys.
      if (this.stopped) return;
      console.warn(`parley: key maintenance failed: ${(error as Error).message}`);
    }
  }
}
