/**
 * The part of simple-peer 9.11.1 the media mesh uses. We import its prebuilt bundle (the one
 * y-webrtc imports too: one copy, no Node polyfills — DESIGN.md §2), which ships no types.
 */
declare module 'simple-peer/simplepeer.min.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    stream?: MediaStream;
    config?: RTCConfiguration;
    wrtc?: unknown;
    trickle?: boolean;
    offerOptions?: RTCOfferOptions;
    answerOptions?: RTCAnswerOptions;
  }

  export interface SignalData {
    [key: string]: unknown;
  }

  export default class SimplePeer {
    constructor(options?: SimplePeerOptions);
    readonly destroyed: boolean;
    readonly connected: boolean;
    /** simple-peer's RTCPeerConnection: private by convention, stable in this unmaintained version. */
    readonly _pc: RTCPeerConnection;
    signal(data: SignalData): void;
    /** Over the data channel; throws unless connected. */
    send(data: string | Uint8Array): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: SignalData) => void): this;
    on(event: 'stream', listener: (stream: MediaStream) => void): this;
    on(event: 'data', listener: (chunk: Uint8Array | string) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
    on(event: 'iceStateChange', listener: (iceConnectionState: RTCIceConnectionState) => void): this;
  }
}
