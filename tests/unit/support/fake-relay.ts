/**
 * Fake relay sockets for RoomClient's RelayLink (RoomClientOptions.connectWebSocket), answering
 * a tick later and in order, as a relay does:
 * - `stockRelay()`: a stock y-webrtc server, which only answers `ping` with `pong`, so the link
 *   says PRESENCE_UNSUPPORTED;
 * - `presenceRelay(network)`: ours, with the presence extension [R-71]: `room-enter` creates or
 *   joins atomically, a room exists while the relay sees a member in it (the memory network's
 *   tabs, and the links' own held memberships), and a room's password verifier must match.
 */
import type { WebSocketFactory, WebSocketLike } from '../../../src/lib/rooms/relay-link.js';
import type { MemoryNetwork, SignalingPresence } from './memory-network.js';

type Answer = (request: Record<string, unknown>) => Record<string, unknown> | null;

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

class FakeRelaySocket implements WebSocketLike {
  readyState = CONNECTING;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  /** Every request this socket received, for tests that check what was asked. */
  readonly received: Record<string, unknown>[] = [];

  constructor(
    private readonly answer: Answer,
    private readonly onClosed: () => void,
  ) {
    queueMicrotask(() => {
      if (this.readyState !== CONNECTING) return;
      this.readyState = OPEN;
      this.onopen?.({});
    });
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('send on a socket that is not open');
    const request = JSON.parse(data) as Record<string, unknown>;
    this.received.push(request);
    const reply = request.type === 'ping' ? { type: 'pong' } : this.answer(request);
    if (reply) queueMicrotask(() => this.readyState === OPEN && this.onmessage?.({ data: JSON.stringify(reply) }));
  }

  close(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.onClosed();
    queueMicrotask(() => this.onclose?.({ code: 1000 }));
  }
}

export interface FakeRelay {
  connect: WebSocketFactory;
  readonly sockets: FakeRelaySocket[];
  /** What a tab's y-webrtc socket gets from this relay besides pub/sub (null: nothing). */
  readonly signalingPresence: SignalingPresence | null;
}

/** A stock y-webrtc server: `pong`, and silence for anything it does not know. */
export function stockRelay(): FakeRelay {
  const sockets: FakeRelaySocket[] = [];
  return {
    sockets,
    signalingPresence: null,
    connect: () => {
      const socket = new FakeRelaySocket(() => null, () => {});
      sockets.push(socket);
      return socket;
    },
  };
}

/** Our relay, with the presence extension, seeing rooms through the memory network. */
export function presenceRelay(network: MemoryNetwork): FakeRelay {
  const sockets: FakeRelaySocket[] = [];
  /** Memberships held by RelayLink sockets: room -> count. */
  const held = new Map<string, number>();
  /** Password verifiers of rooms that exist, by room. */
  const keyChecks = new Map<string, string>();
  const membersOf = (room: string) => network.membersOf(room) + (held.get(room) ?? 0);

  /** The checks of `room-enter`, in the relay's order; null when the member may enter. */
  function refusal(request: Record<string, unknown>): Record<string, unknown> | null {
    const { id, room, mode } = request as { id: number; room: string; mode: string };
    const keyCheck = (request.keyCheck as string | undefined) ?? '';
    const exists = membersOf(room) > 0;
    if (!exists) keyChecks.delete(room);
    if (exists && mode === 'create') return { type: 'room-error', id, room, code: 'ROOM_ALREADY_EXISTS', message: 'room exists' };
    if (!exists && mode === 'join') return { type: 'room-error', id, room, code: 'ROOM_NOT_FOUND', message: 'no such room' };
    if (exists && keyChecks.get(room) !== keyCheck) return { type: 'room-error', id, room, code: 'WRONG_PASSWORD', message: 'wrong password' };
    if (!exists) keyChecks.set(room, keyCheck);
    return null;
  }

  /** Before the member is counted: `created` is whether the room was empty. */
  function entered(request: Record<string, unknown>, created: boolean): Record<string, unknown> {
    const { id, room, destroyDelay } = request as { id: number; room: string; destroyDelay: number };
    return { type: 'room-entered', id, room, created, members: membersOf(room) + 1, destroyDelay };
  }

  return {
    sockets,
    // On the tab's y-webrtc socket the membership is its subscription (the memory network's).
    signalingPresence: (request) => refusal(request) ?? entered(request, membersOf(request.room as string) === 0),
    connect: () => {
      const mine = new Set<string>();
      const release = (room: string) => {
        if (!mine.delete(room)) return;
        held.set(room, held.get(room)! - 1);
      };
      const socket = new FakeRelaySocket(
        (request) => {
          if (request.type === 'unsubscribe') {
            for (const room of request.topics as string[]) release(room);
            return null;
          }
          if (request.type !== 'room-enter') return null;
          const refused = refusal(request);
          if (refused) return refused;
          const room = request.room as string;
          const reply = entered(request, membersOf(room) === 0);
          if (!mine.has(room)) {
            mine.add(room);
            held.set(room, (held.get(room) ?? 0) + 1);
          } else reply.members = membersOf(room);
          return reply;
        },
        () => [...mine].forEach(release),
      );
      sockets.push(socket);
      return socket;
    },
  };
}
