import { connectHostBridge } from './host-bridge.js';

// The Electron preload has set window.parley already; in the browser host there is no preload,
// so the bridge is built here, before any module that uses it is evaluated (see main.tsx).
if (!window.parley) window.parley = connectHostBridge();
