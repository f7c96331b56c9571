import { Accounts1764000000000 } from './1764000000000-accounts.js';

/** Every migration, in order. Listed explicitly so the build, not a glob, decides what runs. */
export const MIGRATIONS = [Accounts1764000000000];
