import type { AuthResponse, SignedOutReason } from '@parley/shared';
import type { DataDir, Profile } from './account/profile.js';
import { Attachments } from './attachments/attachments.js';
import { AttachmentTransfers } from './attachments/transfers.js';
import { CallRelay } from './calls/call-relay.js';
import type { Emit } from './events.js';
import { KeyMaintenance } from './keys/key-maintenance.js';
import { Trust } from './keys/trust.js';
import { Actions } from './messaging/actions.js';
import { Conversations } from './messaging/conversations.js';
import { MessageEvents } from './messaging/message-events.js';
import { Messaging } from './messaging/messaging.js';
import { Outbox } from './messaging/outbox.js';
import { Typing } from './messaging/typing.js';
import { createApiClient } from './net/api-client.js';
import { Connection } from './net/connection.js';
import { ServerSession } from './net/server-session.js';
import { People } from './people/people.js';
import { keychainAccount, type SecretStore } from './secrets.js';
import { SignalService } from './signal/signal-service.js';
import { openDatabase } from './store/database.js';
import { LocalStore } from './store/local-store.js';

export interface SessionOptions {
  profile: Profile;
  /** The key of the local store (kept in the keychain). */
  databaseKey: Buffer;
  refreshToken: string;
  /** The tokens of a sign-in just made. */
  initial?: AuthResponse;
  dataDir: DataDir;
  secrets: SecretStore;
  emit: Emit;
  /** The server ended this device's session: revoked by the user, or ended by the server. */
  ended(reason: Exclude<SignedOutReason, 'logout'>): void;
}

/**
 * Everything that exists while signed in, wired together: the store, the server session and the
 * socket, and the services over them. The composition root of a session: services are built here
 * and get what they use (repositories, not the database), and the socket's events are routed here.
 */
export class SignedIn {
  readonly profile: Profile;
  readonly databaseKey: Buffer;
  readonly store: LocalStore;
  readonly server: ServerSession;
  readonly connection: Connection;
  readonly people: People;
  readonly conversations: Conversations;
  readonly actions: Actions;
  readonly typing: Typing;
  readonly attachments: Attachments;
  readonly keys: KeyMaintenance;
  readonly trust: Trust;
  readonly calls: CallRelay;
  private readonly outbox: Outbox;

  constructor({ profile, databaseKey, refreshToken, initial, dataDir, secrets, emit, ended }: SessionOptions) {
    this.profile = profile;
    this.databaseKey = databaseKey;
    const me = { userId: profile.user.id };
    const store = new LocalStore(openDatabase(dataDir.database, databaseKey));
    this.store = store;
    const signal = new SignalService(store, (change) => emit('identity', change));
    const account = keychainAccount(profile.serverUrl, profile.user.id, profile.deviceId);
    const server = new ServerSession(
      createApiClient(profile.serverUrl),
      refreshToken,
      {
        persistRefreshToken: (token) =>
          secrets.set(account, { refreshToken: token, databaseKey: databaseKey.toString('base64') }),
        revoked: (by) => ended(by === 'user' ? 'revoked' : 'ended'),
      },
      initial,
    );
    this.server = server;
    const events = new MessageEvents(store.messages, emit);
    const people = new People(store.users, server, emit);
    this.people = people;
    const actions = new Actions(me, store, { kick: () => outbox.kick() }, events, (file) =>
      attachments.dropLocalCopy(file),
    );
    this.actions = actions;
    const messaging = new Messaging(me, store, signal, server, events, (userId) => void people.learn(userId), actions);
    const outbox = new Outbox(
      store,
      messaging,
      {
        send: (request) =>
          connection.connected ? connection.send(request) : server.call('sendMessage', { body: request }),
        sendReadReceipts: (request) => connection.sendReadReceipts(request),
        upload: (message, abort) => attachments.upload(message, abort),
      },
      (message) => events.status(message),
    );
    this.outbox = outbox;
    const conversations = new Conversations(me, store, signal, outbox, events);
    this.conversations = conversations;
    const transfers = new AttachmentTransfers(profile.serverUrl, server, dataDir.attachments);
    const attachments = new Attachments(me, transfers, store.messages, signal, conversations, outbox, emit);
    this.attachments = attachments;
    const keys = new KeyMaintenance(store.kv, signal, server);
    this.keys = keys;
    this.trust = new Trust(me, signal, messaging, store.outbox, outbox);
    const connection: Connection = new Connection(profile.serverUrl, server, {
      state: (state) => emit('connection', { state }),
      connected: () => {
        void keys.maintain();
        store.outbox.expediteAll();
        outbox.kick();
      },
      envelopes: (batch) => messaging.receivePage(batch.envelopes),
      presence: (event) => people.presence(event),
      userUpdated: (user) => {
        people.updated(user);
        if (user.id === profile.user.id) {
          // My own profile, changed from another of my devices.
          profile.user = user;
          void dataDir.writeProfile(profile).catch(() => {});
        }
      },
      typing: (event) => this.typing.received(event),
      signal: (event) => void this.calls.received(event),
      keysLow: () => void keys.maintain(),
      sessionEnded: (reason, by) => {
        if (reason === 'revoked') ended(by === 'user' ? 'revoked' : 'ended');
      },
    });
    this.connection = connection;
    this.typing = new Typing(connection, emit);
    this.calls = new CallRelay(me, signal, messaging, connection, server, conversations, emit);
  }

  start(): void {
    this.connection.open();
    this.outbox.kick();
  }

  /** Stops everything and closes the store. */
  async stop(): Promise<void> {
    this.keys.stop();
    this.trust.stop();
    this.attachments.stop();
    this.connection.close();
    await this.outbox.stop();
    await this.server.settled();
    this.typing.stop();
    this.store.close();
  }
}
