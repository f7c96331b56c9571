import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './server.js';

const ADMIN_CLI = join(REPO_ROOT, 'apps/server/dist/admin/cli.js');

export interface AdminRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `parley-admin` (the built CLI) with the server's settings in `env`, `stdin` piped in. */
export function runAdmin(env: Record<string, string>, args: string[], stdin = ''): Promise<AdminRun> {
  const child = spawn(process.execPath, [ADMIN_CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Runs a command with --json that must succeed; its parsed output. */
// biome-ignore lint/suspicious/noExplicitAny: each command answers its own shape; tests read it field by field
export async function admin<T = any>(env: Record<string, string>, args: string[], stdin = ''): Promise<T> {
  const run = await runAdmin(env, [...args, '--json'], stdin);
  if (run.code !== 0) throw new Error(`parley-admin ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}
