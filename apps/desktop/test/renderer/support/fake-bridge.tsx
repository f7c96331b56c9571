// Over 400 lines: it fakes the whole ClientApi (one in-memory method per API method) for the component tests.
// (.tsx so the Node-side tests project, which includes test/**/*.ts, leaves these DOM helpers alone.)
import {
  type AttachmentPointer,
  type CallRecord,
  type ClientApi,
  type ClientBridge,
  type ClientError,
  type ClientEvents,
  type ConnectionState,
  type Contact,
  type ConversationSummary,
  type Device,
  type HistoryPage,
  type LocalMessage,
  type MessageVersion,
  type OutgoingFile,
  type SafetyNumber,
  type SearchHit,
  type SessionInfo,
  UNTOUCHED,
  type User,
  type UserPage,
} from '@parley/shared';

export const ME: User = { id: '00000000-0000-4000-8000-000000000001', username: 'alice', displayName: 'Alice Liddell' };
export const BOB: User = { id: '00000000-0000-4000-8000-000000000002', username: 'bob', displayName: 'Bob Builder' };
export const CAROL: User = {
  id: '00000000-0000-4000-8000-000000000003',
  username: 'carol',
  displayName: 'Carol Danvers',
};
export const DAVE: User = { id: '00000000-0000-4000-8000-000000000004', username: 'dave', displayName: 'Dave Grohl' };

export const SESSION: SessionInfo = { user: ME, deviceId: 'device-1', serverUrl: 'http://127.0.0.1:1' };

/** A rejection shaped like the bridge's: a stable code, a message, maybe details. */
export function clientError(code: ClientError['code'], details?: unknown): ClientError & Error {
  return Object.assign(new Error(code), { code, details });
}

type Listener = (payload: unknown) => void;
/** What a test hands `emit`: a `message` as stored, a `messagesChanged` and a `read` without the totals; the fake adds the rest, as the core does. */
type Emitted<E extends keyof ClientEvents> = E extends 'message'
  ? LocalMessage
  : E extends 'messagesChanged'
    ? Omit<ClientEvents['messagesChanged'], 'conversation' | 'unreadTotal'>
    : E extends 'read'
      ? Omit<ClientEvents['read'], 'unreadTotal'>
      : ClientEvents[E];
type Overrides = { [K in keyof ClientApi]?: ClientApi[K] };

/**
 * A small in-memory stand-in for the core behind `window.parley`, for component tests only: it
 * keeps messages, contacts and a directory, answers history in pages with a cursor, records every
 * call, and lets a test emit core events or make any method answer something else.
 */
export class FakeBridge implements ClientBridge {
  calls: { method: keyof ClientApi; args: unknown[] }[] = [];
  overrides: Overrides = {};
  storedSession: SessionInfo | null = null;
  session_: SessionInfo | null = null;
  directory: User[] = [];
  contactList: Contact[] = [];
  deviceList: Device[] = [];
  /** Per peer, oldest first. */
  threads = new Map<string, LocalMessage[]>();
  pageSize = 50;
  keyChanged = new Set<string>();
  verified = new Set<string>();
  connection: ConnectionState = 'online';
  /** Files handed over by startAttachment/appendAttachment, by the message id they will have. */
  outgoingFiles = new Map<string, { peerUserId: string; file: OutgoingFile; chunks: Uint8Array[] }>();
  private listeners = new Map<string, Set<Listener>>();
  private ids = 0;

  reset(): void {
    Object.assign(this, new FakeBridge());
  }

  /** Makes one method answer differently (a rejection, a promise that never settles…). */
  override<K extends keyof ClientApi>(method: K, implementation: ClientApi[K]): void {
    this.overrides[method] = implementation as Overrides[K];
  }

  callsOf(method: keyof ClientApi): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  emit<E extends keyof ClientEvents>(event: E, payload: Emitted<E>): void {
    const complete = this.complete(event, payload);
    for (const listener of this.listeners.get(event) ?? []) listener(complete);
  }

  /** A message is stored before the core tells of it, and comes with its conversation and the unread total. */
  private complete(event: keyof ClientEvents, payload: unknown): unknown {
    if (event === 'message') {
      const message = payload as LocalMessage;
      const thread = this.threads.get(message.peerUserId) ?? [];
      if (!thread.some((m) => m.id === message.id)) thread.push(message);
      this.threads.set(message.peerUserId, thread);
      const conversation = this.summaries().find((c) => c.peer.id === message.peerUserId);
      return { ...message, conversation, unreadTotal: this.unreadTotal() };
    }
    if (event === 'messagesChanged') {
      const { peerUserId } = payload as ClientEvents['messagesChanged'];
      const conversation = this.summaries().find((c) => c.peer.id === peerUserId);
      return { ...(payload as object), conversation, unreadTotal: this.unreadTotal() };
    }
    return event === 'read' ? { ...(payload as object), unreadTotal: this.unreadTotal() } : payload;
  }

  private unreadTotal(): number {
    return this.summaries().reduce((sum, c) => sum + c.unreadCount, 0);
  }

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  // Test data ----------------------------------------------------------------------------------

  addContactData(user: User, presence: Contact['presence'] = { online: true, lastSeenAt: null }): void {
    if (!this.directory.some((u) => u.id === user.id)) this.directory.push(user);
    this.contactList.push({
      userId: user.id,
      username: user.username,
      displayName: user.displayName,
      addedAt: at(0),
      presence,
    });
  }

  /** Adds a message to a thread (no event), `minutesAgo` before now. */
  seed(
    peer: User,
    text: string,
    direction: 'in' | 'out',
    minutesAgo: number,
    extra: Partial<LocalMessage> = {},
  ): LocalMessage {
    if (!this.directory.some((u) => u.id === peer.id)) this.directory.push(peer);
    const moment = new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const message: LocalMessage = {
      id: extra.id ?? `m-${++this.ids}`,
      peerUserId: peer.id,
      senderUserId: direction === 'in' ? peer.id : ME.id,
      direction,
      text,
      status: direction === 'out' ? 'read' : 'read',
      sentAt: moment,
      serverTimestamp: moment,
      readAt: direction === 'in' ? moment : null,
      attachment: null,
      attachmentReady: Boolean(extra.attachment) && direction === 'out',
      call: null,
      ...UNTOUCHED,
      ...extra,
    };
    const thread = this.threads.get(peer.id) ?? [];
    thread.push(message);
    this.threads.set(peer.id, thread);
    return message;
  }

  /** Adds a message with an attachment (no event); received ones are not downloaded yet unless `extra` says so. */
  seedAttachment(
    peer: User,
    attachment: Partial<AttachmentPointer> & Pick<AttachmentPointer, 'name' | 'contentType' | 'size'>,
    direction: 'in' | 'out',
    minutesAgo: number,
    extra: Partial<LocalMessage> = {},
  ): LocalMessage {
    const n = ++this.ids;
    return this.seed(peer, extra.text ?? '', direction, minutesAgo, {
      attachment: {
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        key: 'a2V5',
        digest: 'ZGlnZXN0',
        ...attachment,
      },
      ...extra,
    });
  }

  /** The bytes appended for a file, in order, as one array. */
  appendedBytes(messageId: string): Uint8Array {
    const chunks = this.outgoingFiles.get(messageId)?.chunks ?? [];
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, at);
      at += chunk.byteLength;
    }
    return all;
  }

  private findMessage(messageId: string): LocalMessage | undefined {
    for (const thread of this.threads.values()) {
      const found = thread.find((m) => m.id === messageId);
      if (found) return found;
    }
    return undefined;
  }

  // ClientApi ----------------------------------------------------------------------------------

  private call<K extends keyof ClientApi>(
    method: K,
    args: Parameters<ClientApi[K]>,
    fallback: () => Awaited<ReturnType<ClientApi[K]>>,
  ): ReturnType<ClientApi[K]> {
    this.calls.push({ method, args });
    const override = this.overrides[method] as ((...a: unknown[]) => ReturnType<ClientApi[K]>) | undefined;
    if (override) return override(...args);
    try {
      return Promise.resolve(fallback()) as ReturnType<ClientApi[K]>;
    } catch (error) {
      return Promise.reject(error) as ReturnType<ClientApi[K]>;
    }
  }

  registrationMode() {
    return this.call('registrationMode', [], () => 'open' as const);
  }
  register(input: Parameters<ClientApi['register']>[0]) {
    return this.call('register', [input], () => {
      this.session_ = { ...SESSION, user: { ...ME, username: input.username, displayName: input.displayName } };
      return this.session_;
    });
  }
  login(input: Parameters<ClientApi['login']>[0]) {
    return this.call('login', [input], () => {
      this.session_ = SESSION;
      return SESSION;
    });
  }
  restoreSession() {
    return this.call('restoreSession', [], () => {
      this.session_ = this.storedSession;
      return this.storedSession;
    });
  }
  logout() {
    return this.call('logout', [], () => {
      this.session_ = null;
      this.emit('signedOut', { reason: 'logout' });
    });
  }
  session() {
    return this.call('session', [], () => this.session_);
  }
  updateProfile(input: { displayName: string }) {
    return this.call('updateProfile', [input], () => ({
      ...(this.session_?.user ?? ME),
      displayName: input.displayName,
    }));
  }
  devices() {
    return this.call('devices', [], () => this.deviceList);
  }
  revokeDevice(deviceId: string) {
    return this.call('revokeDevice', [deviceId], () => {
      this.deviceList = this.deviceList.filter((d) => d.id !== deviceId);
    });
  }
  contacts() {
    return this.call('contacts', [], () => [...this.contactList]);
  }
  addContact(input: { userId: string } | { username: string }) {
    return this.call('addContact', [input], () => {
      const user = this.directory.find((u) =>
        'userId' in input ? u.id === input.userId : u.username === input.username,
      );
      if (!user) throw clientError('USER_NOT_FOUND');
      const contact: Contact = {
        userId: user.id,
        username: user.username,
        displayName: user.displayName,
        addedAt: at(0),
        presence: null,
      };
      this.contactList.push(contact);
      return contact;
    });
  }
  removeContact(userId: string) {
    return this.call('removeContact', [userId], () => {
      this.contactList = this.contactList.filter((c) => c.userId !== userId);
    });
  }
  searchUsers(query: string, cursor?: string) {
    return this.call('searchUsers', [query, cursor], (): UserPage => {
      const found = this.directory.filter((u) =>
        `${u.username} ${u.displayName}`.toLowerCase().includes(query.toLowerCase()),
      );
      const start = Number(cursor ?? 0);
      const end = start + 2;
      return { items: found.slice(start, end), nextCursor: end < found.length ? String(end) : null };
    });
  }
  conversations() {
    return this.call('conversations', [], () => this.summaries());
  }
  private summaries(): ConversationSummary[] {
    return [...this.threads.entries()]
      .filter(([, messages]) => messages.length > 0)
      .map(([peerId, messages]) => {
        const peer = this.directory.find((u) => u.id === peerId) ?? {
          id: peerId,
          username: 'someone',
          displayName: 'Someone',
        };
        const last = messages.at(-1) ?? null;
        return {
          peer,
          lastMessage: last,
          unreadCount: messages.filter((m) => m.direction === 'in' && m.readAt === null).length,
          updatedAt: last?.serverTimestamp ?? last?.sentAt ?? at(0),
        };
      })
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }
  history(peerUserId: string, before?: string, limit?: number) {
    return this.call('history', [peerUserId, before, limit], (): HistoryPage => {
      const messages = this.threads.get(peerUserId) ?? [];
      const end = before === undefined ? messages.length : Number(before);
      const start = Math.max(0, end - this.pageSize);
      return { messages: messages.slice(start, end), before: start > 0 ? String(start) : null };
    });
  }
  searchMessages(query: string, limit?: number) {
    return this.call('searchMessages', [query, limit], (): SearchHit[] => {
      const q = query.toLowerCase();
      return [...this.threads.values()]
        .flat()
        .filter((m) => m.text.toLowerCase().includes(q))
        .map((message) => {
          const at = message.text.toLowerCase().indexOf(q);
          const snippet = `${message.text.slice(0, at)}[${message.text.slice(at, at + q.length)}]${message.text.slice(at + q.length)}`;
          return { message, snippet };
        });
    });
  }
  sendText(peerUserId: string, text: string, replyTo?: string) {
    return this.call('sendText', replyTo ? [peerUserId, text, replyTo] : [peerUserId, text], () => {
      const message: LocalMessage = {
        id: `sent-${++this.ids}`,
        peerUserId,
        senderUserId: ME.id,
        direction: 'out',
        text: text.trim(),
        status: 'pending',
        sentAt: new Date().toISOString(),
        serverTimestamp: null,
        readAt: null,
        attachment: null,
        attachmentReady: false,
        call: null,
        ...UNTOUCHED,
      };
      const thread = this.threads.get(peerUserId) ?? [];
      thread.push(message);
      this.threads.set(peerUserId, thread);
      this.emit('message', message);
      return message;
    });
  }
  /** Message actions: applied to the in-memory thread, told as the core tells them. */
  private changeMessage(messageId: string, change: (m: LocalMessage) => Partial<LocalMessage>): void {
    const message = this.findMessage(messageId);
    if (!message) throw clientError('NOT_FOUND');
    Object.assign(message, change(message));
    this.emit('messagesChanged', { peerUserId: message.peerUserId, changed: [{ ...message }], removed: [] });
  }
  editMessage(messageId: string, text: string) {
    return this.call('editMessage', [messageId, text], () =>
      this.changeMessage(messageId, (m) => ({ text, editCount: m.editCount + 1, editedAt: new Date().toISOString() })),
    );
  }
  editHistory(messageId: string) {
    return this.call('editHistory', [messageId], () => [] as MessageVersion[]);
  }
  react(messageId: string, emoji: string | null) {
    return this.call('react', [messageId, emoji], () =>
      this.changeMessage(messageId, (m) => ({
        reactions: [...m.reactions.filter((r) => r.userId !== ME.id), ...(emoji ? [{ userId: ME.id, emoji }] : [])],
      })),
    );
  }
  deleteMessages(messageIds: string[], forEveryone: boolean) {
    return this.call('deleteMessages', [messageIds, forEveryone], () => {
      for (const id of messageIds) {
        if (forEveryone) this.changeMessage(id, () => ({ deleted: true, text: '', attachment: null, reactions: [] }));
        else {
          const message = this.findMessage(id);
          if (!message) continue;
          const thread = this.threads.get(message.peerUserId) ?? [];
          this.threads.set(
            message.peerUserId,
            thread.filter((m) => m.id !== id),
          );
          this.emit('messagesChanged', { peerUserId: message.peerUserId, changed: [], removed: [id] });
        }
      }
    });
  }
  forwardMessages(messageIds: string[], toPeerUserId: string) {
    return this.call('forwardMessages', [messageIds, toPeerUserId], () => [] as LocalMessage[]);
  }
  startAttachment(peerUserId: string, file: OutgoingFile) {
    return this.call('startAttachment', [peerUserId, file], () => {
      const id = `file-${++this.ids}`;
      this.outgoingFiles.set(id, { peerUserId, file, chunks: [] });
      return id;
    });
  }
  appendAttachment(messageId: string, bytes: Uint8Array) {
    return this.call('appendAttachment', [messageId, bytes], () => {
      const entry = this.outgoingFiles.get(messageId);
      if (!entry) throw clientError('VALIDATION_FAILED');
      entry.chunks.push(bytes.slice());
    });
  }
  sendAttachment(messageId: string, caption: string) {
    return this.call('sendAttachment', [messageId, caption], () => {
      const entry = this.outgoingFiles.get(messageId);
      if (!entry) throw clientError('VALIDATION_FAILED');
      const message: LocalMessage = {
        id: messageId,
        peerUserId: entry.peerUserId,
        senderUserId: ME.id,
        direction: 'out',
        text: caption.trim(),
        status: 'pending',
        sentAt: new Date().toISOString(),
        serverTimestamp: null,
        readAt: null,
        attachment: {
          id: '00000000-0000-4000-8000-00000000f11e',
          key: 'a2V5',
          digest: 'ZGlnZXN0',
          size: entry.file.size,
          name: entry.file.name,
          contentType: entry.file.contentType,
          ...(entry.file.image ? { image: entry.file.image } : {}),
          ...(entry.file.voice ? { voice: entry.file.voice } : {}),
        },
        attachmentReady: true,
        call: null,
        ...UNTOUCHED,
      };
      const thread = this.threads.get(entry.peerUserId) ?? [];
      thread.push(message);
      this.threads.set(entry.peerUserId, thread);
      this.emit('message', message);
      return message;
    });
  }
  /** By default the file is "downloaded" at once: the message becomes ready and a done event follows. */
  downloadAttachment(messageId: string) {
    return this.call('downloadAttachment', [messageId], () => {
      const message = this.findMessage(messageId);
      if (!message?.attachment) throw clientError('VALIDATION_FAILED');
      if (message.attachmentReady) return;
      message.attachmentReady = true;
      const size = message.attachment.size;
      this.emit('transfer', {
        messageId,
        peerUserId: message.peerUserId,
        direction: 'download',
        state: 'done',
        done: size,
        total: size,
      });
    });
  }
  cancelTransfer(messageId: string) {
    return this.call('cancelTransfer', [messageId], () => {
      this.outgoingFiles.delete(messageId);
    });
  }
  retryMessage(messageId: string) {
    return this.call('retryMessage', [messageId], () => {
      const message = this.findMessage(messageId);
      if (!message) throw clientError('VALIDATION_FAILED');
      message.status = 'pending';
    });
  }
  markRead(peerUserId: string) {
    return this.call('markRead', [peerUserId], () => {
      const unread = (this.threads.get(peerUserId) ?? []).filter((m) => m.direction === 'in' && m.readAt === null);
      if (unread.length === 0) return;
      for (const m of unread) m.readAt = new Date().toISOString();
      this.emit('read', { peerUserId, unreadCount: 0 });
    });
  }
  setTyping(peerUserId: string, typing: boolean) {
    return this.call('setTyping', [peerUserId, typing], () => undefined);
  }
  safetyNumber(peerUserId: string) {
    return this.call('safetyNumber', [peerUserId], () => this.safety(peerUserId));
  }
  private safety(peerUserId: string): SafetyNumber {
    return {
      userId: peerUserId,
      digits: '05249 71920 30417 72915 08375 26431 94820 17364 50928 61734 28495 03817',
      changed: this.keyChanged.has(peerUserId),
      pendingDigits: this.keyChanged.has(peerUserId)
        ? '11111 22222 33333 44444 55555 66666 77777 88888 99999 00000 12345 67890'
        : null,
      verified: this.verified.has(peerUserId) && !this.keyChanged.has(peerUserId),
    };
  }
  setVerified(peerUserId: string, verified: boolean) {
    return this.call('setVerified', [peerUserId, verified], () => {
      if (verified) this.verified.add(peerUserId);
      else this.verified.delete(peerUserId);
      return this.safety(peerUserId);
    });
  }
  acceptIdentity(peerUserId: string) {
    return this.call('acceptIdentity', [peerUserId], () => {
      this.keyChanged.delete(peerUserId);
    });
  }
  rejectIdentity(peerUserId: string) {
    return this.call('rejectIdentity', [peerUserId], () => {
      this.keyChanged.delete(peerUserId);
    });
  }
  pendingIdentityChanges() {
    return this.call('pendingIdentityChanges', [], () =>
      [...this.keyChanged].map((userId) => ({
        userId,
        deviceId: `device-of-${userId}`,
        kind: 'key_changed' as const,
        at: new Date(0).toISOString(),
        refusedMessages: 1,
      })),
    );
  }
  sendSignal(peerUserId: string, payload: unknown) {
    return this.call('sendSignal', [peerUserId, payload], () => ({ deliveredTo: [] }));
  }
  callConfig() {
    return this.call('callConfig', [], () => ({ iceServers: [], ttlSeconds: 3600, ringSeconds: 45 }));
  }
  recordCall(peerUserId: string, direction: 'in' | 'out', call: CallRecord) {
    return this.call('recordCall', [peerUserId, direction, call], () => {
      const peer = this.directory.find((u) => u.id === peerUserId) ?? ME;
      return this.seed(peer, '', direction, 0, { call });
    });
  }
  connectionState() {
    return this.call('connectionState', [], () => this.connection);
  }
  setWindowOpen(open: boolean) {
    return this.call('setWindowOpen', [open], () => {});
  }
}

function at(minutesAgo: number): string {
  return new Date(Date.now() - minutesAgo * 60_000).toISOString();
}

/** The one fake behind `window.parley` in a test file (api.ts reads it once, when first imported). */
export const fake = new FakeBridge();
