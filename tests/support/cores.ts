import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParleyCore } from '@parley/desktop';
import type { ClientEvents, LocalMessage } from '@parley/shared';
import { PASSWORD } from './http.js';
import { eventually } from './socket.js';

let counter = 0;

export interface TestCore {
  core: ParleyCore;
  dataDir: string;
  /** Every event the core emitted, by name. */
  events: { [E in keyof ClientEvents]: ClientEvents[E][] };
  /** The whole conversation with a peer, oldest first. */
  conversation(peerUserId: string): Promise<LocalMessage[]>;
  close(): Promise<void>;
}

/** A real core (own data directory, keychain entries in the test keyring) against a server. */
export async function openCore(serverUrl: string, dataDir?: string): Promise<TestCore> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-core-')));
  const core = new ParleyCore({ dataDir: dir, serverUrl });
  const events = {
    message: [],
    status: [],
    messagesChanged: [],
    read: [],
    presence: [],
    user: [],
    typing: [],
    identity: [],
    connection: [],
    signal: [],
    transfer: [],
    signedOut: [],
  } as TestCore['events'];
  for (const name of Object.keys(events) as (keyof ClientEvents)[]) {
    core.on(name, (payload) => (events[name] as unknown[]).push(payload));
  }
  return {
    core,
    dataDir: dir,
    events,
    async conversation(peerUserId) {
      const all: LocalMessage[] = [];
      let before: string | undefined;
      do {
        const page = await core.history(peerUserId, before, 200);
        all.unshift(...page.messages);
        before = page.before ?? undefined;
      } while (before);
      return all;
    },
    close: () => core.close(),
  };
}

export async function registerCore(serverUrl: string, name = 'user'): Promise<TestCore> {
  const c = await openCore(serverUrl);
  const username = `${name}_${process.pid}_${++counter}`.slice(0, 32);
  await c.core.register({ username, password: PASSWORD, displayName: name, deviceName: 'Test desktop' });
  await eventually(async () => (await c.core.connectionState()) === 'online', 10_000, `${name} online`);
  return c;
}

export async function loginCore(serverUrl: string, username: string): Promise<TestCore> {
  const c = await openCore(serverUrl);
  await c.core.login({ username, password: PASSWORD, deviceName: 'Second desktop' });
  await eventually(async () => (await c.core.connectionState()) === 'online', 10_000, 'second device online');
  return c;
}

export async function removeDataDir(c: TestCore): Promise<void> {
  await rm(c.dataDir, { recursive: true, force: true });
}
