import { describe, expect, it } from 'vitest';
import { codeOf } from './support/error-code.js';
import { assertRoomId, assertRoomName, assertUser, isValidRoomId, roomIdProblem, utf8Length } from '../../src/lib/rooms/validation.js';
import { ErrorCode, RoomError } from '../../src/lib/rooms/errors.js';
import { suggestRoomId } from '../../src/lib/room-suggestion.js';


describe('room ids [R-2]', () => {
  it('[R-2] accepts 1–32 characters of letters, digits and every listed punctuation mark', () => {
    for (const id of ['a', 'Room-1', 'x'.repeat(32), '!#$%&()+-:;<=.>?@[]^_{}|~', 'maths.7B', 'A:b;C<d>']) {
      expect(isValidRoomId(id), id).toBe(true);
      expect(codeOf(() => assertRoomId(id))).toBeUndefined();
    }
  });

  it('[R-2] rejects empty, too long, unlisted characters and non-strings with INVALID_ROOM_ID', () => {
    const bad: unknown[] = ['', 'x'.repeat(33), 'has space', 'slash/no', 'comma,no', 'quote"', "apos'", 'star*', 'back\\slash', 'caret`', 'é', '教室', '👋', 'tab\t', 42, null, undefined, {}];
    for (const id of bad) {
      expect(isValidRoomId(id), String(id)).toBe(false);
      expect(codeOf(() => assertRoomId(id)), String(id)).toBe(ErrorCode.INVALID_ROOM_ID);
    }
  });

  it('[R-2] the error names the offending room id when it is a string', () => {
    try {
      assertRoomId('bad id');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RoomError);
      expect((err as RoomError).roomId).toBe('bad id');
    }
  });
});

describe('room names [R-2]', () => {
  it('[R-2] any characters up to 64 UTF-8 bytes; absent is fine', () => {
    for (const name of [undefined, '', 'Maths 7B', '数学课'.repeat(7), 'x'.repeat(64), '👋'.repeat(16)]) {
      expect(codeOf(() => assertRoomName(name)), String(name)).toBeUndefined();
    }
  });

  it('[R-2] over 64 bytes (counted in UTF-8, not characters) or not a string is INVALID_ROOM_NAME', () => {
    // 22 CJK characters are 66 bytes although only 22 characters.
    for (const name of ['x'.repeat(65), '数'.repeat(22), '👋'.repeat(17), 5, null]) {
      expect(codeOf(() => assertRoomName(name)), String(name)).toBe(ErrorCode.INVALID_ROOM_NAME);
    }
  });
});

describe('identity [R-1]', () => {
  it('[R-1] userId 1–64 bytes and userName up to 64 bytes are accepted', () => {
    for (const user of [{ userId: 'u', userName: '' }, { userId: 'x'.repeat(64), userName: '名'.repeat(21) }]) {
      expect(codeOf(() => assertUser(user))).toBeUndefined();
    }
  });

  it('[R-1] a missing, empty or too long userId is INVALID_USER_ID', () => {
    for (const user of [{ userName: 'a' }, { userId: '', userName: 'a' }, { userId: 'é'.repeat(33), userName: 'a' }, null, 'alice']) {
      expect(codeOf(() => assertUser(user)), JSON.stringify(user)).toBe(ErrorCode.INVALID_USER_ID);
    }
  });

  it('[R-1] a userName over 64 bytes or not a string is INVALID_USER_NAME', () => {
    for (const user of [{ userId: 'u', userName: 'x'.repeat(65) }, { userId: 'u' }, { userId: 'u', userName: 7 }]) {
      expect(codeOf(() => assertUser(user)), JSON.stringify(user)).toBe(ErrorCode.INVALID_USER_NAME);
    }
  });

  it('utf8Length counts bytes', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('数')).toBe(3);
    expect(utf8Length('👋')).toBe(4);
  });
});

describe('[R-2] roomIdProblem says what is wrong while typing', () => {
  it('names the first bad character, the length, or emptiness', () => {
    expect(roomIdProblem('maths-101')).toBeNull();
    expect(roomIdProblem('')).toEqual({ kind: 'empty' });
    expect(roomIdProblem('a b')).toEqual({ kind: 'character', character: ' ' });
    expect(roomIdProblem('数学')).toEqual({ kind: 'character', character: '数' });
    expect(roomIdProblem('x'.repeat(33))).toEqual({ kind: 'too-long', length: 33 });
    // It agrees with the check the client makes before any network work.
    for (const id of ['ok', 'a,b', 'a/b', 'x'.repeat(32), '[]{}|~']) expect(roomIdProblem(id) === null).toBe(isValidRoomId(id));
  });
});

describe('[R-2] the lobby suggests valid room names', () => {
  it('suggests names the client accepts, and varied ones', () => {
    const names = new Set(Array.from({ length: 200 }, () => suggestRoomId()));
    for (const name of names) expect(isValidRoomId(name)).toBe(true);
    expect(names.size).toBeGreaterThan(190);
  });
});
