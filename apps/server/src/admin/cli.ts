#!/usr/bin/env node
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { configuredBlobStore } from '../attachments/configured-blob-store.js';
import { loadConfigOrExit } from '../config/config.js';
import { dataSourceOptions } from '../database/data-source.js';
import { openEmbeddedPostgres } from '../database/embedded.js';
import { createLogger } from '../logger.js';
import { Admin, AdminError } from './admin.js';

const USAGE = `Usage: parley-admin <command> [options]   (or: npm run admin -- <command> [options])

Works on the server's database directly (DATABASE_URL, or the embedded one under DATA_DIR),
with the server's own settings from the environment.

  create-user <username> [--display-name NAME] [--password-stdin]
  reset-password <username> [--password-stdin]     signs every device of the user out
  disable <username>                               signs every device out, refuses sign-in
  enable <username>
  devices <username>                               the user's signed-in devices
  revoke-device <username> <device-id>
  create-invite [--uses N] [--expires 7d|12h|30m]  prints the code (shown once)
  invites                                          invites that can still be used
  delete-invite <invite-id>
  stats
  delete-user <username> --yes                     erases the account and all its server data

Without --password-stdin a random password is made and printed. --json prints JSON.`;

const EX_USAGE = 64;

class UsageError extends Error {}

const DURATION = /^(\d{1,6})([smhd])$/;
const SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

function seconds(duration: string): number {
  const match = DURATION.exec(duration);
  if (!match) throw new UsageError(`--expires: expected a duration like 7d, 12h, 30m, got "${duration}"`);
  return Number(match[1]) * SECONDS[match[2] as keyof typeof SECONDS];
}

async function password(fromStdin: boolean | undefined): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: randomBytes(12).toString('base64url'), generated: true };
  return { password: (await text(process.stdin)).replace(/\r?\n$/, ''), generated: false };
}

type Output = { json: unknown; lines: string[] };

async function run(admin: Admin, command: string, args: string[], flags: Flags): Promise<Output> {
  const arg = (i: number, name: string) => {
    const value = args[i];
    if (value === undefined) throw new UsageError(`${command}: missing <${name}>`);
    return value;
  };
  switch (command) {
    case 'create-user': {
      const pw = await password(flags['password-stdin']);
      const user = await admin.createUser({
        username: arg(0, 'username'),
        displayName: flags['display-name'],
        password: pw.password,
      });
      const shown = pw.generated ? { password: pw.password } : {};
      return {
        json: { ...user, ...shown },
        lines: [`created ${user.username} (${user.id})`, ...(pw.generated ? [`password: ${pw.password}`] : [])],
      };
    }
    case 'reset-password': {
      const pw = await password(flags['password-stdin']);
      const result = await admin.resetPassword(arg(0, 'username'), pw.password);
      return {
        json: { ...result, ...(pw.generated ? { password: pw.password } : {}) },
        lines: [
          `password reset; ${result.revokedDevices} device(s) signed out`,
          ...(pw.generated ? [`password: ${pw.password}`] : []),
        ],
      };
    }
    case 'disable':
    case 'enable': {
      const result = await admin.setDisabled(arg(0, 'username'), command === 'disable');
      return { json: result, lines: [`${command}d; ${result.revokedDevices} device(s) signed out`] };
    }
    case 'devices': {
      const devices = await admin.listDevices(arg(0, 'username'));
      return {
        json: devices,
        lines: devices.length
          ? devices.map((d) => `${d.id}  ${d.name}  created ${d.createdAt}  last seen ${d.lastSeenAt}`)
          : ['no signed-in devices'],
      };
    }
    case 'revoke-device':
      await admin.revokeDevice(arg(0, 'username'), arg(1, 'device-id'));
      return { json: { revoked: args[1] }, lines: ['device signed out'] };
    case 'create-invite': {
      const uses = flags.uses === undefined ? 1 : Number(flags.uses);
      const expiresInSeconds = flags.expires === undefined ? undefined : seconds(flags.expires);
      const { code, invite } = await admin.createInvite({ uses, expiresInSeconds });
      return {
        json: { code, ...invite },
        lines: [
          code,
          `(${invite.max_uses} use(s), ${invite.expires_at ? `expires ${invite.expires_at.toISOString()}` : 'no expiry'}; id ${invite.id})`,
        ],
      };
    }
    case 'invites': {
      const invites = await admin.listInvites();
      const line = (i: (typeof invites)[number]) =>
        `${i.id}  ${i.uses}/${i.max_uses} used  ${i.expires_at ? `expires ${i.expires_at.toISOString()}` : 'no expiry'}`;
      return { json: invites, lines: invites.length ? invites.map(line) : ['no usable invites'] };
    }
    case 'delete-invite':
      await admin.deleteInvite(arg(0, 'invite-id'));
      return { json: { deleted: args[0] }, lines: ['invite deleted'] };
    case 'stats': {
      const stats = await admin.readStats();
      return {
        json: stats,
        lines: Object.entries(stats).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : v}`),
      };
    }
    case 'delete-user': {
      if (!flags.yes) throw new UsageError('delete-user erases the account for good: add --yes');
      const result = await admin.deleteUser(arg(0, 'username'));
      return { json: result, lines: [`deleted, with ${result.attachments} attachment(s)`] };
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

const OPTIONS = {
  json: { type: 'boolean' },
  'display-name': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  uses: { type: 'string' },
  expires: { type: 'string' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: OPTIONS, allowPositionals: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return EX_USAGE;
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || !command) {
    console.log(USAGE);
    return command || parsed.values.help ? 0 : EX_USAGE;
  }
  const config = loadConfigOrExit();
  const log = createLogger({ LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const embedded = config.DATABASE_URL ? undefined : await openEmbeddedPostgres(config.DATA_DIR, log);
  const db = new DataSource(
    dataSourceOptions(config.DATABASE_URL ?? (embedded?.url as string), config.DATABASE_POOL_SIZE),
  );
  try {
    await db.initialize(); // runs pending migrations, as the server does at start
    const output = await run(new Admin(db, configuredBlobStore(config, log)), command, args, parsed.values);
    console.log(parsed.values.json ? JSON.stringify(output.json) : output.lines.join('\n'));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return EX_USAGE;
    }
    if (error instanceof AdminError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await db.destroy().catch(() => {});
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('parley-admin failed:', error);
    process.exit(1);
  },
);
