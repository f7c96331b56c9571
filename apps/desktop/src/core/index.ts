export { AttachmentDecryptor, AttachmentEncryptor, newAttachmentKey, sodiumReady } from './attachments/crypto.js';
export { type AttachmentResponse, attachmentResponse } from './attachments/serve.js';
export { AttachmentTransfers, type Progress, type UploadedAttachment } from './attachments/transfers.js';
export { type CoreOptions, ParleyCore } from './core.js';
export { CoreThread } from './core-thread.js';
export { CoreError } from './errors.js';
// Building blocks, exported for the benchmarks and the narrow tests.
export { Actions, Changes } from './messaging/actions.js';
export { MessageEvents } from './messaging/message-events.js';
export { Messaging } from './messaging/messaging.js';
export { backoffMs, Outbox, type OutboxTransport } from './messaging/outbox.js';
export * from './net/api-client.js';
export { Connection } from './net/connection.js';
export { ServerSession } from './net/server-session.js';
export { KEYCHAIN_SERVICE, KeychainSecretStore, keychainAccount, type SecretStore } from './secrets.js';
export { newRegistrationId, PREKEY_BATCH, SignalService } from './signal/signal-service.js';
export { migrate, openDatabase } from './store/database.js';
export { LocalStore } from './store/local-store.js';
export { ftsQuery } from './store/messages.js';
