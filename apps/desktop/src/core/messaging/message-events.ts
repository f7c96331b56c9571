import type { LocalMessage } from '@parley/shared';
import type { Emit } from '../events.js';
import type { MessagesRepository } from '../store/messages.js';

/**
 * The messaging events (`message`, `status`, `read`), built one way wherever they come from. They
 * carry what changed in the conversation list, so neither the UI nor the shell refetches it.
 */
export class MessageEvents {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly emit: Emit,
  ) {}

  /** A message was stored (received, written here, or a call's history entry): with its conversation as it now is. */
  message(message: LocalMessage): void {
    const conversation = this.messages.conversation(message.peerUserId);
    // Stored with the message, so always there.
    if (conversation) this.emit('message', { ...message, conversation, unreadTotal: this.messages.unreadTotal() });
  }

  /** Messages changed by actions, or removed (deleted for me): as now stored, with their conversation. */
  changed(peerUserId: string, changedIds: string[], removed: string[]): void {
    const conversation = this.messages.conversation(peerUserId);
    if (!conversation) return;
    const changed = changedIds.flatMap((id) => this.messages.get(id) ?? []);
    this.emit('messagesChanged', {
      peerUserId,
      changed,
      removed,
      conversation,
      unreadTotal: this.messages.unreadTotal(),
    });
  }

  status(message: Pick<LocalMessage, 'id' | 'peerUserId' | 'status'>): void {
    this.emit('status', { messageId: message.id, peerUserId: message.peerUserId, status: message.status });
  }

  /** Incoming messages of a conversation were read, here or on another of my devices. */
  read(peerUserId: string): void {
    this.emit('read', {
      peerUserId,
      unreadCount: this.messages.unreadCount(peerUserId),
      unreadTotal: this.messages.unreadTotal(),
    });
  }
}
