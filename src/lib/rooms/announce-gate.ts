/**
 * Two members who offer to each other at once ("glare") end with one working connection, never
 * a dead pair.
 *
 * y-webrtc 10.3 starts a connection, as initiator, to every peer whose `announce` it hears, and
 * a member announces itself to the whole room when it enters. Usually the member already in the
 * room hears the newcomer and offers: one offer per pair. But when two announces cross at the
 * relay (two members entering at the same moment; in a password room, where sealing the
 * announce lets both subscribe before either announces, nearly always), each hears the other
 * and both offer. y-webrtc's answer to that (a random token per offer; the smaller one is
 * answered) leaves the pair dead often enough to matter: the side that answers does so from its
 * initiator peer, whose own data channel is the one it sends on, while the other listens on its
 * own — nothing ever arrives either way. stuck-connections.ts gives such a pair up after
 * 8–14 s; a 6-member room entered at once measured 47 s before every video played.
 *
 * So the relay's messages for a room pass through this gate before y-webrtc sees them (without
 * changing y-webrtc: the tab's signaling socket is a lib0 Observable, and its `emit` is wrapped
 * so the gate sees a relay message before y-webrtc's listener does). Announces pass. An offer
 * from a peer we are offering to ourselves (ours not yet answered) is glare, settled the same
 * way at both ends by the two y-webrtc peer ids (random UUIDs, so a fair coin), as WebRTC's
 * "perfect negotiation" does:
 * - the smaller id keeps its offer: the other's offer is dropped, and so are the ICE
 *   candidates that follow it, until the other's answer (to our offer) arrives;
 * - the larger id gives way: its own unanswered connection is discarded first (quietly:
 *   y-webrtc does not hear of it, so it neither forgets the peer nor announces again), then the
 *   offer reaches y-webrtc, which answers it from a fresh connection.
 * A peer that does not gate (stock y-webrtc) settles glare its own way; with those, y-webrtc's
 * handling applies as before.
 *
 * (The gate used to let only the smaller id offer, holding back announces from a larger peer and
 * inviting it instead: one more relay trip for half of the pairs.)
 *
 * In a password room the payloads are sealed with the room key (signaling-wire.ts): opening
 * them takes a promise, so that room's messages queue up and reach y-webrtc in their order.
 */
import type { Trace } from './trace.js';
import { openSignalingData, type SignalingData } from './signaling-wire.js';
import { isUnpairableCandidate } from '../media/candidates.js';

/** y-webrtc's WebrtcConn, as far as the gate uses it. */
export interface WebrtcConnLike {
  /** The data channel is open. */
  connected?: boolean;
  /** Its simple-peer. */
  peer?: {
    initiator?: boolean;
    removeAllListeners?(event: string): unknown;
    on?(event: 'error', listener: () => void): unknown;
    destroy?(): void;
  };
}

/** y-webrtc's Room (`provider.room`), as far as the gate reads it. */
export interface YWebrtcRoomLike {
  readonly name: string;
  readonly peerId: string;
  /** The room key (a password room) or null. */
  readonly key: CryptoKey | null;
  readonly webrtcConns: Map<string, WebrtcConnLike>;
  /** Peers in this browser, reached over BroadcastChannel: y-webrtc ignores their signaling. */
  readonly bcConns: Set<string>;
}

/** y-webrtc's SignalingConn (a lib0 WebsocketClient), as far as the gate uses it. */
export interface GateableSocket {
  emit(name: string, args: unknown[]): void;
}

/** The relay message that carries a topic's payloads. */
interface Publish {
  type: 'publish';
  topic: string;
  data: unknown;
}

/** Of two members offering to each other at once, whose offer stands: the smaller peer id's. */
export function keepsOwnOffer(localPeerId: string, remotePeerId: string): boolean {
  return localPeerId < remotePeerId;
}

/**
 * What to do with a payload on a room's topic:
 * - `pass`: y-webrtc handles it as it would;
 * - `drop`: glare where our offer stands: y-webrtc must see neither their offer nor the ICE
 *   candidates of it;
 * - `give-way`: glare where their offer stands: our unanswered connection goes first.
 *
 * `ignoring`: peers whose offer we dropped and whose answer to ours has not come yet.
 */
export function judge(room: Pick<YWebrtcRoomLike, 'peerId' | 'webrtcConns' | 'bcConns'>, data: SignalingData | null, ignoring: ReadonlySet<string> = new Set()): Verdict {
  if (data === null || data.type !== 'signal' || typeof data.from !== 'string' || data.to !== room.peerId || room.bcConns.has(data.from)) return 'pass';
  const kind = data.signal?.type;
  // A TCP active candidate pairs only with a passive one, which Chromium never offers: handing
  // it to y-webrtc only costs an addIceCandidate that blocks the page (media/candidates.ts).
  if (kind === 'candidate') return ignoring.has(data.from) || isUnpairableCandidate(data.signal) ? 'drop' : 'pass';
  if (kind !== 'offer') return 'pass';
  const ours = room.webrtcConns.get(data.from);
  const glare = ours?.peer?.initiator === true && ours.connected !== true;
  if (!glare) return 'pass';
  return keepsOwnOffer(room.peerId, data.from) ? 'drop' : 'give-way';
}

export type Verdict = 'pass' | 'drop' | 'give-way';

interface Gated {
  room: YWebrtcRoomLike;
  trace: Trace;
  /** Peers whose glaring offer was dropped, until their answer to ours. */
  ignoring: Set<string>;
  /** Payloads of a password room wait their turn here (opening one takes a promise). */
  queue: Promise<void>;
}

/** Rooms by topic (y-webrtc's room name): like y-webrtc's own registry, one per name per tab. */
const gatedRooms = new Map<string, Gated>();
const gatedSockets = new WeakSet<GateableSocket>();

/** From now on, signaling on this room's topic goes through the gate (on every gated socket). */
export function gateRoom(room: YWebrtcRoomLike, trace: Trace): void {
  gatedRooms.set(room.name, { room, trace, ignoring: new Set(), queue: Promise.resolve() });
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
  return typeof (socket as Partial<GateableSocket> | null)?.emit === 'function';
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
      admit(gated, message!.data as SignalingData, deliver);
      return;
    }
    gated.queue = gated.queue
      .then(async () => admit(gated, await openSignalingData(message!.data, gated.room.key), deliver))
      .catch((error: unknown) => console.warn(`signaling message on ${gated.room.name} dropped:`, error));
  };
}

function admit(gated: Gated, data: SignalingData | null, deliver: () => void): void {
  const { room, trace, ignoring } = gated;
  const verdict = judge(room, typeof data === 'object' ? data : null, ignoring);
  const from = data?.from as string;
  const kind = data?.signal?.type;
  if (verdict === 'drop') {
    if (kind === 'offer') {
      ignoring.add(from);
      trace('data-glare-kept', { roomId: room.name, peer: from });
    }
    return;
  }
  if (verdict === 'give-way') {
    discardConnection(room, from);
    trace('data-glare-gave-way', { roomId: room.name, peer: from });
  }
  // Their answer to our offer, or a new offer of theirs: what follows belongs to it.
  if (kind === 'answer' || kind === 'offer') ignoring.delete(from);
  traceSignal(gated, data);
  deliver();
}

/**
 * Closes our connection to a peer without y-webrtc hearing of it: its `close` handler would
 * forget the peer by id (by then the fresh connection answering the peer's offer) and
 * announce us to the whole room again.
 */
function discardConnection(room: YWebrtcRoomLike, peerId: string): void {
  const conn = room.webrtcConns.get(peerId);
  room.webrtcConns.delete(peerId);
  unhook(conn);
  conn?.peer?.destroy?.();
}

/**
 * Leaving a room: y-webrtc closes each of its connections, and each one's `close` handler
 * subscribes the room's topic again and announces this peer there (its announceSignalingInfo)
 * — right after the unsubscribe it sent. So the relay kept the tab subscribed to a room it had
 * left (the room never ended there while the tab was open), and every member still in it started
 * a connection to the departed peer, given up 13–15 s later (stuck-connections.ts): most of the
 * ~2.7 connections a rejoin cost in bench:five-rooms. Called just before y-webrtc closes them,
 * so the room's connections leave without a word; the awareness removal still goes out on them.
 */
export function leaveQuietly(room: YWebrtcRoomLike): void {
  for (const conn of room.webrtcConns.values()) unhook(conn);
}

/** Takes y-webrtc's `close` and `error` handlers off a connection (an error now goes nowhere). */
function unhook(conn: WebrtcConnLike | undefined): void {
  conn?.peer?.removeAllListeners?.('close');
  conn?.peer?.removeAllListeners?.('error');
  conn?.peer?.on?.('error', () => {});
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
  // An offer to a connection of ours that offered too and is already answered: glare the gate
  // does not settle (a peer that does not gate, e.g. stock y-webrtc).
  const glare = kind === 'offer' && room.webrtcConns.get(data.from)?.peer?.initiator === true;
  trace(glare ? 'data-glare' : `data-${kind}-in`, { roomId: room.name, peer: data.from });
}
