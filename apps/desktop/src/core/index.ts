export { type CoreOptions, ParleyCore } from './core.js';
export { CoreError } from './errors.js';
export * from './net/api-client.js';
export { KEYCHAIN_SERVICE, KeychainSecretStore, type SecretStore } from './secrets.js';
