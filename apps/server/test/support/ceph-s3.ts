import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '@parley/test-support/server';

const run = promisify(execFile);

export interface CephS3 {
  /** The RADOS Gateway's S3 endpoint, `http://127.0.0.1:<port>`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A client for the tests (path-style, the gateway's own keys). */
  client: S3Client;
  /** Creates a fresh, empty bucket and answers its name. */
  createBucket(): Promise<string>;
  stop(): Promise<void>;
}

const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph', 'ceph-authtool', 'monmaptool'];

/**
 * A throwaway Ceph cluster serving S3 on loopback: one monitor, one OSD keeping its objects in
 * memory (`memstore`) and the RADOS Gateway (`radosgw`, Ceph's production S3 implementation) on a
 * free port, with cephx keys, a user and its S3 keys made for the occasion, everything under one
 * temporary folder. Needs Debian's `ceph-mon`, `ceph-osd` and `radosgw`. About 15 s to start.
 */
export async function startCephS3(): Promise<CephS3> {
  const missing = BINARIES.filter((name) => {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(`Ceph is not installed (no ${missing.join(', ')}): apt-get install ceph-mon ceph-osd radosgw`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'parley-ceph-'));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'ceph.conf');
  const keyring = join(dir, 'keyring');
  const fsid = randomUUID();
  const children: ChildProcess[] = [];
  const ceph = (...args: string[]) => run('ceph', ['-c', conf, '--connect-timeout', '30', ...args]);

  const stop = async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  const daemon = (command: string, args: string[]) => {
    const child = spawn(command, ['-c', conf, ...args, '-f'], { stdio: 'ignore' });
    children.push(child);
    return child;
  };

  try {
    await Promise.all(['mon', 'osd/0', 'run', 'log', 'rgw'].map((sub) => mkdir(join(dir, sub), { recursive: true })));
    await writeFile(
      conf,
      `[global]
fsid = ${fsid}
mon_host = v2:127.0.0.1:${monPort}
public_addr = 127.0.0.1
ms_bind_msgr1 = false
ms_bind_ipv6 = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_autoscale_mode = off
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
run_dir = ${dir}/run
admin_socket = ${dir}/run/$name.asok
pid_file = ${dir}/run/$name.pid
log_file = ${dir}/log/$name.log
mon_data = ${dir}/mon/$id
osd_data = ${dir}/osd/$id
keyring = ${keyring}
osd_objectstore = memstore
memstore_device_bytes = 536870912
osd_memory_target = 536870912
rgw_data = ${dir}/rgw
rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}
`,
    );
    const key = (name: string, ...caps: string[]) =>
      run('ceph-authtool', [keyring, '--gen-key', '-n', name, ...caps.flatMap((c) => c.split('|'))]);
    await run('ceph-authtool', ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await key('client.admin', '--cap|mon|allow *', '--cap|osd|allow *', '--cap|mgr|allow *');
    await key('osd.0', '--cap|mon|allow profile osd', '--cap|osd|allow *', '--cap|mgr|allow profile osd');
    await key('client.rgw', '--cap|mon|allow rw', '--cap|osd|allow rwx', '--cap|mgr|allow rw');
    const monmap = join(dir, 'monmap');
    await run('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, monmap]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]);
    daemon('ceph-mon', ['-i', 'a']);

    const osdUuid = randomUUID();
    await ceph('osd', 'new', osdUuid);
    await run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    daemon('ceph-osd', ['-i', '0']);
    await until('the OSD to come up', async () => {
      const { stdout } = await ceph('osd', 'stat', '-f', 'json').catch(() => ({ stdout: '{}' }));
      return (JSON.parse(stdout) as { num_up_osds?: number }).num_up_osds === 1;
    });

    const rgw = daemon('radosgw', ['-n', 'client.rgw']);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await until('the RADOS Gateway to answer', async () => {
      if (rgw.exitCode !== null) throw new Error(`radosgw exited with ${rgw.exitCode}`);
      return (await fetch(endpoint).catch(() => undefined))?.status === 200;
    });

    const accessKeyId = `PARLEY${randomBytes(7).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    await run('radosgw-admin', [
      '-c',
      conf,
      'user',
      'create',
      '--uid',
      'parley-test',
      '--display-name',
      'Parley tests',
      '--access-key',
      accessKeyId,
      '--secret',
      secretAccessKey,
    ]);
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    return {
      endpoint,
      accessKeyId,
      secretAccessKey,
      client,
      createBucket: async () => {
        const bucket = `parley-${randomBytes(6).toString('hex')}`;
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        return bucket;
      },
      stop: async () => {
        client.destroy();
        await stop();
      },
    };
  } catch (error) {
    const logs = await Promise.all(
      ['mon.a', 'osd.0', 'client.rgw'].map(async (name) => {
        const text = await readFile(join(dir, 'log', `${name}.log`), 'utf8').catch(() => '');
        return `--- ${name} ---\n${text.split('\n').slice(-15).join('\n')}`;
      }),
    );
    await stop();
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
