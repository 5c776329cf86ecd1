/**
 * What a Room needs from the transport that synchronizes its document: the narrow part of
 * y-webrtc's WebrtcProvider that room.ts uses. The default is the real WebrtcProvider; tests
 * give an in-memory one (tests/unit/support/memory-network.ts), and another transport could
 * be plugged in the same way, as long as it behaves as described here.
 */
import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { WebrtcProvider } from 'y-webrtc';

/** A signaling socket (y-webrtc's lib0 WebsocketClient), as far as a Room uses it. */
export interface SignalingSocket {
  readonly connected: boolean;
  /** A JSON message to the relay; the relay answers `{ type: 'ping' }` with `{ type: 'pong' }`. */
  send(message: unknown): void;
  on(event: 'connect' | 'disconnect', listener: () => void): void;
  on(event: 'message', listener: (message: { type?: string }) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
}

export interface RoomProvider {
  /** Members' presence. Removing the local state on destroy() is how the others see a leave. */
  readonly awareness: Awareness;
  /** One socket per signaling URL; a socket reconnects by itself and says so with `connect`. */
  readonly signalingConns: readonly SignalingSocket[];
  /** Non-null once the provider has joined the room (after `key` settled). */
  readonly room: unknown;
  /** Settles once the room key (password) is ready; after destroy(), once the room is gone. */
  readonly key: PromiseLike<unknown>;
  /** Fired when `room` becomes usable (y-webrtc: its connected status changed). */
  on(event: 'status', listener: () => void): void;
  off(event: 'status', listener: () => void): void;
  /**
   * Leaves the room for good: the local awareness state removed, every peer connection closed.
   * A Room may call it from inside a document observer (kicked, room closed): the update of
   * that transaction must still go out. y-webrtc does it that way by leaving once `key` settles.
   */
  destroy(): void;
}

export interface RoomProviderOptions {
  signaling: string[];
  password?: string;
  maxConns: number;
  /** simple-peer options (ICE servers, our data-channel wrapper); meaningless to other transports. */
  peerOpts: Record<string, unknown>;
}

export type CreateRoomProvider = (roomId: string, doc: Y.Doc, options: RoomProviderOptions) => RoomProvider;

/** The real thing: y-webrtc over our relay. */
export const createWebrtcProvider: CreateRoomProvider = (roomId, doc, options) => new WebrtcProvider(roomId, doc, options);
