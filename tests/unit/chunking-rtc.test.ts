import { describe, expect, it } from 'vitest';
import { createChunkingWrtc, type Wrtc } from '../../src/lib/rooms/chunking-rtc.js';
import { ChunkedDataChannel } from '../../src/lib/rooms/chunked-channel.js';
import { ChunkingErrorCode } from '../../src/lib/rooms/chunk-framing.js';
import { createFakePair, FakeDataChannel, openPair } from './support/fake-data-channel.js';

/**
 * The `wrtc` handed to simple-peer through y-webrtc's `peerOpts`: a real
 * RTCPeerConnection subclass whose only change is that its data channels chunk.
 */

class FakeDataChannelEvent extends Event {
  constructor(readonly channel: FakeDataChannel) {
    super('datachannel');
  }
}

/** Just enough of an RTCPeerConnection to see what the subclass changes and what it leaves alone. */
class FakePeerConnection extends EventTarget {
  static generateCertificate(): string {
    return 'certificate';
  }
  sctp: { maxMessageSize: number } | null = null;
  readonly created: FakeDataChannel[] = [];
  #ondatachannel: ((event: Event) => void) | null = null;
  constructor(readonly configuration?: RTCConfiguration) {
    super();
  }
  // As in the browser (HTML event handlers), the attribute's handler becomes a listener when it
  // is first set, so it runs after the listeners added before that.
  get ondatachannel(): ((event: Event) => void) | null {
    return this.#ondatachannel;
  }
  set ondatachannel(handler: ((event: Event) => void) | null) {
    if (this.#ondatachannel === null && handler) this.addEventListener('datachannel', (event) => this.#ondatachannel?.(event));
    this.#ondatachannel = handler;
  }
  createDataChannel(label: string, init?: RTCDataChannelInit): FakeDataChannel {
    const channel = new FakeDataChannel(label);
    if (init?.ordered === false) channel.ordered = false;
    this.created.push(channel);
    return channel;
  }
  createOffer(): Promise<{ type: string; sdp: string }> {
    return Promise.resolve({ type: 'offer', sdp: 'v=0' });
  }
  /** Test hook: the remote side opened a channel. */
  receiveChannel(channel: FakeDataChannel): void {
    this.dispatchEvent(new FakeDataChannelEvent(channel));
  }
}

class FakeSessionDescription {}
class FakeIceCandidate {}

const base = {
  RTCPeerConnection: FakePeerConnection,
  RTCSessionDescription: FakeSessionDescription,
  RTCIceCandidate: FakeIceCandidate,
} as unknown as Wrtc;

/** The test hooks of the fake under a peer connection made by the wrapper's class. */
const fakeOf = (pc: RTCPeerConnection): FakePeerConnection => pc as unknown as FakePeerConnection;

describe('[R-52] createChunkingWrtc', () => {
  it('[R-52] channels the initiator creates are chunking wrappers of the real ones', () => {
    const wrtc = createChunkingWrtc({ base });
    const pc = new wrtc.RTCPeerConnection();
    const channel = pc.createDataChannel('y-webrtc', { ordered: true });
    expect(channel).toBeInstanceOf(ChunkedDataChannel);
    expect(channel.label).toBe('y-webrtc');
    expect(fakeOf(pc).created).toHaveLength(1);
  });

  it('[R-52] channels the other peer opens reach ondatachannel (what simple-peer reads) and every listener as the same wrapper', () => {
    const wrtc = createChunkingWrtc({ base });
    const pc = new wrtc.RTCPeerConnection();
    const seen: unknown[] = [];
    pc.ondatachannel = (event) => seen.push(event.channel);
    pc.addEventListener('datachannel', (event) => seen.push(event.channel));
    const [native] = createFakePair();
    fakeOf(pc).receiveChannel(native);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(ChunkedDataChannel);
    expect(seen[1]).toBe(seen[0]);
    expect((seen[0] as ChunkedDataChannel).label).toBe(native.label);
    expect(typeof pc.ondatachannel).toBe('function');
    pc.ondatachannel = null;
    fakeOf(pc).receiveChannel(createFakePair()[0]);
    expect(seen).toHaveLength(3);
  });

  it('[R-52] everything else is the real peer connection, untouched', () => {
    const wrtc = createChunkingWrtc({ base });
    const configuration = { iceServers: [] };
    const pc = new wrtc.RTCPeerConnection(configuration);
    expect(pc).toBeInstanceOf(FakePeerConnection);
    expect(fakeOf(pc).configuration).toBe(configuration);
    expect(pc.createOffer).toBe(FakePeerConnection.prototype.createOffer);
    // The subclass adds createDataChannel and an `ondatachannel` of its own, nothing else.
    expect(Object.getOwnPropertyNames(Object.getPrototypeOf(pc))).toEqual(['constructor', 'createDataChannel']);
    expect(Object.keys(pc).filter((key) => !['configuration', 'sctp', 'created'].includes(key))).toEqual(['ondatachannel']);
    expect((wrtc.RTCPeerConnection as unknown as typeof FakePeerConnection).generateCertificate()).toBe('certificate');
    expect(wrtc.RTCSessionDescription).toBe(FakeSessionDescription);
    expect(wrtc.RTCIceCandidate).toBe(FakeIceCandidate);
  });

  it('[R-52] a smaller max-message-size negotiated with the peer lowers what passes unchanged', () => {
    const wrtc = createChunkingWrtc({ base });
    const pc = new wrtc.RTCPeerConnection();
    const channel = pc.createDataChannel('y-webrtc');
    const [native, remote] = [fakeOf(pc).created[0], new FakeDataChannel()];
    native.remote = remote;
    remote.remote = native;
    openPair(native, remote);
    native.maxMessageSize = 16 * 1024;
    fakeOf(pc).sctp = { maxMessageSize: 16 * 1024 };
    channel.send(new Uint8Array(20 * 1024));
    expect(native.wire.length).toBe(2);
    for (const onWire of native.wire) expect((onWire as ArrayBuffer).byteLength).toBeLessThanOrEqual(16 * 1024);
  });

  it('[R-52] options reach the channels (a smaller message bound here)', () => {
    const wrtc = createChunkingWrtc({ base, maxMessageSize: 1000 });
    const pc = new wrtc.RTCPeerConnection();
    const channel = pc.createDataChannel('y-webrtc');
    openPair(fakeOf(pc).created[0], new FakeDataChannel());
    expect(() => channel.send(new Uint8Array(300 * 1024))).toThrow(expect.objectContaining({ code: ChunkingErrorCode.MESSAGE_TOO_LARGE }) as Error);

    // An option passed as undefined keeps its default.
    const defaults = new (createChunkingWrtc({ base, maxMessageSize: undefined, onError: () => {} }).RTCPeerConnection)();
    const other = defaults.createDataChannel('y-webrtc');
    openPair(fakeOf(defaults).created[0], new FakeDataChannel());
    expect(() => other.send(new Uint8Array(300 * 1024))).not.toThrow();
  });

  it('[R-52] without a WebRTC implementation (Node, no base) it fails with NO_WEBRTC instead of a late crash', () => {
    expect(typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection).toBe('undefined');
    expect(() => createChunkingWrtc()).toThrow(expect.objectContaining({ code: ChunkingErrorCode.NO_WEBRTC }) as Error);
  });
});
