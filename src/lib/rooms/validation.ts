/**
 * Identity and room naming rules [R-1][R-2], checked before any network work so that a bad
 * argument fails at once with a typed error and changes nothing.
 */
import { ErrorCode, RoomError } from './errors.js';

/** 1–32 bytes of letters, digits and these punctuation marks; all ASCII, so bytes = characters. */
const ROOM_ID_PATTERN = /^[0-9A-Za-z!#$%&()+\-:;<=.>?@[\]^_{}|~]{1,32}$/;
const ROOM_ID_CHARACTER = /^[0-9A-Za-z!#$%&()+\-:;<=.>?@[\]^_{}|~]$/;
export const MAX_ROOM_ID_LENGTH = 32;
export const MAX_ROOM_NAME_BYTES = 64;
export const MAX_USER_ID_BYTES = 64;
export const MAX_USER_NAME_BYTES = 64;

export interface User {
  userId: string;
  userName: string;
}

const encoder = new TextEncoder();

/** Length in UTF-8 bytes, the unit every limit in SPEC §2 is stated in. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

export function isValidRoomId(roomId: unknown): roomId is string {
  return typeof roomId === 'string' && ROOM_ID_PATTERN.test(roomId);
}

/** What is wrong with a room id, for a form to say while the person types; null when it is valid. */
export type RoomIdProblem = { kind: 'empty' } | { kind: 'too-long'; length: number } | { kind: 'character'; character: string };

export function roomIdProblem(roomId: string): RoomIdProblem | null {
  if (roomId.length === 0) return { kind: 'empty' };
  const bad = [...roomId].find((character) => !ROOM_ID_CHARACTER.test(character));
  if (bad !== undefined) return { kind: 'character', character: bad };
  if (roomId.length > MAX_ROOM_ID_LENGTH) return { kind: 'too-long', length: roomId.length };
  return null;
}

export function assertRoomId(roomId: unknown): asserts roomId is string {
  if (!isValidRoomId(roomId)) {
    throw new RoomError(
      ErrorCode.INVALID_ROOM_ID,
      'A room id is 1–32 characters: letters, digits and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~',
      typeof roomId === 'string' ? roomId : undefined,
    );
  }
}

export function assertRoomName(roomName: unknown, roomId?: string): asserts roomName is string | undefined {
  if (roomName === undefined) return;
  if (typeof roomName !== 'string' || utf8Length(roomName) > MAX_ROOM_NAME_BYTES) {
    throw new RoomError(ErrorCode.INVALID_ROOM_NAME, `A room name is at most ${MAX_ROOM_NAME_BYTES} bytes`, roomId);
  }
}

/** The client's one identity, used in every room it enters. */
export function assertUser(user: unknown): asserts user is User {
  const candidate = (typeof user === 'object' && user !== null ? user : {}) as Partial<Record<keyof User, unknown>>;
  const { userId, userName } = candidate;
  if (typeof userId !== 'string' || userId.length === 0 || utf8Length(userId) > MAX_USER_ID_BYTES) {
    throw new RoomError(ErrorCode.INVALID_USER_ID, `A user id is 1–${MAX_USER_ID_BYTES} bytes`);
  }
  if (typeof userName !== 'string' || utf8Length(userName) > MAX_USER_NAME_BYTES) {
    throw new RoomError(ErrorCode.INVALID_USER_NAME, `A user name is a string of at most ${MAX_USER_NAME_BYTES} bytes`);
  }
}
