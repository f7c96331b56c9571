/**
 * Numbered schema migrations of the local store, applied in order inside one transaction each;
 * `PRAGMA user_version` records how far a database has come.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: account, people, conversations, messages with full-text search, outbox, Signal state.
  `
  CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_contact INTEGER NOT NULL DEFAULT 0,
    added_at TEXT,
    -- Presence as last heard; null when the user does not share it with me.
    online INTEGER,
    last_seen_at TEXT
  ) STRICT;

  CREATE TABLE conversations (
    peer_user_id TEXT PRIMARY KEY,
    last_message_id TEXT,
    unread_count INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX conversations_updated ON conversations (updated_at DESC);

  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    peer_user_id TEXT NOT NULL,
    sender_user_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    server_ts TEXT,
    -- Conversation order: the server's timestamp once known (the same on every device), else local time.
    sort_ts INTEGER NOT NULL,
    read_at TEXT
  ) STRICT;
  CREATE INDEX messages_history ON messages (peer_user_id, sort_ts, seq);
  CREATE INDEX messages_unread ON messages (peer_user_id) WHERE direction = 'in' AND read_at IS NULL;

  CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = 'messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
  END;
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
  END;

  -- Work that must reach the server, surviving restarts: messages to send, read receipts.
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'read')),
    peer_user_id TEXT NOT NULL,
    message_id TEXT,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT
  ) STRICT;

  CREATE TABLE signal_prekeys (key_id INTEGER PRIMARY KEY, public_key BLOB NOT NULL, private_key BLOB NOT NULL) STRICT;
  CREATE TABLE signal_signed_prekeys (
    key_id INTEGER PRIMARY KEY,
    public_key BLOB NOT NULL,
    private_key BLOB NOT NULL,
    signature BLOB NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE signal_sessions (address TEXT PRIMARY KEY, record TEXT NOT NULL) STRICT;
  -- The identity key each device of each user has shown us (trust on first use).
  CREATE TABLE peer_devices (
    device_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    identity_key BLOB NOT NULL,
    registration_id INTEGER NOT NULL,
    first_seen_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX peer_devices_user ON peer_devices (user_id);
  CREATE TABLE identity_changes (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('key_changed', 'device_added')),
    -- For key_changed: the key the device now shows, trusted only once the user accepts it.
    new_identity_key BLOB,
    at TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  `,
  // 2: attachments and call history entries on messages (JSON of AttachmentPointer / CallRecord).
  `
  ALTER TABLE messages ADD COLUMN attachment TEXT;
  ALTER TABLE messages ADD COLUMN call TEXT;
  `,
  // 3: whether an attachment's encrypted local copy exists (sent from here, or downloaded).
  `
  ALTER TABLE messages ADD COLUMN attachment_ready INTEGER NOT NULL DEFAULT 0;
  `,
  // 4: a device the server no longer lists keeps its pin (back with another key, it is a key change);
  // a key change can be rejected (the pinned key stays); messages refused from a changed key are counted.
  `
  ALTER TABLE peer_devices ADD COLUMN removed_at TEXT;
  ALTER TABLE identity_changes ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE identity_changes ADD COLUMN refused_messages INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: "Mark as verified": the digest of the keys a user had when I verified their safety number.
  `
  CREATE TABLE verified_users (user_id TEXT PRIMARY KEY, keys_digest BLOB NOT NULL, at TEXT NOT NULL) STRICT;
  `,
  // 6: message actions. A reply's quote, forwarded, edits (earlier texts in message_versions; the
  // index follows the current text), deleted for everyone (a tombstone) or for me (kept as an id
  // only, so a redelivery or a late action finds it), reactions, and actions that arrived before
  // their target (held until it comes); the outbox carries actions as jobs of their own.
  `
  ALTER TABLE messages ADD COLUMN quote TEXT;
  ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN edited_at TEXT;
  ALTER TABLE messages ADD COLUMN edit_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN deleted TEXT CHECK (deleted IN ('everyone', 'me'));
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
  END;
  CREATE INDEX messages_attachment ON messages (json_extract(attachment, '$.id')) WHERE attachment IS NOT NULL;

  -- Every text an edited message has had (the original under the message's own id); the newest is current.
  CREATE TABLE message_versions (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX message_versions_message ON message_versions (message_id, at);

  CREATE TABLE reactions (
    message_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- NULL: removed (kept, so that an older reaction arriving late does not come back).
    emoji TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id)
  ) STRICT;

  CREATE TABLE pending_actions (
    id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    sender_user_id TEXT NOT NULL,
    content TEXT NOT NULL,
    server_ts TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (id, target_id)
  ) STRICT;
  CREATE INDEX pending_actions_target ON pending_actions (target_id);
  CREATE INDEX pending_actions_sender ON pending_actions (sender_user_id, received_at);

  CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'read', 'action')),
    peer_user_id TEXT NOT NULL,
    message_id TEXT,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT
  ) STRICT;
  INSERT INTO outbox_new SELECT * FROM outbox;
  DROP TABLE outbox;
  ALTER TABLE outbox_new RENAME TO outbox;
  `,
];
