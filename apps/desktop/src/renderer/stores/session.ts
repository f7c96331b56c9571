import type { ConnectionState, SessionInfo, SignedOutReason, User } from '@parley/shared';
import { create } from 'zustand';
import { errorCode, parley } from '../api.js';
import { callEngine } from './calls.js';
import { useContacts } from './contacts.js';
import { useConversations } from './conversations.js';
import { useMessages } from './messages.js';
import { useTransfers } from './transfers.js';
import { useVoicePlayer } from './voice-player.js';

export type SessionPhase = 'restoring' | 'signedOut' | 'signedIn' | 'keychainUnavailable' | 'restoreFailed';

interface SessionState {
  phase: SessionPhase;
  session: SessionInfo | null;
  connection: ConnectionState;
  /** The browser host's process answers (always in Electron); while it does not, nothing reaches the core. */
  hostReachable: boolean;
  /** Set when this device was signed out from elsewhere or by the server, to say so on the sign-in screen. */
  signedOutNotice: 'revoked' | 'ended' | null;
  /** Why restoring failed, when it was not the keychain. */
  restoreError: unknown;
  restore(): Promise<void>;
  signedIn(session: SessionInfo): void;
  profileUpdated(user: User): void;
  connectionChanged(state: ConnectionState): void;
  hostLinkChanged(up: boolean): void;
  signOut(): Promise<void>;
  signedOut(reason: SignedOutReason): void;
  dismissSignedOutNotice(): void;
}

/** Everything the previous account showed goes, so the next one never sees it; a running call ends. */
function clearAccountData(): void {
  void callEngine.leave();
  useContacts.getState().reset();
  useConversations.getState().reset();
  useMessages.getState().reset();
  useTransfers.getState().reset();
  useVoicePlayer.getState().reset();
}

/** One restore at a time: the core must not open the same store twice (React may mount twice in development). */
let restoring: Promise<void> | null = null;

export const useSession = create<SessionState>((set, get) => ({
  phase: 'restoring',
  session: null,
  connection: 'connecting',
  hostReachable: true,
  signedOutNotice: null,
  restoreError: null,
  restore() {
    restoring ??= (async () => {
      set({ phase: 'restoring', restoreError: null });
      try {
        const session = await parley.restoreSession();
        performance.mark('parley:session-restored'); // startup phases, read by bench:client and DevTools
        if (session) get().signedIn(session);
        else set({ phase: 'signedOut' });
      } catch (error) {
        // Never a fallback without the keychain: the data key lives there and nowhere else.
        if (errorCode(error) === 'KEYCHAIN_UNAVAILABLE') set({ phase: 'keychainUnavailable' });
        else set({ phase: 'restoreFailed', restoreError: error });
      } finally {
        restoring = null;
      }
    })();
    return restoring;
  },
  signedIn(session) {
    clearAccountData();
    set({ phase: 'signedIn', session, signedOutNotice: null, connection: 'connecting' });
    void parley
      .connectionState()
      .then((connection) => set({ connection }))
      .catch(() => {});
  },
  profileUpdated(user) {
    const session = get().session;
    if (session) set({ session: { ...session, user } });
  },
  connectionChanged(connection) {
    set({ connection });
  },
  hostLinkChanged(up) {
    if (up === get().hostReachable) return;
    // Without the host, the core's link to the server is unknown: offline, as far as this window can tell.
    set(up ? { hostReachable: true } : { hostReachable: false, connection: 'offline' });
    if (up && get().phase === 'signedIn')
      void parley
        .connectionState()
        .then((connection) => set({ connection }))
        .catch(() => {});
  },
  async signOut() {
    await callEngine.leave(); // while the connection can still tell the other side
    try {
      await parley.logout();
    } catch (error) {
      if (errorCode(error) !== 'NOT_SIGNED_IN') throw error;
    }
    get().signedOut('logout');
  },
  signedOut(reason) {
    clearAccountData();
    set({ phase: 'signedOut', session: null, signedOutNotice: reason === 'logout' ? null : reason });
  },
  dismissSignedOutNotice() {
    set({ signedOutNotice: null });
  },
}));
