import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startHost } from './host.js';

// The browser host: `node apps/desktop/dist/host/main.js --server-url … --data-dir … --port …`
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: resolve('.data/desktop') },
    'server-url': { type: 'string', default: 'http://127.0.0.1:3000' },
    port: { type: 'string', default: '0' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not "${values.port}"`);
  process.exit(2);
}
try {
  new URL(values['server-url']);
} catch {
  console.error(`--server-url must be a URL, not "${values['server-url']}"`);
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const host = await startHost({
  dataDir: resolve(values['data-dir']),
  serverUrl: values['server-url'],
  port,
  rendererDir: join(here, '../renderer'),
});
console.log('Parley is running in your browser (browser host). Open:');
console.log(host.url);
// Without its core the host serves nothing useful: stop, saying so (startHost has logged why).
void host.coreCrashed.then(() => process.exit(1));

const stop = async () => {
  await host.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
