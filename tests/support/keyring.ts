import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private, unlocked gnome-keyring on a private D-Bus session bus for the test run, so keychain
 * code is tested against a real Secret Service without touching the developer's own keychain.
 * Returns the environment to hand to test processes and a function that stops it all.
 */
export function startTestKeyring(): { env: Record<string, string>; stop: () => void } {
  for (const tool of ['dbus-daemon', 'gnome-keyring-daemon']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(
        `${tool} is missing: the keychain tests need gnome-keyring and dbus (apt-get install gnome-keyring dbus libsecret-1-dev)`,
      );
    }
  }
  const home = mkdtempSync(join(tmpdir(), 'parley-keyring-'));
  // A session bus without service activation: with the standard configuration, the first call
  // to org.freedesktop.secrets (our own readiness check, or keytar) could start a second, locked
  // gnome-keyring with no login collection, racing the unlocked one below for the name.
  const config = join(home, 'bus.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=${home}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const address = execFileSync(
    'dbus-daemon',
    [`--config-file=${config}`, '--fork', '--print-address=1', '--print-pid=1'],
    {
      encoding: 'utf8',
    },
  ).split('\n');
  const busAddress = address[0]?.trim() ?? '';
  const busPid = Number(address[1]);
  const env = { DBUS_SESSION_BUS_ADDRESS: busAddress };
  // Creates and unlocks a login keyring with this password; the daemon leaves when the bus does.
  execFileSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], {
    env: { ...process.env, ...env, HOME: home, XDG_RUNTIME_DIR: home },
    input: 'test-keyring-password',
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  return {
    env,
    stop: () => {
      try {
        process.kill(busPid);
      } catch {}
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the keyring's login collection answers on the bus: the daemon takes its name first
 * and creates the collection a moment later, and a secret stored in between fails.
 */
export async function waitForKeyring(env: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      execFileSync(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.secrets',
          '/org/freedesktop/secrets/collection/login',
          'org.freedesktop.DBus.Properties.Get',
          'string:org.freedesktop.Secret.Collection',
          'string:Locked',
        ],
        { env: { ...process.env, ...env }, stdio: 'ignore' },
      );
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('the test keyring did not come up');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
