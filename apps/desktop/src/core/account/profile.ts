import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { User, Uuid } from '@parley/shared';
import { z } from 'zod';

/** Not secret: which account this data directory belongs to. The secrets are in the keychain. */
const Profile = z.object({ serverUrl: z.url(), user: User, deviceId: Uuid });
export type Profile = z.infer<typeof Profile>;

export const sameAccount = (a: Profile, b: Profile) =>
  new URL(a.serverUrl).origin === new URL(b.serverUrl).origin && a.user.id === b.user.id;

/** The files of one installation: the encrypted store, the attachments' local copies, the profile. */
export class DataDir {
  constructor(private readonly dir: string) {}

  get database(): string {
    return join(this.dir, 'parley.db');
  }

  get attachments(): string {
    return join(this.dir, 'attachments');
  }

  private get profile(): string {
    return join(this.dir, 'profile.json');
  }

  /** The profile, or null when there is none or it is damaged (then this directory counts as unused). */
  async readProfile(): Promise<Profile | null> {
    try {
      return Profile.safeParse(JSON.parse(await readFile(this.profile, 'utf8'))).data ?? null;
    } catch {
      return null;
    }
  }

  async writeProfile(profile: Profile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(this.profile, JSON.stringify(profile, null, 2), { mode: 0o600 });
  }

  /** The store and the attachments; the profile stays (`removeAll` takes it too). */
  async removeLocalData(): Promise<void> {
    for (const suffix of ['', '-wal', '-shm']) await rm(`${this.database}${suffix}`, { force: true });
    await rm(this.attachments, { recursive: true, force: true });
  }

  async removeAll(): Promise<void> {
    await this.removeLocalData();
    await rm(this.profile, { force: true });
  }
}
