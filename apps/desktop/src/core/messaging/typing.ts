import type { TypingEvent } from '@parley/shared';
import type { Emit } from '../events.js';
import type { Connection } from '../net/connection.js';

/** How long a "typing" lasts without a new one. */
const TYPING_TTL_MS = 8_000;

/** Typing indicators: mine to the server, theirs to the UI (ending by themselves if the "stopped" is lost). */
export class Typing {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly connection: Pick<Connection, 'typing'>,
    private readonly emit: Emit,
  ) {}

  set(peerUserId: string, typing: boolean): void {
    this.connection.typing({ toUserId: peerUserId, state: typing ? 'started' : 'stopped' });
  }

  received({ fromUserId, state }: TypingEvent): void {
    clearTimeout(this.timers.get(fromUserId));
    const typing = state === 'started';
    if (typing) {
      const timer = setTimeout(() => this.emit('typing', { userId: fromUserId, typing: false }), TYPING_TTL_MS);
      timer.unref?.();
      this.timers.set(fromUserId, timer);
    }
    this.emit('typing', { userId: fromUserId, typing });
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
  }
}
