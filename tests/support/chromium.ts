// Debian's Chromium, the flags this machine needs, and test instrumentation for its pages (no
// relative imports: scripts run this file directly with Node's type stripping).
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

/**
 * Keeps every RTCPeerConnection the page creates in `window.__pcs`, so a test can read
 * `getStats()` as the browser's own WebRTC internals would show them. Test-only: the app has no
 * hook for this.
 */
export const TRACK_PEER_CONNECTIONS = `
  window.__pcs = [];
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
  };
`;
