import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import {
  ATTACHMENT_APPEND_BYTES,
  type AttachmentPointer,
  type AuthResponse,
  type CallConfig,
  type CallRecord,
  type ClientApi,
  type ClientBridge,
  type ClientEvents,
  type Contact,
  type ConversationSummary,
  type HistoryPage,
  type IdentityChange,
  LIMITS,
  type LocalMessage,
  type OutgoingFile,
  RegistrationId,
  type SafetyNumber,
  type SearchHit,
  type SessionInfo,
  type SignalResult,
  type SignedOutReason,
  type TransferUpdate,
  type User,
  type UserPage,
} from '@parley/shared';
import { AttachmentTransfers, type Progress, type UploadedAttachment } from './attachments/transfers.js';
import { CoreError } from './errors.js';
import { Messaging } from './messaging.js';
import { createApiClient } from './net/api-client.js';
import { Connection } from './net/connection.js';
import { ServerSession, toCoreError } from './net/server-session.js';
import { Outbox } from './outbox.js';
import { KeychainSecretStore, keychainAccount, type SecretStore } from './secrets.js';
import { newRegistrationId, PREKEY_BATCH, SIGNED_PREKEY_MAX_AGE_MS, SignalService } from './signal/signal-service.js';
import { openDatabase } from './store/database.js';
import { LocalStore } from './store/local-store.js';

export interface CoreOptions {
  /** Where this installation keeps its (encrypted) data. */
  dataDir: string;
  /** The Parley server, e.g. http://127.0.0.1:3000. */
  serverUrl: string;
  secrets?: SecretStore;
}

/** Not secret: which account this data directory belongs to. The secrets are in the keychain. */
interface Profile {
  serverUrl: string;
  user: User;
  deviceId: string;
}

const sameAccount = (a: Profile, b: Profile) =>
  new URL(a.serverUrl).origin === new URL(b.serverUrl).origin && a.user.id === b.user.id;

/** Everything that exists while signed in. */
interface Active {
  profile: Profile;
  /** The key of the local store (kept in the keychain). */
  databaseKey: Buffer;
  store: LocalStore;
  signal: SignalService;
  session: ServerSession;
  messaging: Messaging;
  connection: Connection;
  outbox: Outbox;
  transfers: AttachmentTransfers;
  /** Files being handed over by the UI (`startAttachment` … `sendAttachment`), by message id. */
  drafts: Map<string, Draft>;
  /** Downloads in flight, by message id. */
  downloads: Map<string, { done: Promise<void>; abort: AbortController }>;
  typingTimers: Map<string, NodeJS.Timeout>;
}

/** A file the UI is appending: its bytes stream into the encryptor as they come. */
interface Draft {
  peerUserId: string;
  file: OutgoingFile;
  input: PassThrough;
  received: number;
  encrypted: Promise<UploadedAttachment>;
  abort: AbortController;
  /** Drops a draft the UI has abandoned (a window reloaded mid-file): nothing else would. */
  idle: NodeJS.Timeout;
}

const DRAFT_IDLE_MS = 10 * 60_000;

/** Progress is reported at most this often per transfer (and always at the end). */
const PROGRESS_INTERVAL_MS = 100;

/** How long a "typing" lasts without a new one. */
const TYPING_TTL_MS = 8_000;
const HISTORY_PAGE = 50;

/**
 * The client engine behind the UI: one account per data directory, its secrets in the OS
 * keychain, its data in an encrypted SQLite store, messages end-to-end encrypted with Signal,
 * sent through a persistent outbox and received idempotently. Plain Node: never imports Electron.
 */
export class ParleyCore implements ClientBridge {
  private readonly emitter = new EventEmitter();
  private readonly secrets: SecretStore;
  private active: Active | null = null;
  private restoring: Promise<SessionInfo | null> | null = null;
  private keyMaintenance: Promise<void> | undefined;
  private keyMaintenanceAgain = false;

  constructor(private readonly options: CoreOptions) {
    this.secrets = options.secrets ?? new KeychainSecretStore();
    this.emitter.setMaxListeners(100);
  }

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  private emit<E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]): void {
    this.emitter.emit(event, payload);
  }

  // Session -----------------------------------------------------------------------------------

  async register(input: Parameters<ClientApi['register']>[0]): Promise<SessionInfo> {
    return this.signIn(() =>
      createApiClient(this.options.serverUrl)('register', {
        body: {
          username: input.username,
          password: input.password,
          displayName: input.displayName,
          device: { name: input.deviceName },
        },
      }),
    );
  }

  async login(input: Parameters<ClientApi['login']>[0]): Promise<SessionInfo> {
    return this.signIn(() =>
      createApiClient(this.options.serverUrl)('login', {
        body: { username: input.username, password: input.password, device: { name: input.deviceName } },
      }),
    );
  }

  /**
   * Restores the last session. Concurrent calls share one restore, so the app can start it as it
   * launches, while the window loads, and the window's own call just joins it.
   */
  restoreSession(): Promise<SessionInfo | null> {
    this.restoring ??= this.restore().finally(() => {
      this.restoring = null;
    });
    return this.restoring;
  }

  private async restore(): Promise<SessionInfo | null> {
    if (this.active) return this.info(this.active);
    const profile = await this.readProfile();
    if (!profile) return null;
    const secrets = await this.secrets.get(keychainAccount(profile.serverUrl, profile.user.id, profile.deviceId));
    if (!secrets?.refreshToken) return null; // signed out by the server: the store waits for a sign-in
    const active = this.activate(profile, Buffer.from(secrets.databaseKey, 'base64'), secrets.refreshToken);
    await active.transfers.clearPartials(); // left by a crash; nothing is writing yet
    this.start(active);
    return this.info(active);
  }

  async session(): Promise<SessionInfo | null> {
    return this.active ? this.info(this.active) : null;
  }

  async logout(): Promise<void> {
    const active = this.require();
    // Not through the socket's "session ended" that the server's revocation sends: this sign-out erases all, now.
    active.connection.close();
    await active.session.call('logout', {}).catch(() => {}); // offline: the device stays listed until revoked elsewhere
    await this.teardown('logout');
  }

  /** Stops everything and closes the store, keeping the session for the next start. */
  async close(): Promise<void> {
    await this.restoring?.catch(() => {});
    const active = this.active;
    if (!active) return;
    this.active = null;
    await this.stop(active);
  }

  // Account -----------------------------------------------------------------------------------

  async updateProfile(input: { displayName: string }): Promise<User> {
    const active = this.require();
    const user = await active.session.call('updateMe', { body: input });
    active.profile.user = user;
    await this.writeProfile(active.profile);
    return user;
  }

  async devices() {
    return (await this.require().session.call('listDevices', {})).items;
  }

  async revokeDevice(deviceId: string): Promise<void> {
    await this.require().session.call('revokeDevice', { params: { id: deviceId } });
  }

  // People ------------------------------------------------------------------------------------

  async contacts(): Promise<Contact[]> {
    const active = this.require();
    try {
      const { items } = await active.session.call('listContacts', { query: {} });
      active.store.replaceContacts(items);
      return items;
    } catch (error) {
      if ((error as CoreError).code === 'NETWORK') return active.store.contacts();
      throw error;
    }
  }

  async addContact(input: { userId: string } | { username: string }): Promise<Contact> {
    const active = this.require();
    const contact = await active.session.call('addContact', { body: input });
    active.store.saveContact(contact);
    return contact;
  }

  async removeContact(userId: string): Promise<void> {
    const active = this.require();
    await active.session.call('removeContact', { params: { userId } });
    active.store.removeContact(userId);
  }

  async searchUsers(query: string, cursor?: string): Promise<UserPage> {
    return this.require().session.call('searchUsers', { query: { q: query, ...(cursor ? { cursor } : {}) } });
  }

  // Conversations -----------------------------------------------------------------------------

  async conversations(): Promise<ConversationSummary[]> {
    return this.require().store.conversations();
  }

  async history(peerUserId: string, before?: string, limit = HISTORY_PAGE): Promise<HistoryPage> {
    return this.require().store.history(peerUserId, before, Math.min(Math.max(1, limit), 500));
  }

  async searchMessages(query: string, limit = 50): Promise<SearchHit[]> {
    return this.require().store.search(query, Math.min(Math.max(1, limit), 200));
  }

  async sendText(peerUserId: string, text: string): Promise<LocalMessage> {
    const active = this.require();
    const body = text.trim();
    if (!body) throw new CoreError('VALIDATION_FAILED', 'A message cannot be empty');
    return this.queueMessage(active, peerUserId, body, null);
  }

  async startAttachment(peerUserId: string, file: OutgoingFile): Promise<string> {
    const active = this.require();
    active.signal.assertTrusted(peerUserId, active.profile.user.id);
    const attachmentId = await active.transfers.announce(peerUserId, file.size);
    const input = new PassThrough({ highWaterMark: ATTACHMENT_APPEND_BYTES });
    const abort = new AbortController();
    const encrypted = active.transfers.encrypt(attachmentId, input, file.size, abort.signal);
    encrypted.catch(() => {}); // reported to whoever appends or sends next
    const messageId = active.messaging.newMessageId();
    const idle = setTimeout(() => this.dropDraft(messageId), DRAFT_IDLE_MS);
    active.drafts.set(messageId, { peerUserId, file, input, received: 0, encrypted, abort, idle });
    return messageId;
  }

  async appendAttachment(messageId: string, bytes: Uint8Array): Promise<void> {
    const draft = this.draft(messageId);
    if (draft.input.destroyed) await draft.encrypted; // rejects with why it stopped
    draft.idle.refresh();
    draft.received += bytes.byteLength;
    if (draft.received > draft.file.size) {
      this.dropDraft(messageId);
      throw new CoreError('VALIDATION_FAILED', `The file is larger than the ${draft.file.size} bytes announced`);
    }
    // Backpressure: the UI's next chunk waits until the encryptor has taken this one.
    if (!draft.input.write(bytes)) await Promise.race([once(draft.input, 'drain'), draft.encrypted]);
  }

  async sendAttachment(messageId: string, caption: string): Promise<LocalMessage> {
    const active = this.require();
    const draft = this.draft(messageId);
    clearTimeout(draft.idle);
    draft.input.end();
    let uploaded: UploadedAttachment;
    try {
      uploaded = await draft.encrypted;
    } finally {
      active.drafts.delete(messageId);
    }
    const { name, contentType, image, voice } = draft.file;
    const attachment: AttachmentPointer = { ...uploaded, name, contentType, image, voice };
    return this.queueMessage(active, draft.peerUserId, caption.trim(), attachment, messageId);
  }

  async downloadAttachment(messageId: string): Promise<void> {
    const active = this.require();
    const message = active.store.message(messageId);
    if (!message?.attachment) throw new CoreError('NOT_FOUND', 'No such attachment');
    if (message.attachmentReady) return;
    const running = active.downloads.get(messageId);
    if (running) return running.done;
    const abort = new AbortController();
    const pointer = message.attachment;
    const done = this.transfer(message, 'download', pointer.size, (progress) =>
      active.transfers.download(pointer, progress, abort.signal),
    )
      .then(() => active.store.setAttachmentReady(messageId))
      .finally(() => active.downloads.delete(messageId));
    active.downloads.set(messageId, { done, abort });
    return done;
  }

  async cancelTransfer(messageId: string): Promise<void> {
    const active = this.require();
    if (active.drafts.has(messageId)) this.dropDraft(messageId);
    active.downloads.get(messageId)?.abort.abort();
    active.outbox.cancel(messageId);
  }

  async retryMessage(messageId: string): Promise<void> {
    const active = this.require();
    const resent = active.store.resendFailed(messageId);
    if (resent) this.emit('status', { messageId, peerUserId: resent.peerUserId, status: resent.status });
    else if (!active.store.expediteMessage(messageId)) return;
    active.outbox.kick();
  }

  /**
   * The plaintext of a message's attachment from its local copy, decrypted as it is read (for
   * the shells to serve to the renderer); null when there is no local copy (or no session).
   */
  openAttachment(messageId: string): { pointer: AttachmentPointer; data: Readable } | null {
    const active = this.active;
    const message = active?.store.message(messageId);
    if (!message?.attachment || !message.attachmentReady) return null;
    return { pointer: message.attachment, data: (active as Active).transfers.open(message.attachment) };
  }

  async markRead(peerUserId: string): Promise<void> {
    const active = this.require();
    const ids = active.store.markRead(peerUserId);
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i += LIMITS.receiptsPerCall) {
      const receipts = ids
        .slice(i, i + LIMITS.receiptsPerCall)
        .map((messageId) => ({ messageId, senderUserId: peerUserId }));
      active.store.enqueue('read', peerUserId, null, { receipts });
    }
    this.emit('read', { peerUserId, unreadCount: 0 });
    active.outbox.kick();
  }

  async setTyping(peerUserId: string, typing: boolean): Promise<void> {
    this.require().connection.typing({ toUserId: peerUserId, state: typing ? 'started' : 'stopped' });
  }

  async safetyNumber(peerUserId: string): Promise<SafetyNumber> {
    const active = this.require();
    if (active.signal.knownDevices(peerUserId).length === 0)
      await active.messaging.openSessions(peerUserId).catch(() => {});
    if (this.active !== active) throw new CoreError('NOT_SIGNED_IN', 'Signed out meanwhile');
    const me = active.profile.user.id;
    const changed = active.signal.hasUnacceptedChange(peerUserId);
    return {
      userId: peerUserId,
      digits: await active.signal.safetyNumber(me, peerUserId),
      changed,
      pendingDigits: changed ? await active.signal.safetyNumber(me, peerUserId, true) : null,
    };
  }

  async acceptIdentity(peerUserId: string): Promise<void> {
    const active = this.require();
    active.signal.acceptChanges(peerUserId);
    active.store.expediteJobs();
    active.outbox.kick();
  }

  async rejectIdentity(peerUserId: string): Promise<void> {
    const active = this.require();
    active.signal.rejectChanges(peerUserId);
    active.store.expediteJobs();
    active.outbox.kick();
  }

  async pendingIdentityChanges(): Promise<IdentityChange[]> {
    return this.require().signal.pendingChanges();
  }

  async sendSignal(peerUserId: string, payload: unknown): Promise<SignalResult> {
    const active = this.require();
    const plaintext = new TextEncoder().encode(JSON.stringify({ kind: 'signal', payload }));
    return active.messaging.repairingDevices(async () => {
      const envelopes = await active.messaging.encryptFor(peerUserId, plaintext, false);
      return active.connection.signal({
        toUserId: peerUserId,
        envelopes: envelopes.map(({ deviceId, type, content }) => ({ deviceId, type, content })),
      });
    });
  }

  async callConfig(): Promise<CallConfig> {
    return this.require().session.call('callConfig', {});
  }

  async recordCall(peerUserId: string, direction: 'in' | 'out', call: CallRecord): Promise<LocalMessage> {
    const active = this.require();
    const now = new Date();
    const message: LocalMessage = {
      id: active.messaging.newMessageId(),
      peerUserId,
      senderUserId: direction === 'out' ? active.profile.user.id : peerUserId,
      direction,
      text: '',
      attachment: null,
      attachmentReady: false,
      call,
      status: 'read',
      sentAt: now.toISOString(),
      serverTimestamp: null,
      // A missed call stays unread until the chat is opened.
      readAt: direction === 'in' && call.outcome === 'missed' ? null : now.toISOString(),
    };
    active.store.insertMessage(message, now.getTime());
    this.emit('message', message);
    return message;
  }

  async connectionState() {
    return this.active?.connection.state ?? 'offline';
  }

  // Internals ---------------------------------------------------------------------------------

  /** Stores an outgoing message with its outbox job (one transaction: once this returns, it will be sent). */
  private queueMessage(
    active: Active,
    peerUserId: string,
    text: string,
    attachment: AttachmentPointer | null,
    id = active.messaging.newMessageId(),
  ): LocalMessage {
    active.signal.assertTrusted(peerUserId, active.profile.user.id);
    if (text.length > 8_000) throw new CoreError('VALIDATION_FAILED', 'A message can be at most 8,000 characters');
    const now = new Date();
    const message: LocalMessage = {
      id,
      peerUserId,
      senderUserId: active.profile.user.id,
      direction: 'out',
      text,
      attachment,
      attachmentReady: attachment !== null,
      call: null,
      status: 'pending',
      sentAt: now.toISOString(),
      serverTimestamp: null,
      readAt: null,
    };
    active.store.db.transaction(() => {
      active.store.insertMessage(message, now.getTime());
      active.store.enqueue('message', peerUserId, message.id, {});
    })();
    this.emit('message', message);
    active.outbox.kick();
    return message;
  }

  private draft(messageId: string): Draft {
    const draft = this.require().drafts.get(messageId);
    if (!draft) throw new CoreError('NOT_FOUND', 'No file is being prepared under this id');
    return draft;
  }

  private dropDraft(messageId: string): void {
    const drafts = this.active?.drafts;
    const draft = drafts?.get(messageId);
    if (!draft) return;
    clearTimeout(draft.idle);
    draft.abort.abort();
    drafts?.delete(messageId);
  }

  /**
   * Runs one upload or download of a message's attachment, telling the UI how it goes: progress
   * (throttled), then done, failed or cancelled.
   */
  private async transfer(
    message: LocalMessage,
    direction: TransferUpdate['direction'],
    total: number,
    run: (progress: Progress) => Promise<void>,
  ): Promise<void> {
    const update = (state: TransferUpdate['state'], done: number, error?: TransferUpdate['error']) =>
      this.emit('transfer', {
        messageId: message.id,
        peerUserId: message.peerUserId,
        direction,
        state,
        done,
        total,
        ...(error ? { error } : {}),
      });
    let reportedAt = 0;
    update('active', 0);
    try {
      await run((done, bytes) => {
        const now = Date.now();
        if (now - reportedAt < PROGRESS_INTERVAL_MS) return;
        reportedAt = now;
        // Ciphertext bytes, scaled to the file's size.
        update('active', Math.min(total, Math.round((done / bytes) * total)));
      });
      update('done', total);
    } catch (error) {
      const e = error as Partial<CoreError> & Error;
      if (e.name === 'AbortError') update('cancelled', 0);
      else update('failed', 0, { code: e.code ?? 'NETWORK', message: e.message });
      throw error;
    }
  }

  private require(): Active {
    if (!this.active) throw new CoreError('NOT_SIGNED_IN', 'Sign in first');
    return this.active;
  }

  private info(active: Active): SessionInfo {
    return { user: active.profile.user, deviceId: active.profile.deviceId, serverUrl: active.profile.serverUrl };
  }

  private async signIn(authenticate: () => Promise<AuthResponse>): Promise<SessionInfo> {
    if (this.active) throw new CoreError('ALREADY_SIGNED_IN', 'Already signed in on this device');
    // Reach the keychain before the server: without it nothing can be kept safe.
    await this.secrets.get('parley-keychain-probe');
    let auth: AuthResponse;
    try {
      auth = await authenticate();
    } catch (error) {
      throw toCoreError(error);
    }
    const profile: Profile = { serverUrl: this.options.serverUrl, user: auth.user, deviceId: auth.deviceId };
    const previous = await this.readProfile();
    const previousAccount = previous && keychainAccount(previous.serverUrl, previous.user.id, previous.deviceId);
    // The same account signing in again here (after the server ended the session) gets its store back.
    const kept =
      previousAccount && sameAccount(previous, profile) ? (await this.secrets.get(previousAccount))?.databaseKey : null;
    const databaseKey = kept ? Buffer.from(kept, 'base64') : randomBytes(32);
    if (!kept) await this.removeLocalData();
    const account = keychainAccount(profile.serverUrl, profile.user.id, profile.deviceId);
    await this.secrets.set(account, { refreshToken: auth.refreshToken, databaseKey: databaseKey.toString('base64') });
    if (previousAccount && previousAccount !== account) await this.secrets.delete(previousAccount).catch(() => {});
    await this.writeProfile(profile);
    const active = this.activate(profile, databaseKey, auth.refreshToken, auth);
    active.store.upsertUser(auth.user);
    // A new device: its Signal keys are made here and uploaded before it goes online.
    const keys = await active.signal.createDeviceKeys();
    active.store.setValue('keysUploaded', '0');
    await active.session
      .call('uploadKeys', { body: keys })
      .then(() => active.store.setValue('keysUploaded', '1'))
      .catch(() => {}); // offline: retried when the connection comes up
    this.start(active);
    return this.info(active);
  }

  private activate(profile: Profile, databaseKey: Buffer, refreshToken: string, initial?: AuthResponse): Active {
    const store = new LocalStore(openDatabase(this.databasePath(), databaseKey));
    const signal = new SignalService(store.db, (change) => this.emit('identity', change));
    const account = keychainAccount(profile.serverUrl, profile.user.id, profile.deviceId);
    const session = new ServerSession(
      createApiClient(profile.serverUrl),
      refreshToken,
      {
        persistRefreshToken: (token) =>
          this.secrets.set(account, { refreshToken: token, databaseKey: databaseKey.toString('base64') }),
        revoked: (by) => void this.teardown(by === 'user' ? 'revoked' : 'ended'),
      },
      initial,
    );
    const messaging = new Messaging({ userId: profile.user.id }, store, signal, session, {
      message: (m) => this.emit('message', m),
      status: (m) => this.emit('status', { messageId: m.id, peerUserId: m.peerUserId, status: m.status }),
      read: (peerUserId) => this.emit('read', { peerUserId, unreadCount: store.unreadCount(peerUserId) }),
      unknownUser: (userId) => void this.learnUser(userId),
    });
    const typingTimers = new Map<string, NodeJS.Timeout>();
    const transfers = new AttachmentTransfers(profile.serverUrl, session, this.attachmentsPath());
    const connection = new Connection(profile.serverUrl, session, {
      state: (state) => {
        this.emit('connection', { state });
      },
      connected: () => {
        void this.maintainKeys();
        store.expediteJobs();
        this.active?.outbox.kick();
      },
      envelopes: async (batch) => {
        const done: string[] = [];
        for (const envelope of batch.envelopes) {
          await messaging.receive(envelope);
          done.push(envelope.id);
        }
        return done;
      },
      presence: ({ userId, online, lastSeenAt }) => {
        store.setPresence(userId, { online, lastSeenAt });
        this.emit('presence', { userId, online, lastSeenAt });
      },
      typing: ({ fromUserId, state }) => {
        clearTimeout(typingTimers.get(fromUserId));
        const typing = state === 'started';
        if (typing) {
          const timer = setTimeout(() => this.emit('typing', { userId: fromUserId, typing: false }), TYPING_TTL_MS);
          timer.unref?.();
          typingTimers.set(fromUserId, timer);
        }
        this.emit('typing', { userId: fromUserId, typing });
      },
      signal: (event) => {
        void messaging.openSignal(event.fromUserId, event.fromDeviceId, event.type, event.content).then((payload) => {
          if (payload !== null)
            this.emit('signal', { fromUserId: event.fromUserId, fromDeviceId: event.fromDeviceId, payload });
        });
      },
      keysLow: () => void this.maintainKeys(),
      sessionEnded: (reason, by) => {
        if (reason === 'revoked') void this.teardown(by === 'user' ? 'revoked' : 'ended');
      },
    });
    const outbox = new Outbox(
      store,
      messaging,
      {
        send: (request) =>
          connection.connected ? connection.send(request) : session.call('sendMessage', { body: request }),
        sendReadReceipts: (request) => connection.sendReadReceipts(request),
        upload: (message, signal) => {
          const pointer = message.attachment as AttachmentPointer;
          return this.transfer(message, 'upload', pointer.size, async (progress) => {
            try {
              await transfers.upload(pointer.id, progress, signal);
            } catch (error) {
              if ((error as CoreError).code !== 'NOT_FOUND') throw error;
              // Not uploaded for so long that the server forgot it: the message is not sent yet,
              // so it can point to a new announcement of the same ciphertext.
              const id = await transfers.reannounce(pointer.id, message.peerUserId, pointer.size);
              store.setAttachment(message.id, { ...pointer, id });
              await transfers.upload(id, progress, signal);
            }
          });
        },
      },
      (messageId) => {
        const m = store.message(messageId);
        if (m) this.emit('status', { messageId, peerUserId: m.peerUserId, status: m.status });
      },
    );
    this.active = {
      profile,
      databaseKey,
      store,
      signal,
      session,
      messaging,
      connection,
      outbox,
      transfers,
      drafts: new Map(),
      downloads: new Map(),
      typingTimers,
    };
    return this.active;
  }

  private start(active: Active): void {
    active.connection.open();
    active.outbox.kick();
  }

  private async stop(active: Active): Promise<void> {
    for (const id of [...active.drafts.keys()]) this.dropDraft(id);
    for (const download of active.downloads.values()) download.abort.abort();
    active.connection.close();
    await active.outbox.stop();
    await active.session.settled();
    for (const timer of active.typingTimers.values()) clearTimeout(timer);
    active.store.db.close();
  }

  /**
   * Ends the session here. When the user ended it (`logout` here, or `revoked` from another
   * device) the store, keychain entry and files are erased. When the server did (`ended`: a
   * refresh token presented again, or expired) only the refresh token goes: the encrypted store and its key stay,
   * so that signing in to the same account here again brings the history back (`signIn`).
   */
  private async teardown(reason: SignedOutReason): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = null;
    await this.stop(active);
    const account = keychainAccount(active.profile.serverUrl, active.profile.user.id, active.profile.deviceId);
    if (reason !== 'ended') {
      await this.secrets.delete(account).catch(() => {});
      await this.removeLocalData();
      await rm(this.profilePath(), { force: true });
    } else {
      await this.secrets.set(account, { databaseKey: active.databaseKey.toString('base64') }).catch(() => {});
    }
    this.emit('signedOut', { reason });
  }

  private async removeLocalData(): Promise<void> {
    for (const suffix of ['', '-wal', '-shm']) await rm(`${this.databasePath()}${suffix}`, { force: true });
    await rm(this.attachmentsPath(), { recursive: true, force: true });
  }

  /**
   * Runs key maintenance, one at a time: two at once would give out the same prekey ids with
   * different keys. Asked again while it runs (a burst of `keys:low` while someone drains the
   * prekeys), it runs once more right after, so the top-up follows the drain.
   */
  private maintainKeys(): Promise<void> {
    if (this.keyMaintenance) {
      this.keyMaintenanceAgain = true;
      return this.keyMaintenance;
    }
    this.keyMaintenance = (async () => {
      do {
        this.keyMaintenanceAgain = false;
        await this.maintainKeysOnce();
      } while (this.keyMaintenanceAgain);
    })().finally(() => {
      this.keyMaintenance = undefined;
    });
    return this.keyMaintenance;
  }

  /** Keys upload (if it failed at sign-in), one-time prekey top-up, signed prekey rotation. */
  private async maintainKeysOnce(): Promise<void> {
    const active = this.active;
    if (!active) return;
    try {
      if (active.store.getValue('keysUploaded') !== '1') {
        // The first upload never reached the server: send the same identity with fresh prekeys.
        const identity = JSON.parse(active.store.getValue('identityKeyPair') ?? '{}') as { pub?: string };
        if (!identity.pub) return;
        let registrationId = Number(active.store.getValue('registrationId'));
        if (!RegistrationId.safeParse(registrationId).success) {
          // Made by an older version out of range, so refused and never seen by anyone: replace it.
          registrationId = newRegistrationId();
          active.store.setValue('registrationId', String(registrationId));
        }
        await active.session.call('uploadKeys', {
          body: {
            registrationId,
            identityKey: identity.pub,
            signedPreKey: await active.signal.newSignedPreKey(),
            preKeys: await active.signal.newPreKeys(PREKEY_BATCH),
          },
        });
        active.store.setValue('keysUploaded', '1');
        return;
      }
      const { count } = await active.session.call('preKeyCount', {});
      if (count < LIMITS.preKeyLowWater) {
        await active.session.call('addPreKeys', { body: { preKeys: await active.signal.newPreKeys(PREKEY_BATCH) } });
      }
      if (active.signal.signedPreKeyAge() > SIGNED_PREKEY_MAX_AGE_MS) {
        await active.session.call('replaceSignedPreKey', {
          body: { signedPreKey: await active.signal.newSignedPreKey() },
        });
      }
    } catch (error) {
      // Stopped meanwhile (closed, signed out): the store is gone and the next start maintains the keys.
      if (this.active !== active) return;
      console.warn(`parley: key maintenance failed: ${(error as Error).message}`);
    }
  }

  private async learnUser(userId: string): Promise<void> {
    const active = this.active;
    if (!active) return;
    try {
      active.store.upsertUser(await active.session.call('getUser', { params: { userId } }));
    } catch {
      // Offline: the conversation shows the id until the next message brings us online.
    }
  }

  private databasePath(): string {
    return join(this.options.dataDir, 'parley.db');
  }

  private attachmentsPath(): string {
    return join(this.options.dataDir, 'attachments');
  }

  private profilePath(): string {
    return join(this.options.dataDir, 'profile.json');
  }

  private async readProfile(): Promise<Profile | null> {
    try {
      return JSON.parse(await readFile(this.profilePath(), 'utf8')) as Profile;
    } catch {
      return null;
    }
  }

  private async writeProfile(profile: Profile): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    await writeFile(this.profilePath(), JSON.stringify(profile, null, 2), { mode: 0o600 });
  }
}
