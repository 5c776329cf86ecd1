/**
 * The relay's wire protocol: JSON text frames.
 *
 * The first four messages are y-webrtc's signaling protocol, unchanged (SPEC ), so stock
 * y-webrtc clients work. The `room-*` messages are our room presence extension (SPEC,
 * ); a client that never sends them sees no difference. Every extension request carries
 * an `id` that the reply echoes, so a client can have several in flight.
 */
import { MAX_DESTROY_DELAY_SECONDS } from './options.js';

export type RequestId = string | number;

/** How `room-enter` treats a room that does (not) exist yet. */
export type EnterMode = 'create' | 'join' | 'any';

export type ClientMessage =
  | { type: 'subscribe'; topics: string[] }
  | { type: 'unsubscribe'; topics: string[] }
  /** Forwarded as received, with `clients` added (see frame.ts). */
  | { type: 'publish'; topic: string }
  | { type: 'ping' }
  | { type: 'room-query'; id: RequestId; rooms: string[] }
  | { type: 'room-enter'; id: RequestId; room: string; mode: EnterMode; destroyDelay: number; keyCheck?: string; incarnation?: string };

/**
 * A room's incarnation: an id the relay gives a room when it is created, and forgets when the
 * room is destroyed. A room created again under the same name later is another room with
 * another incarnation, so a client can tell its stored copy of the old room from the new one.
 * A `room-enter` may propose one: it is taken only if that request creates the room (a client
 * re-entering a room a restarted relay forgot, or coming back to the room it just reloaded).
 */
export const INCARNATION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface RoomInfo {
  room: string;
  exists: boolean;
  /** Connections subscribed to the room's topic right now. */
  members: number;
  /** Seconds the room outlives its last member. */
  destroyDelay: number;
}

export type RoomErrorCode =
  | 'ROOM_NOT_FOUND'
  | 'ROOM_ALREADY_EXISTS'
  | 'TOO_MANY_TOPICS'
  | 'TOO_MANY_ROOMS'
  | 'WRONG_PASSWORD'
  | 'INVALID_REQUEST';

/** Why a frame was refused; sent back as `{ type: 'error', code }` and counted in metrics. */
export const FRAME_ERROR_CODES = ['bad-json', 'bad-message', 'rate-limited', 'too-many-topics', 'invalid-topic', 'not-subscribed'] as const;
export type FrameErrorCode = (typeof FRAME_ERROR_CODES)[number];

/**
 * The first frame on every connection: says this relay speaks the presence extension before
 * the client has asked anything. A client can then send `room-enter` in place of y-webrtc's
 * `subscribe`, with its announce right behind, without first finding out (a stock server sends
 * nothing on connecting; y-webrtc ignores a type it does not know).
 */
export const HELLO = { type: 'hello', extensions: ['presence'] } as const;

export type ServerMessage =
  | typeof HELLO
  | { type: 'pong' }
  | { type: 'room-info'; id: RequestId; rooms: RoomInfo[] }
  | { type: 'room-entered'; id: RequestId; room: string; created: boolean; members: number; destroyDelay: number; incarnation: string }
  | { type: 'room-error'; id: RequestId; room?: string; code: RoomErrorCode; message: string }
  | { type: 'error'; code: FrameErrorCode; message: string };

export interface ParseFailure {
  type: 'invalid';
  code: 'bad-json' | 'bad-message';
  detail: string;
  /** Set when a malformed extension request still had a usable id: the reply must carry it. */
  requestId?: RequestId;
  room?: string;
}

const MAX_REQUEST_ID_LENGTH = 64;
const MAX_ROOMS_PER_QUERY = 64;
/** A password verifier (see README): a hex digest, with room to spare. */
const MAX_KEY_CHECK_LENGTH = 128;

/** Parses one text frame. Never throws: anything unexpected is a ParseFailure. */
export function parseClientMessage(text: string): ClientMessage | ParseFailure {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The frame is not JSON; the relay answers with a typed error instead of throwing.
    return invalid('bad-json', 'frame is not valid JSON');
  }
  if (!isRecord(value)) return invalid('bad-message', 'frame is not a JSON object');
  switch (value.type) {
    case 'subscribe':
    case 'unsubscribe': {
      // y-webrtc always sends an array; tolerate a missing one as "nothing", like the stock server.
      const topics = value.topics ?? [];
      if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string')) {
        return invalid('bad-message', `${value.type}.topics must be an array of strings`);
      }
      return { type: value.type, topics };
    }
    case 'publish':
      if (typeof value.topic !== 'string') return invalid('bad-message', 'publish.topic must be a string');
      return { type: 'publish', topic: value.topic };
    case 'ping':
      return { type: 'ping' };
    case 'room-query': {
      if (!isRequestId(value.id)) return invalid('bad-message', 'room-query.id must be a short string or a number');
      const rooms = value.rooms;
      if (!Array.isArray(rooms) || rooms.length > MAX_ROOMS_PER_QUERY || !rooms.every((r) => typeof r === 'string')) {
        return invalidRequest(value.id, undefined, `room-query.rooms must be an array of at most ${MAX_ROOMS_PER_QUERY} strings`);
      }
      return { type: 'room-query', id: value.id, rooms };
    }
    case 'room-enter': {
      if (!isRequestId(value.id)) return invalid('bad-message', 'room-enter.id must be a short string or a number');
      if (typeof value.room !== 'string') return invalidRequest(value.id, undefined, 'room-enter.room must be a string');
      const mode = value.mode ?? 'any';
      if (mode !== 'create' && mode !== 'join' && mode !== 'any') {
        return invalidRequest(value.id, value.room, 'room-enter.mode must be "create", "join" or "any"');
      }
      const destroyDelay = value.destroyDelay ?? 0;
      if (!Number.isInteger(destroyDelay) || (destroyDelay as number) < 0 || (destroyDelay as number) > MAX_DESTROY_DELAY_SECONDS) {
        return invalidRequest(value.id, value.room, `room-enter.destroyDelay must be an integer from 0 to ${MAX_DESTROY_DELAY_SECONDS}`);
      }
      const keyCheck = value.keyCheck;
      if (keyCheck !== undefined && (typeof keyCheck !== 'string' || keyCheck.length > MAX_KEY_CHECK_LENGTH)) {
        return invalidRequest(value.id, value.room, `room-enter.keyCheck must be a string of at most ${MAX_KEY_CHECK_LENGTH} characters`);
      }
      const incarnation = value.incarnation;
      if (incarnation !== undefined && (typeof incarnation !== 'string' || !INCARNATION_PATTERN.test(incarnation))) {
        return invalidRequest(value.id, value.room, 'room-enter.incarnation must be 1-64 characters of A-Z a-z 0-9 _ -');
      }
      return {
        type: 'room-enter',
        id: value.id,
        room: value.room,
        mode,
        destroyDelay: destroyDelay as number,
        ...(keyCheck === undefined ? {} : { keyCheck }),
        ...(incarnation === undefined ? {} : { incarnation }),
      };
    }
    default:
      return invalid('bad-message', 'unknown message type');
  }
}

function invalid(code: ParseFailure['code'], detail: string): ParseFailure {
  return { type: 'invalid', code, detail };
}

/** A malformed request whose id is readable: answered as `room-error` so the caller's wait ends. */
function invalidRequest(requestId: RequestId, room: string | undefined, detail: string): ParseFailure {
  return { type: 'invalid', code: 'bad-message', detail, requestId, ...(room === undefined ? {} : { room }) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is RequestId {
  return (
    (typeof value === 'string' && value.length <= MAX_REQUEST_ID_LENGTH) ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
