/**
 * `wrtc` for simple-peer whose data channels carry messages of any size.
 *
 * y-webrtc creates its peers with `new Peer({ initiator, ...peerOpts })`, and simple-peer takes
 * RTCPeerConnection, RTCSessionDescription and RTCIceCandidate from `opts.wrtc` instead of the
 * browser globals. So without changing either library,
 *
 *   new WebrtcProvider(room, doc, { peerOpts: { wrtc: createChunkingWrtc() } })
 *
 * gives every connection of that provider channels that split a big document state into
 * frames and join them again (chunked-channel.ts), fixing y-webrtc #20.
 *
 * The peer connection is a subclass of the real one, not a proxy: it *is* an
 * RTCPeerConnection, so every other method, attribute, event and `instanceof` check is the
 * browser's own, untouched. Only data channels are wrapped: those it creates
 * (`createDataChannel`, used by the initiator) and those the peer opens (the `datachannel`
 * event, which simple-peer reads through `ondatachannel`).
 */
import { ChunkingError, ChunkingErrorCode } from './chunk-framing.js';
import { ChunkedDataChannel, type ChunkingOptions } from './chunked-channel.js';

/** The shape simple-peer expects in `opts.wrtc`. */
export interface Wrtc {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

export interface ChunkingWrtcOptions extends ChunkingOptions {
  /** The WebRTC implementation to wrap; the browser's globals by default (read at call time). */
  base?: Wrtc;
}

export function createChunkingWrtc(options: ChunkingWrtcOptions = {}): Wrtc {
  const { base = globalThis as unknown as Partial<Wrtc>, ...chunking } = options;
  const { RTCPeerConnection: Base, RTCSessionDescription, RTCIceCandidate } = base;
  if (typeof Base !== 'function' || typeof RTCSessionDescription !== 'function' || typeof RTCIceCandidate !== 'function') {
    throw new ChunkingError(ChunkingErrorCode.NO_WEBRTC, 'No WebRTC implementation to wrap: pass `base` outside a browser');
  }

  class ChunkingRTCPeerConnection extends Base {
    /** One wrapper per real channel, whichever way it reached us. */
    readonly #wrapped = new WeakMap<RTCDataChannel, ChunkedDataChannel>();

    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      // Swap the event's channel for our wrapper before anyone reads it: an own property on
      // the event shadows RTCDataChannelEvent's `channel` getter. This listener is added in the
      // constructor, so it runs before every listener a caller adds later.
      let ondatachannel: ((this: RTCPeerConnection, event: RTCDataChannelEvent) => unknown) | null = null;
      super.addEventListener('datachannel', (event) => {
        Object.defineProperty(event, 'channel', { value: this.#wrap(event.channel), enumerable: true });
        ondatachannel?.call(this, event);
      });
      // simple-peer reads the `ondatachannel` handler. The platform would call it from a
      // listener of its own, registered when it is first set; calling it from ours instead
      // guarantees it sees the wrapper whatever the platform's handler ordering.
      Object.defineProperty(this, 'ondatachannel', {
        get: () => ondatachannel,
        set: (handler: typeof ondatachannel) => {
          ondatachannel = typeof handler === 'function' ? handler : null;
        },
        enumerable: true,
        configurable: true,
      });
    }

    override createDataChannel(label: string, dataChannelDict?: RTCDataChannelInit): RTCDataChannel {
      return this.#wrap(super.createDataChannel(label, dataChannelDict));
    }

    #wrap(channel: RTCDataChannel): ChunkedDataChannel {
      let wrapper = this.#wrapped.get(channel);
      if (!wrapper) {
        // Read when a message is sent: the SCTP transport exists once negotiation is done.
        wrapper = new ChunkedDataChannel(channel, chunking, () => this.sctp?.maxMessageSize);
        this.#wrapped.set(channel, wrapper);
      }
      return wrapper;
    }
  }

  return { RTCPeerConnection: ChunkingRTCPeerConnection, RTCSessionDescription, RTCIceCandidate };
}
