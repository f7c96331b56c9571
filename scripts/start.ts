// npm start: the server (on an embedded PostgreSQL unless DATABASE_URL is set) and the desktop
// app: Electron where it can start, otherwise the browser host, saying which and why. The
// browser host's address comes last, on its own. Node runs this file directly (type stripping).
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const port = process.env.PORT ?? '3000';
const serverUrl = `http://127.0.0.1:${port}`;
const children: ChildProcess[] = [];

/**
 * At the default log level the server's line per request stays out of the terminal: a starting
 * app polls and loads a lot, and those lines would bury the address to open. Any other level set
 * (LOG_LEVEL=debug, say) shows everything.
 */
const quietRequests = (process.env.LOG_LEVEL ?? 'info') === 'info';
/** A pino-http line: the request and the response it was answered with. */
const isRequestLine = (line: string) => line.includes('"req":{') && line.includes('"res":{');

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  stdout: (line: string) => void = (line) => console.log(line),
): ChildProcess {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  if (child.stdout) createInterface({ input: child.stdout }).on('line', stdout);
  children.push(child);
  return child;
}

async function waitForHealth(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${serverUrl}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not become healthy at ${serverUrl}`);
}

/** The Electron binary, or why it cannot be used here. */
function electronBinary(): { path: string } | { reason: string } {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'there is no display (DISPLAY / WAYLAND_DISPLAY unset)' };
  }
  try {
    // Resolving the package downloads the binary on first use; that fails where downloads are blocked.
    return { path: createRequire(import.meta.url)(join(root, 'node_modules/electron')) as string };
  } catch (error) {
    return { reason: `the Electron binary is not available (${(error as Error).message.split('\n')[0]})` };
  }
}

const stopAll = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.once('SIGINT', stopAll);
process.once('SIGTERM', stopAll);

const server = run(process.execPath, ['apps/server/dist/main.js'], { DATA_DIR: dataDir, PORT: port }, (line) => {
  if (!(quietRequests && isRequestLine(line))) console.log(line);
});
server.once('exit', (code) => {
  console.error(`The server stopped (exit code ${code}).`);
  stopAll();
  process.exitCode = code ?? 1;
});
await waitForHealth(Date.now() + 120_000);

const desktopData = join(dataDir, 'desktop');
const electron = electronBinary();
if ('path' in electron) {
  console.log('Starting the Parley desktop app (Electron).');
  run(electron.path, ['apps/desktop'], { PARLEY_SERVER_URL: serverUrl, PARLEY_DATA_DIR: desktopData });
} else {
  console.log(`Electron cannot start here: ${electron.reason}. Starting the browser host instead.`);
  run(
    process.execPath,
    [
      'apps/desktop/dist/host/main.js',
      '--server-url',
      serverUrl,
      '--data-dir',
      desktopData,
      '--port',
      process.env.PARLEY_HOST_PORT ?? '5170',
    ],
    {},
    (line) => {
      // The host prints its address (with the per-run key); it is said here, last and clearly.
      if (/^https?:\/\/\S+\?key=/.test(line)) announce(line);
      else if (!line.startsWith('Parley is running in your browser')) console.log(line);
    },
  );
}

function announce(url: string): void {
  const rule = '─'.repeat(Math.min(100, url.length + 4));
  console.log(
    [
      '',
      rule,
      '  Parley is ready. Open this address in your browser:',
      '',
      `  ${url}`,
      '',
      '  Ctrl+C stops it.',
      rule,
    ].join('\n'),
  );
}
