// Tries to sign in with whatever keychain this process can reach; prints the outcome as JSON.
// Node runs this file directly (type stripping). Usage: node keychain-probe.ts '<json options>'
import { ParleyCore } from '@parley/desktop';

const { dataDir, serverUrl, username } = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  serverUrl: string;
  username: string;
};
const core = new ParleyCore({ dataDir, serverUrl });
try {
  await core.register({ username, password: 'long enough pw', displayName: 'Probe', deviceName: 'Probe' });
  console.log(JSON.stringify({ ok: true }));
  await core.close();
} catch (error) {
  console.log(
    JSON.stringify({ ok: false, code: (error as { code?: string }).code, message: (error as Error).message }),
  );
}
process.exit(0);
