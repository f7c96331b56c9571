import type { Db } from './database.js';
import { KvRepository } from './kv.js';
import { MessagesRepository } from './messages.js';
import { OutboxRepository } from './outbox.js';
import { PendingActionsRepository } from './pending-actions.js';
import { PinsRepository } from './pins.js';
import { SignalKeysRepository } from './signal-keys.js';
import { UsersRepository } from './users.js';

/** Runs `work` in one database transaction (nested: a savepoint), returning what it returns. */
export type Transaction = <T>(work: () => T) => T;

/**
 * The local database as repositories: each owns its table (or group of tables) and the SQL over
 * it, compiled once. Services get the repositories they need (and `transaction` to change several
 * at once), never the database. Synchronous (better-sqlite3).
 */
export class LocalStore {
  readonly kv: KvRepository;
  readonly users: UsersRepository;
  readonly messages: MessagesRepository;
  readonly outbox: OutboxRepository;
  readonly pins: PinsRepository;
  readonly pendingActions: PendingActionsRepository;
  readonly signalKeys: SignalKeysRepository;

  constructor(private readonly db: Db) {
    this.kv = new KvRepository(db);
    this.users = new UsersRepository(db);
    this.messages = new MessagesRepository(db);
    this.outbox = new OutboxRepository(db);
    this.pins = new PinsRepository(db);
    this.pendingActions = new PendingActionsRepository(db);
    this.signalKeys = new SignalKeysRepository(db);
  }

  readonly transaction: Transaction = (work) => this.db.transaction(work)();

  close(): void {
    this.db.close();
  }
}
