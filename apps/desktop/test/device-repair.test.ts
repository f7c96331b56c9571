import { randomUUID } from 'node:crypto';
import { CoreError, Messaging } from '@parley/desktop';
import type { DeviceBundle, DeviceRef } from '@parley/shared';
import { describe, expect, it } from 'vitest';

/**
 * `Messaging.repairingDevices` alone: the server's 409 MISMATCHED_DEVICES / 410 STALE_DEVICES
 * answers and how the device list is repaired before the retry. Its collaborators are narrow
 * fakes (a device list with sessions, a bundle directory); the whole path against a real server
 * runs in core.test.ts.
 */
type Ctor = ConstructorParameters<typeof Messaging>;

function setup(directory: Record<string, string[]>) {
  const listed = new Map<string, Set<string>>();
  const sessions = new Set<string>();
  const log: string[] = [];
  const signal = {
    knownDevices: (userId: string) => [...(listed.get(userId) ?? [])],
    hasSession: async (deviceId: string) => sessions.has(deviceId),
    forgetDevice(deviceId: string) {
      log.push(`forget ${deviceId}`);
      sessions.delete(deviceId);
      for (const devices of listed.values()) devices.delete(deviceId);
    },
    async processBundle(userId: string, bundle: DeviceBundle) {
      log.push(`session ${bundle.deviceId}`);
      listed.set(userId, (listed.get(userId) ?? new Set()).add(bundle.deviceId));
      sessions.add(bundle.deviceId);
    },
  };
  const session = {
    async call(name: string, input: { params: { userId: string } }) {
      log.push(`${name} ${input.params.userId}`);
      const devices = (directory[input.params.userId] ?? []).map((deviceId) => ({ deviceId }) as DeviceBundle);
      return { userId: input.params.userId, devices };
    },
  };
  const messaging = new Messaging(
    { userId: randomUUID() },
    {} as Ctor[1],
    signal as unknown as Ctor[2],
    session as unknown as Ctor[3],
    {} as Ctor[4],
    () => {},
    {} as Ctor[6],
  );
  /** Opens sessions with devices this client already knows. */
  const know = async (userId: string, ...deviceIds: string[]) => {
    for (const deviceId of deviceIds) await signal.processBundle(userId, { deviceId } as DeviceBundle);
    log.length = 0;
  };
  return { messaging, signal, sessions, log, know };
}

/** An attempt that fails with each of `errors` in turn, then answers `'sent'`. */
function failing(...errors: Error[]) {
  const attempt = async () => {
    attempt.calls++;
    const error = errors.shift();
    if (error) throw error;
    return 'sent';
  };
  attempt.calls = 0;
  return attempt;
}

const mismatched = (missingDevices: DeviceRef[], extraDevices: DeviceRef[]) =>
  new CoreError('MISMATCHED_DEVICES', 'Mismatched devices', { missingDevices, extraDevices });
const stale = (staleDevices: DeviceRef[]) => new CoreError('STALE_DEVICES', 'Stale devices', { staleDevices });

describe('repairingDevices', () => {
  it('on MISMATCHED_DEVICES fetches the missing devices once per user, drops the extra ones and retries', async () => {
    const [peer, kept, newA, newB, gone] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const { messaging, signal, log, know } = setup({ [peer]: [kept, newA, newB] });
    await know(peer, kept, gone);
    const attempt = failing(
      mismatched(
        [
          { userId: peer, deviceId: newA },
          { userId: peer, deviceId: newB },
        ],
        [{ userId: peer, deviceId: gone }],
      ),
    );

    await expect(messaging.repairingDevices(attempt)).resolves.toBe('sent');

    expect(attempt.calls).toBe(2);
    expect(signal.knownDevices(peer).sort()).toEqual([kept, newA, newB].sort());
    // One directory fetch for the user; the device with a session already is left alone.
    expect(log).toEqual([`forget ${gone}`, `getBundles ${peer}`, `session ${newA}`, `session ${newB}`]);
  });

  it('on STALE_DEVICES resets the stale sessions with fresh bundles and retries', async () => {
    const [peer, fresh, outdated] = [randomUUID(), randomUUID(), randomUUID()];
    const { messaging, signal, sessions, log, know } = setup({ [peer]: [fresh, outdated] });
    await know(peer, fresh, outdated);
    const attempt = failing(stale([{ userId: peer, deviceId: outdated }]));

    await expect(messaging.repairingDevices(attempt)).resolves.toBe('sent');

    expect(attempt.calls).toBe(2);
    expect(log).toEqual([`forget ${outdated}`, `getBundles ${peer}`, `session ${outdated}`]);
    expect(signal.knownDevices(peer).sort()).toEqual([fresh, outdated].sort());
    expect(sessions.has(outdated)).toBe(true);
  });

  it('gives up after three repairs and throws the last answer', async () => {
    const peer = randomUUID();
    const { messaging } = setup({ [peer]: [] });
    const errors = Array.from({ length: 10 }, () => stale([{ userId: peer, deviceId: randomUUID() }]));
    const attempt = failing(...errors);

    const thrown = await messaging.repairingDevices(attempt).catch((error: unknown) => error);

    expect(attempt.calls).toBe(4);
    expect(thrown).toBe(errors[3]); // the first try and three retries
  });

  it.each([
    ['another CoreError', new CoreError('RATE_LIMITED', 'Slow down', { retryAfterSeconds: 5 })],
    ['a plain Error', new Error('socket hang up')],
  ])('passes %s through untouched, without repairing or retrying', async (_, error) => {
    const { messaging, log } = setup({});
    const attempt = failing(error);

    await expect(messaging.repairingDevices(attempt)).rejects.toBe(error);

    expect(attempt.calls).toBe(1);
    expect(log).toEqual([]);
  });
});
