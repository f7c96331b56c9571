import type { ClientEvents } from '@parley/shared';

/** Tells the UI (through `ParleyCore.on`) what happened; each service emits its own events. */
export type Emit = <E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]) => void;
