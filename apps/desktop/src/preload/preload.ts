import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_CALL, BRIDGE_EVENT, type BridgeResult, bridgeClient } from '../bridge/bridge.js';

// The only thing the renderer gets: `window.parley`, the shared client API over IPC.
contextBridge.exposeInMainWorld(
  'parley',
  bridgeClient({
    invoke: (method, args) => ipcRenderer.invoke(BRIDGE_CALL, method, args) as Promise<BridgeResult>,
    subscribe: (listener) => {
      const handler = (_: unknown, event: string, payload: unknown) => listener(event, payload);
      ipcRenderer.on(BRIDGE_EVENT, handler);
      return () => ipcRenderer.off(BRIDGE_EVENT, handler);
    },
  }),
);
