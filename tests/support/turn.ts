import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.js';

export interface Coturn {
  /** The `turn:` URL to give the server (TURN_URLS). */
  url: string;
  /** The shared secret of the REST-credential scheme (TURN_SECRET). */
  secret: string;
  stop(): Promise<void>;
}

/** A STUN Binding request (RFC 8489): the cheapest way to ask a TURN server whether it is up. */
function answersStun(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(request, 8);
    const done = (answered: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), 300);
    socket.on('message', (response) => done(response.readUInt16BE(0) === 0x0101));
    socket.on('error', () => done(false));
    socket.send(request, port, '127.0.0.1');
  });
}

/**
 * coturn on loopback only, with the REST-API shared secret (`use-auth-secret`) as the server uses it,
 * its own port, log, pid file and user database in a throwaway folder. Needs Debian's `coturn`.
 */
export async function startCoturn(): Promise<Coturn> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-coturn-'));
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const logFile = join(dir, 'turn.log');
  const child: ChildProcess = spawn(
    'turnserver',
    [
      '-n', // no configuration file: only these options
      `--listening-port=${port}`,
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      '--allow-loopback-peers', // both test clients are on this machine
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=parley.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      `--log-file=${logFile}`,
      '--simple-log',
      `--pidfile=${join(dir, 'turn.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {}); // not installed: reported below as "did not start"
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
    await rm(dir, { recursive: true, force: true });
  };

  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null || child.pid === undefined) break;
    if (await answersStun(port)) return { url: `turn:127.0.0.1:${port}?transport=udp`, secret, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  const output = await readFile(logFile, 'utf8').catch(() => '');
  await stop();
  throw new Error(`coturn did not start on 127.0.0.1:${port} (apt-get install coturn)\n${output}`);
}
