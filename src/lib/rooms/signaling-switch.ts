/**
 * Moving a y-webrtc provider's signaling from one relay to another, without modifying y-webrtc
 * (10.3.0) and without tearing down its peer connections [R-73].
 *
 * What y-webrtc offers (node_modules/y-webrtc/src/y-webrtc.js): its signaling sockets
 * (`SignalingConn`, a lib0 `WebsocketClient`) live in a module-private map keyed by URL and
 * are shared by every provider of the tab; each one subscribes *all* the tab's rooms when it
 * connects and reconnects by itself forever. A provider connects to every URL of
 * `signalingUrls` at once, so handing it several URLs would put each member on every relay:
 * seen twice through a Redis-backed cluster, every signal doubled. `provider.disconnect()` is
 * no way out either: it also destroys every peer connection of the room.
 *
 * So a provider is given one URL at a time, and what is public is used to move it:
 * - `provider.signalingUrls = [url]; provider.connect()` reuses or opens the tab's socket for
 *   `url` and re-announces the room over connected sockets, leaving peer connections alone
 *   (`room.connect()` only re-registers idempotent listeners and announces);
 * - `socket.disconnect()` stops a socket reconnecting by itself (`shouldConnect = false`), and
 *   `socket.connect()` starts it again, so the socket of a relay left behind does not come back
 *   later and subscribe the rooms there too.
 * Providers without these (tests' in-memory network, other transports) are not switchable and
 * keep reconnecting the way they do.
 */
import type { RoomProvider, SignalingSocket } from './room-provider.js';

/** y-webrtc's SignalingConn, as far as switching uses it (lib0/websocket WebsocketClient). */
export interface SwitchableSocket extends SignalingSocket {
  readonly url: string;
  /** Keep (re)connecting to `url`. */
  connect(): void;
  /** Close and stop reconnecting until `connect()`. */
  disconnect(): void;
}

/** y-webrtc's WebrtcProvider, as far as switching uses it. */
export interface SwitchableProvider extends RoomProvider {
  signalingUrls: string[];
  signalingConns: SwitchableSocket[];
  connect(): void;
}

function isSwitchableSocket(socket: SignalingSocket): socket is SwitchableSocket {
  const candidate = socket as Partial<SwitchableSocket>;
  return typeof candidate.url === 'string' && typeof candidate.connect === 'function' && typeof candidate.disconnect === 'function';
}

export function isSwitchable(provider: RoomProvider): provider is SwitchableProvider {
  const candidate = provider as Partial<SwitchableProvider>;
  return Array.isArray(candidate.signalingUrls) && typeof candidate.connect === 'function' && provider.signalingConns.every(isSwitchableSocket);
}

/**
 * Points the provider at `url` only and makes sure that socket is trying to connect; returns
 * it. Its `connect` event follows when the relay answers (at once if it is already connected,
 * which the caller checks with `connected`).
 */
export function pointAt(provider: SwitchableProvider, url: string): SwitchableSocket {
  provider.signalingUrls = [url];
  provider.connect();
  const socket = provider.signalingConns.find((candidate) => candidate.url === url);
  if (!socket) throw new Error(`y-webrtc did not open a signaling socket for ${url}`);
  // connect() appends to signalingConns every time; the provider signals through this one now.
  provider.signalingConns = [socket];
  // A socket paused earlier (pauseSocket) is reused from y-webrtc's map and would stay down.
  socket.connect();
  return socket;
}

/**
 * Stops the socket from reconnecting by itself (and closes it if it is open). Its rooms are
 * moved by relay-failover.ts: presence first, then the socket, so a relay that lost its state
 * never sees a plain `subscribe` recreate a password room without its verifier.
 */
export function pauseSocket(socket: SignalingSocket): void {
  if (isSwitchableSocket(socket)) socket.disconnect();
}

/** Resolves once the socket is connected; rejects after `timeoutMs`. */
export function whenSocketConnected(socket: SignalingSocket, timeoutMs: number): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onConnect = () => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      resolve();
    };
    const timer = setTimeout(() => {
      socket.off('connect', onConnect);
      reject(new Error(`the signaling socket did not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', onConnect);
  });
}
