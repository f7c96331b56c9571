import { z } from 'zod';
import { AttachmentPointer, VoiceMetadata } from './attachments.js';
import type { Device, RegistrationMode, User } from './auth.js';
import { type CallConfig, CallRecord } from './calls.js';
import { IsoDate, Uuid } from './fields.js';
import { LIMITS } from './limits.js';
import {
  ActionContent,
  Emoji,
  MESSAGE_ACTION_LIMITS,
  type MessageVersion,
  Quote,
  type Reaction,
} from './message-actions.js';
import type { SignalResult } from './socket.js';
import type { Contact, Presence, UserPage } from './users.js';

/**
 * The client API: the one interface the UI uses, implemented by the desktop core and reached
 * through Electron IPC or the browser host's bridge. Both adapters are generated from
 * `CLIENT_API_METHODS` and `CLIENT_API_EVENTS`, so adding a method here is the only step.
 */

/** What travels inside the Signal encryption: the server never sees it. */
export const MessageContent = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('text'),
    text: z.string().min(1).max(8_000),
    sentAt: IsoDate,
    /** The conversation's peer, for copies synced to the sender's own other devices. */
    to: Uuid,
    /** The message this one replies to. */
    quote: Quote.optional(),
    forwarded: z.boolean().optional(),
  }),
  z.object({
    kind: z.literal('attachment'),
    attachment: AttachmentPointer,
    /** An optional caption. */
    text: z.string().max(8_000),
    sentAt: IsoDate,
    to: Uuid,
    quote: Quote.optional(),
    forwarded: z.boolean().optional(),
  }),
  ...ActionContent,
]);
export type MessageContent = z.infer<typeof MessageContent>;

/** An ephemeral payload (call signalling), encrypted end to end like a message, never stored. */
export const SignalContent = z.object({ kind: z.literal('signal'), payload: z.unknown() });
export type SignalContent = z.infer<typeof SignalContent>;

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
export const STATUS_ORDER: Record<MessageStatus, number> = { failed: -1, pending: 0, sent: 1, delivered: 2, read: 3 };

export interface LocalMessage {
  id: string;
  /** The other user of the conversation. */
  peerUserId: string;
  senderUserId: string;
  direction: 'in' | 'out';
  /** The text, or an attachment's caption (may be empty then). */
  text: string;
  attachment: AttachmentPointer | null;
  /** The attachment's (encrypted) local copy exists: sent from here, or downloaded. */
  attachmentReady: boolean;
  /** Set on a call's history entry. */
  call: CallRecord | null;
  status: MessageStatus;
  /** When the sender wrote it (sender's clock). */
  sentAt: string;
  /** When the server accepted it; null while pending. */
  serverTimestamp: string | null;
  /** Incoming only: when this device read it. */
  readAt: string | null;
  /** The message this one replies to, as it was quoted. */
  quote: Quote | null;
  /** Forwarded from another chat. */
  forwarded: boolean;
  /** Edited: when the text now shown was written (server time); `editCount` edits so far. */
  editedAt: string | null;
  editCount: number;
  /** Deleted for everyone: a tombstone, its text and attachment gone. */
  deleted: boolean;
  /** One per person who reacted. */
  reactions: Reaction[];
}

export interface ConversationSummary {
  peer: Pick<User, 'id' | 'username' | 'displayName'>;
  lastMessage: LocalMessage | null;
  unreadCount: number;
  updatedAt: string;
}

export interface HistoryPage {
  /** Oldest first. */
  messages: LocalMessage[];
  /** Pass as `before` for the page of older messages; null when there are none. */
  before: string | null;
}

export interface SearchHit {
  message: LocalMessage;
  /** The matching text with matches wrapped in `[` `]`. */
  snippet: string;
}

export interface SessionInfo {
  user: User;
  deviceId: string;
  serverUrl: string;
}

export type ConnectionState = 'offline' | 'connecting' | 'online';

export interface IdentityChange {
  /** Whose device: a contact's, or one of mine. */
  userId: string;
  deviceId: string;
  /**
   * `key_changed`: a known device shows another key. Messages from that key are refused (never
   * decrypted or shown), and sending to the user stops until the user accepts or rejects it.
   */
  kind: 'key_changed' | 'device_added';
  at: string;
  /** key_changed: how many messages from the new key were refused so far. */
  refusedMessages: number;
}

export interface SafetyNumber {
  userId: string;
  /** 60 digits in 12 groups of 5, the same on both sides when no one is in the middle. */
  digits: string;
  /** An unaccepted key change is pending for this contact. */
  changed: boolean;
  /** While `changed`: the number with the new keys, to compare before accepting them. */
  pendingDigits: string | null;
  /** I marked it verified, and their keys have not changed since (a key change undoes it). */
  verified: boolean;
}

/** A file the UI is about to send: what the recipient sees besides the bytes. */
export const OutgoingFile = z.strictObject({
  name: z.string().trim().min(1).max(255),
  contentType: z.string().min(1).max(255),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  image: AttachmentPointer.shape.image,
  voice: VoiceMetadata.optional(),
});
export type OutgoingFile = z.infer<typeof OutgoingFile>;

/** How many bytes of a file the UI hands the core per `appendAttachment` call. */
export const ATTACHMENT_APPEND_BYTES = 1024 * 1024;

/** A file moving between this device and the server, as progress bars show it. */
export interface TransferUpdate {
  messageId: string;
  peerUserId: string;
  direction: 'upload' | 'download';
  /** `active` while bytes move; `failed` may be retried (`retryMessage` / `downloadAttachment`). */
  state: 'active' | 'done' | 'failed' | 'cancelled';
  done: number;
  total: number;
  error?: { code: string; message: string };
}

export interface ClientApi {
  /** Who may create an account on the server: anyone, invite holders, or no one. */
  registrationMode(): Promise<RegistrationMode>;
  register(input: {
    username: string;
    password: string;
    displayName: string;
    deviceName: string;
    /** Needed when the server's registration mode is `invite`. */
    inviteCode?: string;
  }): Promise<SessionInfo>;
  login(input: { username: string; password: string; deviceName: string }): Promise<SessionInfo>;
  /** Restores the last session from the keychain; null when there is none. */
  restoreSession(): Promise<SessionInfo | null>;
  logout(): Promise<void>;
  session(): Promise<SessionInfo | null>;
  updateProfile(input: { displayName: string }): Promise<User>;
  devices(): Promise<Device[]>;
  revokeDevice(deviceId: string): Promise<void>;
  contacts(): Promise<Contact[]>;
  addContact(input: { userId: string } | { username: string }): Promise<Contact>;
  removeContact(userId: string): Promise<void>;
  searchUsers(query: string, cursor?: string): Promise<UserPage>;
  conversations(): Promise<ConversationSummary[]>;
  history(peerUserId: string, before?: string, limit?: number): Promise<HistoryPage>;
  searchMessages(query: string, limit?: number): Promise<SearchHit[]>;
  /** Sends a text; with `replyTo`, quoting that message of the conversation. */
  sendText(peerUserId: string, text: string, replyTo?: string): Promise<LocalMessage>;
  /**
   * Starts sending a file: the server is told its size (over the limit this fails with
   * ATTACHMENT_TOO_LARGE and `details.maxBytes`, before any byte is read) and the core starts
   * encrypting. Returns the id the message will have. Then `appendAttachment` the bytes in order
   * (at most ATTACHMENT_APPEND_BYTES each) and `sendAttachment`, or `cancelTransfer` to drop it.
   */
  startAttachment(peerUserId: string, file: OutgoingFile): Promise<string>;
  appendAttachment(messageId: string, bytes: Uint8Array): Promise<void>;
  /** Finishes the file and sends it (uploads, then the message); its progress comes as `transfer` events. */
  sendAttachment(messageId: string, caption: string, replyTo?: string): Promise<LocalMessage>;
  /** Fetches a received attachment into the local copy (a no-op when it is there). */
  downloadAttachment(messageId: string): Promise<void>;
  /** Stops a file being prepared, uploaded (the message fails; `retryMessage` resumes) or downloaded. */
  cancelTransfer(messageId: string): Promise<void>;
  /** Sends a failed outgoing message again. */
  retryMessage(messageId: string): Promise<void>;
  markRead(peerUserId: string): Promise<void>;
  setTyping(peerUserId: string, typing: boolean): Promise<void>;
  safetyNumber(peerUserId: string): Promise<SafetyNumber>;
  /** Marks a user's safety number verified after comparing it (or clears that); refused while a key change is pending. */
  setVerified(peerUserId: string, verified: boolean): Promise<SafetyNumber>;
  /** Trusts a user's changed keys (after comparing safety numbers): the only way a pinned key is replaced. */
  acceptIdentity(peerUserId: string): Promise<void>;
  /** Keeps the pinned keys: messages from the changed keys stay refused, sending to the pinned ones resumes. */
  rejectIdentity(peerUserId: string): Promise<void>;
  /** Key changes not accepted or rejected yet (mine included), for the warnings the UI shows. */
  pendingIdentityChanges(): Promise<IdentityChange[]>;
  sendSignal(peerUserId: string, payload: unknown): Promise<SignalResult>;
  /** ICE servers (with fresh TURN credentials) and the ring time, from the server. */
  callConfig(): Promise<CallConfig>;
  /** Puts a finished call into the conversation's history (on this device). */
  recordCall(peerUserId: string, direction: 'in' | 'out', call: CallRecord): Promise<LocalMessage>;
  connectionState(): Promise<ConnectionState>;
  /**
   * Whether a window of the app is open (the shells say so as windows open and close): presence
   * shows this user online only while one is, not while the app merely runs in the background.
   */
  setWindowOpen(open: boolean): Promise<void>;
  /** Replaces the text of my own text message (within the edit window and limit), on every device. */
  editMessage(messageId: string, text: string): Promise<void>;
  /** Earlier texts of an edited message, oldest first (the current one is the message's). */
  editHistory(messageId: string): Promise<MessageVersion[]>;
  /**
   * Deletes messages of one conversation: for me (any, on all my devices), or for everyone (my
   * own within the delete window: a tombstone on every device of both sides).
   */
  deleteMessages(messageIds: string[], forEveryone: boolean): Promise<void>;
  /** Sets my reaction to a message (null removes it). */
  react(messageId: string, emoji: string | null): Promise<void>;
  /** Sends copies of messages to another chat, in order; files go without uploading them again where the server still has them. */
  forwardMessages(messageIds: string[], toPeerUserId: string): Promise<LocalMessage[]>;
}

export type SignedOutReason = 'logout' | 'revoked' | 'ended';

/**
 * What a change did to the conversation list, carried by the events that change it, so that no
 * one refetches the list: the conversation as now stored, and the unread total (the app's badge).
 */
export interface ConversationChange {
  conversation: ConversationSummary;
  unreadTotal: number;
}

export interface ClientEvents {
  /** A message was stored (received, written here, a call's history entry), with its conversation as it now is. */
  message: LocalMessage & ConversationChange;
  status: { messageId: string; peerUserId: string; status: MessageStatus };
  /** Messages changed by actions (edited, deleted for everyone, reacted to) or removed (deleted for me). */
  messagesChanged: { peerUserId: string; changed: LocalMessage[]; removed: string[] } & ConversationChange;
  /** Incoming messages of a conversation were read (here or on another of my devices). */
  read: { peerUserId: string; unreadCount: number; unreadTotal: number };
  presence: Presence & { userId: string };
  /** Someone (a contact, someone who has me as a contact, or I from another device) changed their profile. */
  user: User;
  typing: { userId: string; typing: boolean };
  identity: IdentityChange;
  connection: { state: ConnectionState };
  signal: { fromUserId: string; fromDeviceId: string; payload: unknown };
  transfer: TransferUpdate;
  /**
   * This device was signed out: logout here, revoked by the user elsewhere (both erase its data),
   * or ended by the server (a refresh token presented twice, or expired: the encrypted history is
   * kept, and signing in again to the same account brings it back).
   */
  signedOut: { reason: SignedOutReason };
}

/**
 * The arguments of every API method, validated where a call crosses a process boundary (IPC,
 * the host's socket): a renderer bug or a hostile page gets VALIDATION_FAILED, not a crash.
 */
const Text = z.string().max(LIMITS.jsonBodyBytes);
const Id = Uuid;
/** `HistoryPage.before` as the core hands it out: a position in the conversation (`sort_ts:seq`). */
const MessageIds = z.array(Id).min(1).max(MESSAGE_ACTION_LIMITS.targetsPerAction);
const HistoryCursor = z.string().regex(/^\d{1,16}:\d{1,16}$/, 'Not a cursor the core handed out');
export const CLIENT_API_ARGS = {
  registrationMode: z.tuple([]),
  register: z.tuple([
    z.strictObject({
      username: Text,
      password: Text,
      displayName: Text,
      deviceName: Text,
      inviteCode: Text.optional(),
    }),
  ]),
  login: z.tuple([z.strictObject({ username: Text, password: Text, deviceName: Text })]),
  restoreSession: z.tuple([]),
  logout: z.tuple([]),
  session: z.tuple([]),
  updateProfile: z.tuple([z.strictObject({ displayName: Text })]),
  devices: z.tuple([]),
  revokeDevice: z.tuple([Id]),
  contacts: z.tuple([]),
  addContact: z.tuple([z.union([z.strictObject({ userId: Id }), z.strictObject({ username: Text })])]),
  removeContact: z.tuple([Id]),
  searchUsers: z.tuple([Text, Text.optional()]),
  conversations: z.tuple([]),
  history: z.tuple([Id, HistoryCursor.optional(), z.number().int().min(1).max(500).optional()]),
  searchMessages: z.tuple([Text, z.number().int().min(1).max(200).optional()]),
  sendText: z.tuple([Id, z.string().max(8_000 * 4), Id.optional()]),
  startAttachment: z.tuple([Id, OutgoingFile]),
  appendAttachment: z.tuple([Id, z.instanceof(Uint8Array).refine((b) => b.byteLength <= ATTACHMENT_APPEND_BYTES)]),
  sendAttachment: z.tuple([Id, z.string().max(8_000 * 4), Id.optional()]),
  downloadAttachment: z.tuple([Id]),
  cancelTransfer: z.tuple([Id]),
  retryMessage: z.tuple([Id]),
  markRead: z.tuple([Id]),
  setTyping: z.tuple([Id, z.boolean()]),
  safetyNumber: z.tuple([Id]),
  setVerified: z.tuple([Id, z.boolean()]),
  acceptIdentity: z.tuple([Id]),
  rejectIdentity: z.tuple([Id]),
  pendingIdentityChanges: z.tuple([]),
  sendSignal: z.tuple([Id, z.unknown()]),
  callConfig: z.tuple([]),
  recordCall: z.tuple([Id, z.enum(['in', 'out']), CallRecord]),
  connectionState: z.tuple([]),
  setWindowOpen: z.tuple([z.boolean()]),
  editMessage: z.tuple([Id, z.string().max(8_000 * 4)]),
  editHistory: z.tuple([Id]),
  deleteMessages: z.tuple([MessageIds, z.boolean()]),
  react: z.tuple([Id, Emoji.nullable()]),
  forwardMessages: z.tuple([MessageIds, Id]),
} as const satisfies { [K in keyof ClientApi]: z.ZodType<Parameters<ClientApi[K]>> };

export const CLIENT_API_METHODS = Object.keys(CLIENT_API_ARGS) as (keyof ClientApi)[];

export const CLIENT_API_EVENTS = [
  'message',
  'status',
  'messagesChanged',
  'read',
  'presence',
  'user',
  'typing',
  'identity',
  'connection',
  'signal',
  'transfer',
  'signedOut',
] as const satisfies readonly (keyof ClientEvents)[];

/** Failures the core reports beyond the server's codes. */
export const CLIENT_ERROR_CODES = [
  'KEYCHAIN_UNAVAILABLE',
  'NOT_SIGNED_IN',
  'ALREADY_SIGNED_IN',
  'NETWORK',
  'IDENTITY_UNTRUSTED',
  'LOCAL_STORE_LOCKED',
  /** A downloaded attachment does not match its digest, or does not decrypt. */
  'ATTACHMENT_CORRUPT',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** What the renderer gets as `window.parley`: the API plus event subscription. */
export interface ClientBridge extends ClientApi {
  /** Subscribes to a core event; returns the function that unsubscribes. */
  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void;
}

/** The error a bridged call rejects with: a stable code the UI can translate, and a message. */
export interface ClientError {
  code: ClientErrorCode | import('./errors.js').ErrorCode;
  message: string;
  details?: unknown;
}
