/**
 * The room presence extension's two requests: `room-query` and `room-enter`.
 *
 * Standalone, both are answered at once from this relay's RoomRegistry. With Redis
 * they are decided there, for every relay at once (cluster/scripts.ts: the same checks in the
 * same order, in one atomic script), while the connection's later frames wait so that they
 * keep their order. When Redis cannot answer, the relay decides alone, as if standalone.
 */
import type { Cluster } from './cluster/cluster.js';
import type { ClientMessage, RoomErrorCode, ServerMessage } from './protocol.js';
import type { RelayOptions } from './options.js';
import { newIncarnation, type RoomRegistry } from './rooms.js';

export type RoomQuery = Extract<ClientMessage, { type: 'room-query' }>;

/** What a room is created with; an existing room keeps its own. */
export interface RoomTerms {
  destroyDelay: number;
  keyCheck: string | undefined;
  /** Proposed by the request, or decided by Redis; a fresh one when undefined. */
  incarnation: string | undefined;
}
export type RoomEnter = Extract<ClientMessage, { type: 'room-enter' }>;

export interface RoomRequestContext<C extends { readonly topics: ReadonlySet<string> }> {
  options: Readonly<RelayOptions>;
  rooms: RoomRegistry<C>;
  cluster: Cluster | null;
  reply(conn: C, message: ServerMessage): void;
  /** Makes `conn` a member of `room` here; returns whether that created the room here. */
  join(conn: C, room: string, terms: RoomTerms, countedInRedis: boolean): boolean;
  isOpen(conn: C): boolean;
  /** Holds the connection's next frames back until `resume`. */
  pause(conn: C): void;
  resume(conn: C): void;
}

export function createRoomRequests<C extends { readonly topics: ReadonlySet<string> }>(ctx: RoomRequestContext<C>) {
  const { options, rooms, cluster } = ctx;

  function fail(conn: C, request: RoomEnter, code: RoomErrorCode): void {
    const { room } = request;
    const text: Record<RoomErrorCode, string> = {
      INVALID_REQUEST: `room must be 1-${options.maxTopicLength} characters`,
      ROOM_ALREADY_EXISTS: `room "${room}" already exists`,
      ROOM_NOT_FOUND: `room "${room}" does not exist`,
      // A password verifier that differs from the room's: the client could not decrypt
      // anything in there, so it is told at once.
      WRONG_PASSWORD: `wrong password for room "${room}"`,
      TOO_MANY_TOPICS: `at most ${options.maxTopicsPerConnection} rooms per connection`,
      TOO_MANY_ROOMS: 'the relay keeps no more rooms with a destroyDelay',
    };
    ctx.reply(conn, { type: 'room-error', id: request.id, room, code, message: text[code] });
  }

  /** Atomic check-and-subscribe, so two clients racing to create a room cannot both win. */
  function enterHere(conn: C, request: RoomEnter): void {
    const { id, room, mode, destroyDelay, keyCheck, incarnation } = request;
    const exists = rooms.exists(room);
    if (mode === 'create' && exists) return fail(conn, request, 'ROOM_ALREADY_EXISTS');
    if (mode === 'join' && !exists) return fail(conn, request, 'ROOM_NOT_FOUND');
    const roomKeyCheck = exists ? rooms.keyCheck(room) : undefined;
    if (keyCheck !== undefined && roomKeyCheck !== undefined && keyCheck !== roomKeyCheck) return fail(conn, request, 'WRONG_PASSWORD');
    let created = false;
    if (!conn.topics.has(room)) {
      if (conn.topics.size >= options.maxTopicsPerConnection) return fail(conn, request, 'TOO_MANY_TOPICS');
      if (!exists && destroyDelay > 0 && !rooms.canAddDelayedRoom()) return fail(conn, request, 'TOO_MANY_ROOMS');
      created = ctx.join(conn, room, { destroyDelay, keyCheck, incarnation }, false);
    }
    const info = rooms.info(room);
    ctx.reply(conn, { type: 'room-entered', id, room, created, members: info.members, destroyDelay: info.destroyDelay, incarnation: rooms.incarnation(room)! });
  }

  async function enterShared(conn: C, shared: Cluster, request: RoomEnter): Promise<void> {
    const { id, room, mode, destroyDelay, keyCheck } = request;
    const join = !conn.topics.has(room);
    const incarnation = request.incarnation ?? newIncarnation();
    ctx.pause(conn);
    try {
      const topicsFull = conn.topics.size >= options.maxTopicsPerConnection;
      const outcome = await shared.enter({ room, mode, destroyDelay, keyCheck, incarnation, join, topicsFull, maxDelayedRooms: options.maxDelayedRooms });
      if (!ctx.isOpen(conn)) {
        // Gone while Redis answered: give back the place it was counted in.
        if (outcome?.ok && join) shared.memberLeft(room);
      } else if (outcome === null) {
        enterHere(conn, request);
      } else if (!outcome.ok) {
        fail(conn, request, outcome.code);
      } else {
        if (join) {
          ctx.join(conn, room, { destroyDelay: outcome.destroyDelay, keyCheck: outcome.keyCheck, incarnation: outcome.incarnation }, true);
          // Once entered, the client must get what members on other relays publish.
          await shared.subscribed(room);
        }
        const { created, members, destroyDelay: roomDelay } = outcome;
        ctx.reply(conn, { type: 'room-entered', id, room, created, members, destroyDelay: roomDelay, incarnation: outcome.incarnation });
      }
    } finally {
      ctx.resume(conn);
    }
  }

  async function queryShared(conn: C, shared: Cluster, request: RoomQuery): Promise<void> {
    ctx.pause(conn);
    try {
      const found = await shared.query(request.rooms);
      const info = found ? found.map((room, index) => ({ room: request.rooms[index], ...room })) : request.rooms.map((room) => rooms.info(room));
      ctx.reply(conn, { type: 'room-info', id: request.id, rooms: info });
    } finally {
      ctx.resume(conn);
    }
  }

  return {
    query(conn: C, request: RoomQuery): void {
      if (cluster?.presenceReady) return void queryShared(conn, cluster, request);
      ctx.reply(conn, { type: 'room-info', id: request.id, rooms: request.rooms.map((room) => rooms.info(room)) });
    },

    enter(conn: C, request: RoomEnter): void {
      const room = request.room;
      if (room.length === 0 || room.length > options.maxTopicLength) return fail(conn, request, 'INVALID_REQUEST');
      if (cluster?.presenceReady) return void enterShared(conn, cluster, request);
      enterHere(conn, request);
    },
  };
}
