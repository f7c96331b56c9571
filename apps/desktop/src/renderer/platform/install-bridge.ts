import type { ClientBridge } from '@parley/shared';
import { connectHostBridge } from './host-bridge.js';

declare global {
  interface Window {
    /** Set by the Electron preload; in the browser host, installed here before the app starts. */
    parley?: ClientBridge;
  }
}

if (!window.parley) window.parley = connectHostBridge();
