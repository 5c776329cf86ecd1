/**
 * One side of each pair starts the data connection, so two members never offer to each other
 * at once ("glare").
 *
 * y-webrtc 10.3 starts a connection, as initiator, to every peer whose `announce` it hears, and
 * a member announces itself to the whole room when it enters. So when two members enter at the
 * same moment each hears the other and both offer. y-webrtc's answer to that (a random token
 * per offer; the smaller one is answered) leaves the pair dead often enough to matter: the side
 * that answers does so from its initiator peer, whose own data channel is the one it sends on,
 * while the other listens on its own — nothing ever arrives either way. stuck-connections.ts
 * gives such a pair up after 8–14 s; a 6-member room entered at once measured 47 s before every
 * video played.
 *
 * So y-webrtc's announces pass through this gate first (without changing y-webrtc: the tab's
 * signaling socket is a lib0 Observable, and its `emit` is wrapped so the gate sees a relay
 * message before y-webrtc's listener does). Of each pair, the member with the smaller
 * y-webrtc peer id offers (peer ids are random UUIDs, so it is a fair coin, and both ends
 * compute the same one):
 * - an announce from a peer this member offers to goes to y-webrtc, which offers;
 * - an announce from a peer that offers to this member is held back, and if there is no
 *   connection with that peer yet, this member announces itself to that peer alone (`to`; a
 *   y-webrtc peer ignores announces addressed to another), which makes that peer offer. It
 *   works the same whether the other entered long before (it never hears an announce from this
 *   member otherwise) or at the same moment (it already offers; the extra announce is ignored
 *   because y-webrtc keeps one connection per peer).
 * Only broadcast announces are answered that way, never one addressed to this member, so two
 * clients that disagree (a stock y-webrtc one, which offers to whoever announces) cannot keep
 * answering each other; with those, y-webrtc's own glare handling still applies.
 *
 * In a password room the payloads are sealed with the room key (signaling-wire.ts): opening
 * them takes a promise, so that room's messages queue up and reach y-webrtc in their order.
 */
import type { Trace } from './trace.js';
import { openSignalingData, sealSignalingData, type SignalingData } from './signaling-wire.js';

/** y-webrtc's Room (`provider.room`), as far as the gate reads it. */
export interface YWebrtcRoomLike {
  readonly name: string;
  readonly peerId: string;
  /** The room key (a password room) or null. */
  readonly key: CryptoKey | null;
  readonly webrtcConns: Map<string, { peer?: { initiator?: boolean } }>;
  /** Peers in this browser, reached over BroadcastChannel: y-webrtc ignores their signaling. */
  readonly bcConns: Set<string>;
}

/** y-webrtc's SignalingConn (a lib0 WebsocketClient), as far as the gate uses it. */
export interface GateableSocket {
  emit(name: string, args: unknown[]): void;
  send(message: unknown): void;
}

/** The relay message that carries a topic's payloads. */
interface Publish {
  type: 'publish';
  topic: string;
  data: unknown;
}

/** Which end of a pair offers: the smaller peer id. */
export function offersTo(localPeerId: string, remotePeerId: string): boolean {
  return localPeerId < remotePeerId;
}

/**
 * What to do with a payload on a room's topic:
 * - `pass`: y-webrtc handles it as it would;
 * - `hold`: an announce from a peer that offers to us: y-webrtc must not offer back;
 * - `hold-and-invite`: the same, and there is no connection with that peer yet: announce
 *   ourselves to it.
 */
export type Verdict = 'pass' | 'hold' | 'hold-and-invite';

export function judge(room: Pick<YWebrtcRoomLike, 'peerId' | 'webrtcConns' | 'bcConns'>, data: SignalingData | null): Verdict {
  if (data === null || data.type !== 'announce' || typeof data.from !== 'string') return 'pass';
  const from = data.from;
  // Our own announce echoed by the relay, one for someone else, one from this browser:
  // y-webrtc ignores those anyway.
  if (from === room.peerId || (data.to !== undefined && data.to !== room.peerId) || room.bcConns.has(from)) return 'pass';
  if (offersTo(room.peerId, from)) return 'pass';
  if (data.to !== undefined || room.webrtcConns.has(from)) return 'hold';
  return 'hold-and-invite';
}

interface Gated {
  room: YWebrtcRoomLike;
  trace: Trace;
  /** Payloads of a password room wait their turn here (opening one takes a promise). */
  queue: Promise<void>;
}

/** Rooms by topic (y-webrtc's room name): like y-webrtc's own registry, one per name per tab. */
const gatedRooms = new Map<string, Gated>();
const gatedSockets = new WeakSet<GateableSocket>();

/** From now on, announces on this room's topic go through the gate (on every gated socket). */
export function gateRoom(room: YWebrtcRoomLike, trace: Trace): void {
  gatedRooms.set(room.name, { room, trace, queue: Promise.resolve() });
}

export function ungateRoom(room: YWebrtcRoomLike): void {
  if (gatedRooms.get(room.name)?.room === room) gatedRooms.delete(room.name);
}

/** Whether the provider's room is y-webrtc's (the in-memory test network's is not gated). */
export function isYWebrtcRoom(room: unknown): room is YWebrtcRoomLike {
  const candidate = room as Partial<YWebrtcRoomLike> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.peerId === 'string' &&
    candidate.webrtcConns instanceof Map &&
    candidate.bcConns instanceof Set
  );
}

export function isGateableSocket(socket: unknown): socket is GateableSocket {
  const candidate = socket as Partial<GateableSocket> | null;
  return typeof candidate?.emit === 'function' && typeof candidate.send === 'function';
}

/**
 * Puts the gate in front of everything that listens to the socket's relay messages (once per
 * socket; the socket is y-webrtc's, shared by the tab's rooms, and lives as long as the page).
 */
export function gateSocket(socket: GateableSocket): void {
  if (gatedSockets.has(socket)) return;
  gatedSockets.add(socket);
  const emit = socket.emit.bind(socket);
  socket.emit = (name, args) => {
    const message = (Array.isArray(args) ? args[0] : undefined) as Partial<Publish> | null | undefined;
    const gated = name === 'message' && message?.type === 'publish' && typeof message.topic === 'string' ? gatedRooms.get(message.topic) : undefined;
    if (!gated) return emit(name, args);
    const deliver = () => emit(name, args);
    if (!gated.room.key) {
      admit(socket, gated, message!.data as SignalingData, deliver);
      return;
    }
    gated.queue = gated.queue
      .then(async () => admit(socket, gated, await openSignalingData(message!.data, gated.room.key), deliver))
      .catch((error: unknown) => console.warn(`signaling message on ${gated.room.name} dropped:`, error));
  };
}

function admit(socket: GateableSocket, gated: Gated, data: SignalingData | null, deliver: () => void): void {
  const { room, trace } = gated;
  const verdict = judge(room, typeof data === 'object' ? data : null);
  if (verdict === 'pass') {
    traceSignal(gated, data);
    deliver();
    return;
  }
  const from = data!.from as string;
  trace('announce-held', { roomId: room.name, peer: from, invite: verdict === 'hold-and-invite' });
  if (verdict === 'hold-and-invite') void invite(socket, room, from);
}

/** Announces this member to one peer only: that peer offers (it has the smaller id). */
async function invite(socket: GateableSocket, room: YWebrtcRoomLike, to: string): Promise<void> {
  try {
    const data = await sealSignalingData({ type: 'announce', from: room.peerId, to }, room.key);
    socket.send({ type: 'publish', topic: room.name, data });
  } catch (error) {
    // Sealing failed (a crypto error): the peer still offers when it hears our next announce.
    console.warn(`announce to a peer of ${room.name} not sent:`, error);
  }
}

function traceSignal({ room, trace }: Gated, data: SignalingData | null): void {
  if (!data || typeof data.from !== 'string' || data.from === room.peerId) return;
  if (data.to !== undefined && data.to !== room.peerId) return;
  if (data.type === 'announce') {
    trace('announce-in', { roomId: room.name, peer: data.from, offering: !room.webrtcConns.has(data.from) });
    return;
  }
  const kind = data.signal?.type;
  if (kind !== 'offer' && kind !== 'answer') return;
  // An offer to a connection of ours that offered too: the glare the gate exists to prevent
  // (still possible with a peer that does not gate, e.g. stock y-webrtc).
  const glare = kind === 'offer' && room.webrtcConns.get(data.from)?.peer?.initiator === true;
  trace(glare ? 'data-glare' : `data-${kind}-in`, { roomId: room.name, peer: data.from });
}
