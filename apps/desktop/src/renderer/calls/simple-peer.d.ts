// simple-peer's browser build (it bundles the Node shims simple-peer needs, so the renderer gets
// no Node polyfills). Its DefinitelyTyped types pull in Node's; these cover what Parley uses.
declare module 'simple-peer/simplepeer.min.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    config?: RTCConfiguration;
    stream?: MediaStream;
    trickle?: boolean;
  }
  /** What to give the other side's `signal()`: an offer, an answer or an ICE candidate. */
  export type SignalData = Record<string, unknown>;
  export interface Instance {
    signal(data: SignalData): void;
    /** Starts a new offer/answer round (the caller's side; the callee's asks the caller). */
    negotiate(): void;
    destroy(error?: Error): void;
    replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack, stream: MediaStream): void;
    on(event: 'signal', listener: (data: SignalData) => void): this;
    on(event: 'stream', listener: (stream: MediaStream) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
    on(event: 'iceStateChange', listener: (iceConnectionState: RTCIceConnectionState) => void): this;
    /** The underlying connection, for `getStats()` and `restartIce()`. */
    _pc: RTCPeerConnection;
  }
  const SimplePeer: { new (options?: SimplePeerOptions): Instance; WEBRTC_SUPPORT: boolean };
  export default SimplePeer;
}
