import { create } from 'zustand';
import { parley } from '../api.js';
import { CallEngine, type CallView } from '../calls/engine.js';
import { notifyIncomingCall } from '../notifications.js';
import { useContacts } from './contacts.js';
import { useSettings } from './settings.js';

/** simple-peer is loaded with the first call, not at start-up (it is a sixth of the renderer bundle). */
let simplePeer: ReturnType<typeof loadSimplePeer> | null = null;
const loadSimplePeer = () => import('simple-peer/simplepeer.min.js').then((m) => m.default);

/** The app's one call engine: screens call its actions and read the call from `useCalls`. */
export const callEngine = new CallEngine({
  api: parley,
  getUserMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
  loadPeer: () => (simplePeer ??= loadSimplePeer()),
  isContact: (userId) => useContacts.getState().contacts.some((c) => c.userId === userId),
  relayOnly: () => useSettings.getState().relayCalls,
  incomingCall: notifyIncomingCall,
});

/** The call on screen, as the engine last reported it. */
export const useCalls = create<{ call: CallView | null }>(() => ({ call: callEngine.call }));
callEngine.onChange((call) => useCalls.setState({ call }));
