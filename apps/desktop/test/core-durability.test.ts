import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openCore, registerCore, type TestCore } from '@parley/test-support/cores';
import { REPO_ROOT, withServer } from '@parley/test-support/server';
import { eventually } from '@parley/test-support/socket';
import { afterAll, describe, expect, it } from 'vitest';

const t = withServer();
const cores: TestCore[] = [];

afterAll(async () => {
  for (const c of cores) await c.close();
});

const idOf = async (c: TestCore) => (await c.core.session())?.user.id as string;

describe('core durability', () => {
  it('Bob offline while Alice sends 500: both of his devices show all 500 once, in order', {
    timeout: 120_000,
  }, async () => {
    const alice = await registerCore(t.server.baseUrl, 'alice');
    const bob = await registerCore(t.server.baseUrl, 'bob');
    const bobName = (await bob.core.session())?.user.username as string;
    const bob2 = await openCore(t.server.baseUrl);
    await bob2.core.login({ username: bobName, password: 'correct horse battery', deviceName: 'Laptop' });
    await eventually(async () => (await bob2.core.connectionState()) === 'online', 10_000);
    cores.push(alice);
    const [aliceId, bobId] = [await idOf(alice), await idOf(bob)];
    // Alice learns Bob's devices while he is online.
    await alice.core.sendText(bobId, 'hello');
    await eventually(
      async () => (await bob.conversation(aliceId)).length === 1 && (await bob2.conversation(aliceId)).length === 1,
      10_000,
    );
    await bob.close();
    await bob2.close();

    const sent: string[] = [];
    for (let i = 0; i < 500; i++) {
      const text = `offline message ${i}`;
      await alice.core.sendText(bobId, text);
      sent.push(text);
    }
    await eventually(
      async () => !(await alice.conversation(bobId)).some((m) => m.status === 'pending'),
      60_000,
      'all sent',
    );

    for (const dataDir of [bob.dataDir, bob2.dataDir]) {
      const again = await openCore(t.server.baseUrl, dataDir);
      cores.push(again);
      expect(await again.core.restoreSession()).toMatchObject({ user: { id: bobId } });
      await eventually(async () => (await again.conversation(aliceId)).length === 501, 60_000, 'bob catches up');
      const texts = (await again.conversation(aliceId)).map((m) => m.text);
      expect(texts).toEqual(['hello', ...sent]);
    }
  });

  it('Alice killed mid-send and restarted: every message she wrote is delivered exactly once', {
    timeout: 120_000,
  }, async () => {
    const alice = await registerCore(t.server.baseUrl, 'alice');
    const bob = await registerCore(t.server.baseUrl, 'bob');
    cores.push(bob);
    const [aliceId, bobId] = [await idOf(alice), await idOf(bob)];
    await alice.close(); // the driver process takes over her data directory

    const driver = (count: number) => {
      const child = spawn(
        process.execPath,
        [
          join(REPO_ROOT, 'tests/support/core-driver.ts'),
          JSON.stringify({ dataDir: alice.dataDir, serverUrl: t.server.baseUrl, peer: bobId, count, prefix: 'storm' }),
        ],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (c) => (output += c));
      child.stderr.on('data', (c) => (output += c));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      return { child, exited, output: () => output };
    };

    const first = driver(300);
    await eventually(() => first.output().includes('queued 150'), 60_000, 'half queued');
    first.child.kill('SIGKILL');
    await first.exited;

    const second = driver(0);
    expect(await second.exited, second.output()).toBe(0);

    const restarted = await openCore(t.server.baseUrl, alice.dataDir);
    cores.push(restarted);
    await restarted.core.restoreSession();
    const written = (await restarted.conversation(bobId)).map((m) => m.text);
    expect(written.length).toBeGreaterThanOrEqual(151);
    await eventually(
      async () => (await bob.conversation(aliceId)).length === written.length,
      60_000,
      'bob has them all',
    );
    const received = (await bob.conversation(aliceId)).map((m) => m.text);
    expect(new Set(received).size).toBe(received.length);
    expect([...received].sort()).toEqual([...written].sort());
  });
});
