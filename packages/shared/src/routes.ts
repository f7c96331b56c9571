import type { z } from 'zod';
import {
  AttachmentParams,
  CreateAttachmentRequest,
  CreateAttachmentResponse,
  ShareAttachmentRequest,
} from './attachments.js';
import {
  AuthResponse,
  DeviceIdParams,
  DeviceList,
  LoginRequest,
  RefreshRequest,
  RegisterRequest,
  RegistrationInfo,
  TokenPair,
  User,
} from './auth.js';
import { CallConfig } from './calls.js';
import { HealthResponse, LivenessResponse, ReadinessResponse } from './health.js';
import {
  AddPreKeysRequest,
  PreKeyCount,
  ReplaceSignedPreKeyRequest,
  UploadKeysRequest,
  UserBundles,
  UserIdParams,
} from './keys.js';
import { LIMITS } from './limits.js';
import { SendMessageRequest, SendMessageResponse } from './messages.js';
import {
  AddContactRequest,
  Contact,
  ContactList,
  ContactListQuery,
  ContactParams,
  UpdateMeRequest,
  UserPage,
  UserSearchQuery,
} from './users.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDef {
  method: HttpMethod;
  /** Path under API_PREFIX, Express-style params (`:id`). */
  path: string;
  summary: string;
  /** Success status. */
  status: 200 | 201 | 204;
  /** Whether a bearer access token is required. */
  auth: boolean;
  body?: z.ZodType;
  /** Body size limit when it is not LIMITS.jsonBodyBytes. */
  maxBodyBytes?: number;
  /** The body is bytes (`application/octet-stream`), read as a stream by the handler, not JSON. */
  binaryBody?: true;
  /** The success response is bytes (`application/octet-stream`), not JSON. */
  binaryResponse?: true;
  query?: z.ZodType;
  params?: z.ZodType;
  response?: z.ZodType;
}

/**
 * Every REST route of the API, the single source for the server's validation, the OpenAPI
 * document and the client's typed calls.
 */
export const ROUTES = {
  register: {
    method: 'POST',
    path: '/auth/register',
    summary: 'Create an account and sign in its first device',
    status: 201,
    auth: false,
    body: RegisterRequest,
    response: AuthResponse,
  },
  registration: {
    method: 'GET',
    path: '/auth/registration',
    summary: 'Who may create an account here: anyone, invite holders, or no one',
    status: 200,
    auth: false,
    response: RegistrationInfo,
  },
  login: {
    method: 'POST',
    path: '/auth/login',
    summary: 'Sign in: registers a new device of the account',
    status: 200,
    auth: false,
    body: LoginRequest,
    response: AuthResponse,
  },
  refresh: {
    method: 'POST',
    path: '/auth/refresh',
    summary: 'Rotate the refresh token; presenting a rotated token revokes the device',
    status: 200,
    auth: false,
    body: RefreshRequest,
    response: TokenPair,
  },
  logout: {
    method: 'POST',
    path: '/auth/logout',
    summary: 'Revoke the calling device',
    status: 204,
    auth: true,
  },
  listDevices: {
    method: 'GET',
    path: '/devices',
    summary: 'My devices',
    status: 200,
    auth: true,
    response: DeviceList,
  },
  revokeDevice: {
    method: 'DELETE',
    path: '/devices/:id',
    summary: 'Revoke one of my devices',
    status: 204,
    auth: true,
    params: DeviceIdParams,
  },
  me: {
    method: 'GET',
    path: '/users/me',
    summary: 'My profile',
    status: 200,
    auth: true,
    response: User,
  },
  updateMe: {
    method: 'PATCH',
    path: '/users/me',
    summary: 'Change my display name',
    status: 200,
    auth: true,
    body: UpdateMeRequest,
    response: User,
  },
  searchUsers: {
    method: 'GET',
    path: '/users/search',
    summary: 'Find users by username or display name; prefix matches first',
    status: 200,
    auth: true,
    query: UserSearchQuery,
    response: UserPage,
  },
  getUser: {
    method: 'GET',
    path: '/users/:userId',
    summary: 'A user by id (public profile)',
    status: 200,
    auth: true,
    params: UserIdParams,
    response: User,
  },
  listContacts: {
    method: 'GET',
    path: '/contacts',
    summary: 'My address book, optionally filtered',
    status: 200,
    auth: true,
    query: ContactListQuery,
    response: ContactList,
  },
  addContact: {
    method: 'POST',
    path: '/contacts',
    summary: 'Add a contact by user id or username (idempotent)',
    status: 200,
    auth: true,
    body: AddContactRequest,
    response: Contact,
  },
  removeContact: {
    method: 'DELETE',
    path: '/contacts/:userId',
    summary: 'Remove a contact (idempotent)',
    status: 204,
    auth: true,
    params: ContactParams,
  },
  uploadKeys: {
    method: 'PUT',
    path: '/keys',
    summary: "Upload this device's identity key, signed prekey and one-time prekeys",
    status: 204,
    auth: true,
    body: UploadKeysRequest,
  },
  replaceSignedPreKey: {
    method: 'PUT',
    path: '/keys/signed',
    summary: 'Rotate the signed prekey',
    status: 204,
    auth: true,
    body: ReplaceSignedPreKeyRequest,
  },
  addPreKeys: {
    method: 'POST',
    path: '/keys/prekeys',
    summary: 'Top up one-time prekeys',
    status: 204,
    auth: true,
    body: AddPreKeysRequest,
  },
  preKeyCount: {
    method: 'GET',
    path: '/keys/count',
    summary: 'How many one-time prekeys this device has left',
    status: 200,
    auth: true,
    response: PreKeyCount,
  },
  getBundles: {
    method: 'GET',
    path: '/keys/:userId',
    summary: 'Prekey bundles for every device of a user (each one-time prekey handed out once)',
    status: 200,
    auth: true,
    params: UserIdParams,
    response: UserBundles,
  },
  sendMessage: {
    method: 'POST',
    path: '/messages',
    summary: 'Send one envelope per destination device (also a socket event)',
    status: 200,
    auth: true,
    body: SendMessageRequest,
    maxBodyBytes: LIMITS.sendBodyBytes,
    response: SendMessageResponse,
  },
  callConfig: {
    method: 'GET',
    path: '/calls/config',
    summary: 'ICE servers for calls (TURN credentials valid for ttlSeconds) and the ring time',
    status: 200,
    auth: true,
    response: CallConfig,
  },
  createAttachment: {
    method: 'POST',
    path: '/attachments',
    summary:
      'Announce an encrypted file: its ciphertext size and its recipient (over the limit: 413, nothing uploaded)',
    status: 201,
    auth: true,
    body: CreateAttachmentRequest,
    response: CreateAttachmentResponse,
  },
  uploadAttachment: {
    method: 'PUT',
    path: '/attachments/:id',
    summary:
      'Upload the ciphertext (application/octet-stream, exactly the announced size); a cut-off upload is sent again whole',
    status: 204,
    auth: true,
    params: AttachmentParams,
    binaryBody: true,
  },
  shareAttachment: {
    method: 'POST',
    path: '/attachments/:id/shares',
    summary:
      'Let one more user fetch an uploaded attachment (a forward), for those who may fetch it; idempotent; 404 when gone',
    status: 204,
    auth: true,
    params: AttachmentParams,
    body: ShareAttachmentRequest,
  },
  downloadAttachment: {
    method: 'GET',
    path: '/attachments/:id',
    summary: 'The ciphertext, for its uploader and its recipient only (anyone else: 404)',
    status: 200,
    auth: true,
    params: AttachmentParams,
    binaryResponse: true,
  },
} as const satisfies Record<string, RouteDef>;

/** Outside API_PREFIX: probes for load balancers and supervisors. */
export const HEALTH_ROUTE = {
  method: 'GET',
  path: '/health',
  summary: 'Liveness and database state',
  status: 200,
  auth: false,
  response: HealthResponse,
} as const satisfies RouteDef;

/** Outside API_PREFIX: the process is up and its event loop turns (restart it if not). */
export const HEALTH_LIVE_ROUTE = {
  method: 'GET',
  path: '/health/live',
  summary: 'Liveness: the process answers',
  status: 200,
  auth: false,
  response: LivenessResponse,
} as const satisfies RouteDef;

/** Outside API_PREFIX: send this instance traffic (503, same shape, naming what is down, while it cannot serve). */
export const HEALTH_READY_ROUTE = {
  method: 'GET',
  path: '/health/ready',
  summary: 'Readiness: database reachable, migrations done, blob store reachable, Redis reachable when configured',
  status: 200,
  auth: false,
  response: ReadinessResponse,
} as const satisfies RouteDef;
