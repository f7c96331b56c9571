// A core in its own process, so a test can kill it (SIGKILL) mid-send. Node runs this file
// directly (type stripping). Usage: node core-driver.ts '<json options>'
import { ParleyCore } from '@parley/desktop';

const { dataDir, serverUrl, peer, count, prefix } = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  serverUrl: string;
  peer: string;
  count: number;
  prefix: string;
};
const core = new ParleyCore({ dataDir, serverUrl });
if (!(await core.restoreSession())) throw new Error('no session to restore');
for (let i = 0; i < count; i++) {
  await core.sendText(peer, `${prefix} ${i}`);
  console.log(`queued ${i}`);
}
// Wait until nothing is pending any more.
for (;;) {
  const { messages } = await core.history(peer, undefined, 500);
  if (!messages.some((m) => m.status === 'pending')) break;
  await new Promise((r) => setTimeout(r, 100));
}
console.log('sent-all');
await core.close();
process.exit(0);
