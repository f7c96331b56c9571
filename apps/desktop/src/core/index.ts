export { AttachmentDecryptor, AttachmentEncryptor, newAttachmentKey, sodiumReady } from './attachments/crypto.js';
export { type AttachmentResponse, attachmentResponse } from './attachments/serve.js';
export { AttachmentTransfers, type Progress, type UploadedAttachment } from './attachments/transfers.js';
export { type CoreOptions, ParleyCore } from './core.js';
export { CoreError } from './errors.js';
export * from './net/api-client.js';
export { ServerSession } from './net/server-session.js';
export { KEYCHAIN_SERVICE, KeychainSecretStore, keychainAccount, type SecretStore } from './secrets.js';
// Building blocks, exported for the benchmarks.
export { newRegistrationId, SignalService } from './signal/signal-service.js';
export { migrate, openDatabase } from './store/database.js';
export { LocalStore } from './store/local-store.js';
