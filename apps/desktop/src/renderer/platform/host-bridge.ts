import type { ClientBridge } from '@parley/shared';
import { io } from 'socket.io-client';
import { BRIDGE_CALL, BRIDGE_EVENT, type BridgeResult, bridgeClient } from '../../bridge/bridge.js';

/** Same as the host's BRIDGE_PATH (the renderer cannot import Node code). */
const BRIDGE_PATH = '/bridge';

/**
 * In the browser host there is no preload: `window.parley` is built here, over the host's
 * Socket.IO bridge on the page's own origin (the host's cookie authenticates it).
 */
export function connectHostBridge(): ClientBridge {
  const socket = io({ path: BRIDGE_PATH, transports: ['websocket'] });
  socket.once('connect', () => performance.mark('parley:bridge-connected'));
  return bridgeClient({
    invoke: (method, args) =>
      socket
        .timeout(60_000)
        .emitWithAck(BRIDGE_CALL, method, args)
        .catch(
          (): BridgeResult => ({ ok: false, error: { code: 'NETWORK', message: 'The Parley host does not answer' } }),
        ),
    subscribe: (listener) => {
      const handler = (event: string, payload: unknown) => listener(event, payload);
      socket.on(BRIDGE_EVENT, handler);
      return () => socket.off(BRIDGE_EVENT, handler);
    },
  });
}
