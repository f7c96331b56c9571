import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type {
  AttachmentPointer,
  CallConfig,
  CallRecord,
  ClientApi,
  ClientBridge,
  ClientEvents,
  ConnectionState,
  Contact,
  ConversationSummary,
  Device,
  HistoryPage,
  IdentityChange,
  LocalMessage,
  MessageVersion,
  OutgoingFile,
  RegistrationMode,
  SafetyNumber,
  SearchHit,
  SessionInfo,
  SignalResult,
  User,
  UserPage,
} from '@parley/shared';
import { Account } from './account/account.js';
import { DataDir } from './account/profile.js';
import { KeychainSecretStore, type SecretStore } from './secrets.js';
import type { SignedIn } from './session.js';

export interface CoreOptions {
  /** Where this installation keeps its (encrypted) data. */
  dataDir: string;
  /** The Parley server, e.g. http://127.0.0.1:3000. */
  serverUrl: string;
  secrets?: SecretStore;
}

/**
 * The client engine behind the UI: one account per data directory, its secrets in the OS
 * keychain, its data in an encrypted SQLite store, messages end-to-end encrypted with Signal,
 * sent through a persistent outbox and received idempotently. Plain Node: never imports Electron.
 *
 * This is the facade: each method delegates to the service of its capability (`account/`,
 * `people/`, `messaging/`, `attachments/`, `keys/`, `calls/`), which the signed-in session
 * (`session.ts`) wires together.
 */
export class ParleyCore implements ClientBridge {
  private readonly emitter = new EventEmitter();
  private readonly account: Account;

  constructor(options: CoreOptions) {
    this.emitter.setMaxListeners(100);
    this.account = new Account({
      serverUrl: options.serverUrl,
      dataDir: new DataDir(options.dataDir),
      secrets: options.secrets ?? new KeychainSecretStore(),
      emit: (event, payload) => this.emitter.emit(event, payload),
    });
  }

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** The signed-in session's services; NOT_SIGNED_IN without one. */
  private get s(): SignedIn {
    return this.account.signedIn;
  }

  // Account and session ------------------------------------------------------------------------

  registrationMode(): Promise<RegistrationMode> {
    return this.account.registrationMode();
  }

  register(input: Parameters<ClientApi['register']>[0]): Promise<SessionInfo> {
    return this.account.register(input);
  }

  login(input: Parameters<ClientApi['login']>[0]): Promise<SessionInfo> {
    return this.account.login(input);
  }

  restoreSession(): Promise<SessionInfo | null> {
    return this.account.restoreSession();
  }

  async session(): Promise<SessionInfo | null> {
    return this.account.session();
  }

  logout(): Promise<void> {
    return this.account.logout();
  }

  /** Stops everything and closes the store, keeping the session for the next start. */
  close(): Promise<void> {
    return this.account.close();
  }

  updateProfile(input: { displayName: string }): Promise<User> {
    return this.account.updateProfile(input);
  }

  devices(): Promise<Device[]> {
    return this.account.devices();
  }

  revokeDevice(deviceId: string): Promise<void> {
    return this.account.revokeDevice(deviceId);
  }

  async connectionState(): Promise<ConnectionState> {
    return this.account.current?.connection.state ?? 'offline';
  }

  async setWindowOpen(open: boolean): Promise<void> {
    this.account.setWindowOpen(open);
  }

  // People ------------------------------------------------------------------------------------

  async contacts(): Promise<Contact[]> {
    return this.s.people.contacts();
  }

  async addContact(input: { userId: string } | { username: string }): Promise<Contact> {
    return this.s.people.addContact(input);
  }

  async removeContact(userId: string): Promise<void> {
    return this.s.people.removeContact(userId);
  }

  async searchUsers(query: string, cursor?: string): Promise<UserPage> {
    return this.s.people.search(query, cursor);
  }

  // Conversations -----------------------------------------------------------------------------

  async conversations(): Promise<ConversationSummary[]> {
    return this.s.conversations.list();
  }

  async history(peerUserId: string, before?: string, limit?: number): Promise<HistoryPage> {
    return this.s.conversations.history(peerUserId, before, limit);
  }

  async searchMessages(query: string, limit?: number): Promise<SearchHit[]> {
    return this.s.conversations.search(query, limit);
  }

  async sendText(peerUserId: string, text: string, replyTo?: string): Promise<LocalMessage> {
    return this.s.conversations.sendText(peerUserId, text, replyTo);
  }

  async forwardMessages(messageIds: string[], toPeerUserId: string): Promise<LocalMessage[]> {
    return this.s.conversations.forward(messageIds, toPeerUserId);
  }

  // Message actions ---------------------------------------------------------------------------

  async editMessage(messageId: string, text: string): Promise<void> {
    this.s.actions.edit(messageId, text);
  }

  async editHistory(messageId: string): Promise<MessageVersion[]> {
    return this.s.actions.history(messageId);
  }

  async deleteMessages(messageIds: string[], forEveryone: boolean): Promise<void> {
    this.s.actions.delete(messageIds, forEveryone);
  }

  async react(messageId: string, emoji: string | null): Promise<void> {
    this.s.actions.react(messageId, emoji);
  }

  async retryMessage(messageId: string): Promise<void> {
    this.s.conversations.retry(messageId);
  }

  async markRead(peerUserId: string): Promise<void> {
    this.s.conversations.markRead(peerUserId);
  }

  async setTyping(peerUserId: string, typing: boolean): Promise<void> {
    this.s.typing.set(peerUserId, typing);
  }

  // Attachments -------------------------------------------------------------------------------

  async startAttachment(peerUserId: string, file: OutgoingFile): Promise<string> {
    return this.s.attachments.start(peerUserId, file);
  }

  async appendAttachment(messageId: string, bytes: Uint8Array): Promise<void> {
    return this.s.attachments.append(messageId, bytes);
  }

  async sendAttachment(messageId: string, caption: string, replyTo?: string): Promise<LocalMessage> {
    return this.s.attachments.send(messageId, caption, replyTo);
  }

  async downloadAttachment(messageId: string): Promise<void> {
    return this.s.attachments.download(messageId);
  }

  async cancelTransfer(messageId: string): Promise<void> {
    this.s.attachments.cancel(messageId);
  }

  /**
   * The plaintext of a message's attachment from its local copy, decrypted as it is read (for
   * the shells to serve to the renderer); null when there is no local copy (or no session).
   */
  openAttachment(messageId: string): { pointer: AttachmentPointer; data: Readable } | null {
    return this.account.current?.attachments.open(messageId) ?? null;
  }

  // Identities --------------------------------------------------------------------------------

  async safetyNumber(peerUserId: string): Promise<SafetyNumber> {
    return this.s.trust.safetyNumber(peerUserId);
  }

  async setVerified(peerUserId: string, verified: boolean): Promise<SafetyNumber> {
    return this.s.trust.setVerified(peerUserId, verified);
  }

  async acceptIdentity(peerUserId: string): Promise<void> {
    this.s.trust.accept(peerUserId);
  }

  async rejectIdentity(peerUserId: string): Promise<void> {
    this.s.trust.reject(peerUserId);
  }

  async pendingIdentityChanges(): Promise<IdentityChange[]> {
    return this.s.trust.pending();
  }

  // Calls -------------------------------------------------------------------------------------

  async sendSignal(peerUserId: string, payload: unknown): Promise<SignalResult> {
    return this.s.calls.send(peerUserId, payload);
  }

  async callConfig(): Promise<CallConfig> {
    return this.s.calls.config();
  }

  async recordCall(peerUserId: string, direction: 'in' | 'out', call: CallRecord): Promise<LocalMessage> {
    return this.s.calls.record(peerUserId, direction, call);
  }
}
