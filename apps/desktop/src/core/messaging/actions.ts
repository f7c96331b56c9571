import { randomUUID } from 'node:crypto';
import {
  type AttachmentPointer,
  canDeleteForEveryone,
  canEdit,
  type LocalMessage,
  MESSAGE_ACTION_LIMITS,
  MessageContent,
  type MessageVersion,
  type TargetRef,
} from '@parley/shared';
import { CoreError } from '../errors.js';
import type { LocalStore } from '../store/local-store.js';
import type { MessageEvents } from './message-events.js';
import type { Outbox } from './outbox.js';

/** The kinds of content that act on other messages. */
export type ActionContent = Extract<MessageContent, { kind: 'edit' | 'delete' | 'deleteForMe' | 'reaction' }>;
const ACTION_KINDS: ReadonlySet<string> = new Set(['edit', 'delete', 'deleteForMe', 'reaction']);
export const isAction = (content: MessageContent): content is ActionContent => ACTION_KINDS.has(content.kind);

/** An action as received: its id, who sent it, and when the server took it. */
export interface ReceivedAction {
  id: string;
  senderUserId: string;
  content: ActionContent;
  serverTimestamp: string;
}

/** What the actions of a page (or a call) changed, per conversation, for the events after the commit. */
export class Changes {
  private readonly byPeer = new Map<string, { changed: Set<string>; removed: Set<string> }>();
  /** Attachments no message points at any more. */
  readonly files: AttachmentPointer[] = [];

  dropFile(file: AttachmentPointer): void {
    this.files.push(file);
  }

  add(peerUserId: string, messageId: string, how: 'changed' | 'removed'): void {
    const entry = this.byPeer.get(peerUserId) ?? { changed: new Set(), removed: new Set() };
    this.byPeer.set(peerUserId, entry);
    entry[how].add(messageId);
    if (how === 'removed') entry.changed.delete(messageId);
  }

  emit(events: MessageEvents): void {
    for (const [peerUserId, { changed, removed }] of this.byPeer)
      events.changed(peerUserId, [...changed], [...removed]);
  }
}

const targetsOf = (content: ActionContent): TargetRef[] =>
  content.kind === 'delete' || content.kind === 'deleteForMe' ? content.targets : [content.target];

/**
 * Message actions both ways. Mine are applied here at once and sent through the outbox (in
 * order with the conversation's messages; to the peer and my other devices, or for "delete for
 * me" only to mine). Received ones are checked (the sender must be the target's author for an
 * edit or a delete, and within the time window) and applied in the page's transaction; one whose
 * target is not here yet is held in the store and applied when it arrives. Applying is
 * idempotent: an edit is a version under its own id, a reaction keeps the latest by its time, a
 * delete of a deleted message changes nothing.
 */
export class Actions {
  constructor(
    private readonly me: { userId: string },
    private readonly store: Pick<LocalStore, 'messages' | 'pendingActions' | 'outbox' | 'transaction'>,
    private readonly outbox: Pick<Outbox, 'kick'>,
    private readonly events: MessageEvents,
    /** An attachment no message points at any more: its local copy goes. */
    private readonly dropLocalCopy: (attachment: AttachmentPointer) => void,
  ) {}

  // Mine ----------------------------------------------------------------------------------------

  edit(messageId: string, text: string): void {
    const body = text.trim();
    if (!body) throw new CoreError('VALIDATION_FAILED', 'A message cannot be empty');
    const message = this.mine(messageId);
    if (!canEdit(message)) throw new CoreError('FORBIDDEN', 'This message can no longer be edited');
    if (body === message.text) return;
    this.send(message.peerUserId, false, (now, id, changes) => {
      // Versions are ordered by this time: two edits within a millisecond still keep their order.
      const previous = message.editedAt ?? message.serverTimestamp ?? message.sentAt;
      const at = previous >= now ? new Date(Date.parse(previous) + 1).toISOString() : now;
      this.store.messages.addVersion(messageId, id, body, at);
      changes.add(message.peerUserId, messageId, 'changed');
      return { kind: 'edit', target: this.ref(message), text: body, sentAt: at, to: message.peerUserId };
    });
  }

  history(messageId: string): MessageVersion[] {
    this.shown(messageId);
    return this.store.messages.versions(messageId);
  }

  delete(messageIds: string[], forEveryone: boolean): void {
    const messages = messageIds.map((id) => this.shown(id));
    const peerUserId = messages[0]?.peerUserId as string;
    if (messages.some((m) => m.peerUserId !== peerUserId))
      throw new CoreError('VALIDATION_FAILED', 'The messages must be of one conversation');
    if (forEveryone && !messages.every((m) => canDeleteForEveryone(m)))
      throw new CoreError('FORBIDDEN', 'Only your own recent messages can be deleted for everyone');
    this.send(peerUserId, !forEveryone, (at, _, changes) => {
      for (const m of messages) this.wipe(m, forEveryone ? 'everyone' : 'me', changes);
      const targets = messages.map((m) => this.ref(m));
      return { kind: forEveryone ? 'delete' : 'deleteForMe', targets, sentAt: at, to: peerUserId };
    });
  }

  react(messageId: string, emoji: string | null): void {
    const message = this.shown(messageId);
    if (message.deleted || message.call) throw new CoreError('FORBIDDEN', 'This message cannot be reacted to');
    this.send(message.peerUserId, false, (at, _, changes) => {
      this.store.messages.react(messageId, this.me.userId, emoji, at);
      changes.add(message.peerUserId, messageId, 'changed');
      return { kind: 'reaction', target: this.ref(message), emoji, sentAt: at, to: message.peerUserId };
    });
  }

  /**
   * Applies an action of mine and queues it for my other devices and (unless `selfOnly`) the
   * peer, in one transaction: once this returns, it will be sent.
   */
  private send(
    peerUserId: string,
    selfOnly: boolean,
    apply: (at: string, id: string, changes: Changes) => ActionContent,
  ): void {
    const id = randomUUID();
    const changes = new Changes();
    this.store.transaction(() => {
      const content = apply(new Date().toISOString(), id, changes);
      this.store.outbox.enqueue({ kind: 'action', peerUserId, messageId: id, payload: { content, selfOnly } });
    });
    this.finish(changes);
    this.outbox.kick();
  }

  /** Deletes a message's content (for everyone: a tombstone; for me: gone from view), and its file if no other message has it. */
  private wipe(message: Pick<LocalMessage, 'id' | 'peerUserId'>, how: 'everyone' | 'me', changes: Changes): void {
    const file = this.store.messages.wipe(message.id, how);
    if (file && !this.store.messages.attachmentInUse(file.id)) changes.dropFile(file);
    changes.add(message.peerUserId, message.id, how === 'everyone' ? 'changed' : 'removed');
  }

  private ref(message: LocalMessage): TargetRef {
    return { id: message.id, author: message.senderUserId };
  }

  private shown(messageId: string): LocalMessage {
    const message = this.store.messages.get(messageId);
    if (!message || message.call) throw new CoreError('NOT_FOUND', 'No such message');
    return message;
  }

  private mine(messageId: string): LocalMessage {
    const message = this.shown(messageId);
    if (message.senderUserId !== this.me.userId) throw new CoreError('FORBIDDEN', 'Not your message');
    return message;
  }

  // Received ------------------------------------------------------------------------------------

  /** Applies a received action (inside the page's transaction), holding what waits for its target. */
  receive(action: ReceivedAction, changes: Changes): void {
    for (const target of targetsOf(action.content)) {
      const known = this.store.messages.author(target.id);
      if (!known) {
        this.store.pendingActions.hold({
          id: action.id,
          targetId: target.id,
          senderUserId: action.senderUserId,
          content: JSON.stringify(action.content),
          serverTimestamp: action.serverTimestamp,
        });
        continue;
      }
      this.applyTo(target, action, changes);
    }
  }

  /** A message has just been stored: the actions that arrived before it apply now. */
  released(messageId: string, changes: Changes): void {
    for (const held of this.store.pendingActions.take(messageId)) {
      const parsed = MessageContent.safeParse(JSON.parse(held.content));
      if (!parsed.success || !isAction(parsed.data)) continue;
      const action = { ...held, content: parsed.data };
      const target = targetsOf(action.content).find((t) => t.id === messageId);
      if (target) this.applyTo(target, action, changes);
    }
  }

  /** One target of a received action, if the sender may do it to that message (else nothing). */
  private applyTo(target: TargetRef, action: ReceivedAction, changes: Changes): void {
    const message = this.store.messages.get(target.id);
    // The target must be the message named (its author too), and one the sender is in.
    if (!message || message.senderUserId !== target.author || message.call) return;
    const fromMe = action.senderUserId === this.me.userId;
    if (!fromMe && message.peerUserId !== action.senderUserId) return;
    const { content } = action;
    // Edits and deletes: only by the author, only so long after the original reached the server.
    const authorOnly = content.kind === 'edit' || content.kind === 'delete';
    if (authorOnly) {
      if (target.author !== action.senderUserId) return;
      const since = Date.parse(action.serverTimestamp) - Date.parse(message.serverTimestamp ?? message.sentAt);
      if (since > MESSAGE_ACTION_LIMITS.acceptWindowMs) return;
    }
    switch (content.kind) {
      case 'edit':
        if (message.deleted || message.attachment || message.editCount >= MESSAGE_ACTION_LIMITS.maxEdits) return;
        this.store.messages.addVersion(message.id, action.id, content.text, content.sentAt);
        changes.add(message.peerUserId, message.id, 'changed');
        return;
      case 'reaction':
        if (message.deleted) return;
        this.store.messages.react(message.id, action.senderUserId, content.emoji, content.sentAt);
        changes.add(message.peerUserId, message.id, 'changed');
        return;
      case 'delete':
      case 'deleteForMe': {
        if (content.kind === 'deleteForMe' && !fromMe) return; // only I delete things for me
        if (content.kind === 'delete' && message.deleted) return;
        this.wipe(message, content.kind === 'delete' ? 'everyone' : 'me', changes);
        return;
      }
    }
  }

  /** After the commit: the events, and the local copies of files no message needs any more. */
  finish(changes: Changes): void {
    for (const file of changes.files) this.dropLocalCopy(file);
    changes.emit(this.events);
  }
}
