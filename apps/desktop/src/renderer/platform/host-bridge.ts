import type { ClientBridge } from '@parley/shared';
import { io } from 'socket.io-client';
import { BRIDGE_CALL, BRIDGE_EVENT, type BridgeResult, bridgeClient } from '../../bridge/bridge.js';

/** Same as the host's BRIDGE_PATH and KEY_FRAGMENT (the renderer cannot import Node code). */
const BRIDGE_PATH = '/bridge';
const KEY_FRAGMENT = 'key';
const KEY_ITEM = 'parley:host-key';
/**
 * The window event saying whether the host answers (`detail`: true or false), for the UI to show
 * a host that has gone (its process stopped): nothing typed then can reach the core.
 */
export const HOST_LINK_EVENT = 'parley:host-link';

/**
 * The host's per-run key, which its bridge requires: the host's first redirect puts it in the
 * URL fragment; the tab keeps it in sessionStorage (per origin: no other site or port reads it,
 * and it survives a reload) and takes it out of the address bar.
 */
function hostKey(): string {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get(KEY_FRAGMENT);
  if (fromUrl) {
    sessionStorage.setItem(KEY_ITEM, fromUrl);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY_ITEM) ?? '';
}

/**
 * In the browser host there is no preload: `window.parley` is built here, over the host's
 * Socket.IO bridge on the page's own origin (the host's cookie and key authenticate it).
 */
export function connectHostBridge(): ClientBridge {
  const socket = io({ path: BRIDGE_PATH, transports: ['websocket'], auth: { key: hostKey() } });
  socket.once('connect', () => performance.mark('parley:bridge-connected'));
  const link = (up: boolean) => window.dispatchEvent(new CustomEvent(HOST_LINK_EVENT, { detail: up }));
  socket.on('connect', () => link(true));
  socket.on('disconnect', () => link(false));
  const unreachable: BridgeResult = {
    ok: false,
    error: { code: 'NETWORK', message: 'The Parley host does not answer' },
  };
  return bridgeClient({
    // No time limit on a call (a 100 MB download takes as long as it takes): a call fails when
    // the connection to the host is lost (Socket.IO's heartbeat notices within seconds) or cannot
    // be made. A call made before the connection is up waits for it (Socket.IO buffers it).
    invoke: (method, args) =>
      new Promise<BridgeResult>((resolve) => {
        const lost = () => {
          socket.off('disconnect', lost).off('connect_error', lost);
          resolve(unreachable);
        };
        socket.on('disconnect', lost).on('connect_error', lost);
        socket.emit(BRIDGE_CALL, method, args, (result: BridgeResult) => {
          socket.off('disconnect', lost).off('connect_error', lost);
          resolve(result);
        });
      }),
    subscribe: (listener) => {
      const handler = (event: string, payload: unknown) => listener(event, payload);
      socket.on(BRIDGE_EVENT, handler);
      return () => socket.off(BRIDGE_EVENT, handler);
    },
  });
}
