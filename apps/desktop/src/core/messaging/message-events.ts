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

  /**
   * A message was stored (received, written here, or a call's history entry): with its
   * conversation as it now is. `updated`: it had been told of before, and changed.
   */
  message(message: LocalMessage, updated = false): void {
    const conversation = this.messages.conversation(message.peerUserId);
    // Stored with the message, so always there.
    if (conversation)
      this.emit('message', {
        ...message,
        conversation,
        unreadTotal: this.messages.unreadTotal(),
        ...(updated ? { updated: true as const } : {}),
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
