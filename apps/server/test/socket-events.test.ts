import { SOCKET_EVENTS, type SocketEventDef } from '@parley/shared';
import { describe, expect, it } from 'vitest';

// The socket contract itself; that the gateway answers each client event's bad payloads with a
// typed error is gateway.test.ts, that the client drops a malformed server event connection.test.ts.

const clientEvents: SocketEventDef[] = Object.values(SOCKET_EVENTS.client);
const serverEvents: SocketEventDef[] = Object.values(SOCKET_EVENTS.server);
const notObjects = [undefined, null, 42, 'text', [], true];

describe('SOCKET_EVENTS', () => {
  it('names each event once per direction', () => {
    for (const events of [clientEvents, serverEvents]) {
      const names = events.map((e) => e.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('answers every client event through its callback', () => {
    for (const event of clientEvents) expect(event.answer, event.name).toBeDefined();
  });

  it('rejects a malformed payload of every event, either way', () => {
    for (const event of clientEvents) {
      for (const payload of [...notObjects, {}, { unexpected: true }]) {
        expect(event.payload.safeParse(payload).success, `${event.name} ${JSON.stringify(payload)}`).toBe(false);
      }
    }
    for (const event of serverEvents) {
      for (const payload of notObjects) {
        expect(event.payload.safeParse(payload).success, `${event.name} ${JSON.stringify(payload)}`).toBe(false);
      }
    }
  });
});
