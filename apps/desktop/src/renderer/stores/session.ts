import type { ConnectionState, SessionInfo } from '@parley/shared';
import { create } from 'zustand';
import { parley } from '../api.js';

type Status = 'loading' | 'signedOut' | 'signedIn' | 'keychainUnavailable';

interface SessionStore {
  status: Status;
  session: SessionInfo | null;
  connection: ConnectionState;
  restore(): Promise<void>;
  signedIn(session: SessionInfo): void;
  signOut(): Promise<void>;
}

export const useSession = create<SessionStore>((set) => ({
  status: 'loading',
  session: null,
  connection: 'connecting',
  async restore() {
    try {
      const session = await parley().restoreSession();
      set(session ? { status: 'signedIn', session } : { status: 'signedOut' });
      if (session) set({ connection: await parley().connectionState() });
    } catch (error) {
      const code = (error as { code?: string }).code;
      set({ status: code === 'KEYCHAIN_UNAVAILABLE' ? 'keychainUnavailable' : 'signedOut' });
    }
  },
  signedIn(session) {
    set({ status: 'signedIn', session });
  },
  async signOut() {
    await parley().logout();
    set({ status: 'signedOut', session: null });
  },
}));
