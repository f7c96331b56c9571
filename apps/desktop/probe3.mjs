import { mkdtemp } from 'node:fs/promises';
const { startTestKeyring, waitForKeyring } = await import('../../tests/support/keyring.ts');
const k = startTestKeyring(); Object.assign(process.env, k.env); await waitForKeyring(k.env);
const { CoreThread } = await import('./dist/core/core-thread.js');
for (let i = 0; i < 3; i++) {
  const thread = new CoreThread({ dataDir: await mkdtemp('/tmp/wt-fresh-'), serverUrl: 'http://127.0.0.1:1' });
  thread.crashed.then((e) => console.log('crashed', i, e));
  const r = await thread.invoke('register', [{ username: 'abc', password: 'correct horse battery', displayName: 'F', deviceName: 'x' }]);
  console.log(i, JSON.stringify(r).slice(0, 100));
  await thread.close();
}
k.stop();
