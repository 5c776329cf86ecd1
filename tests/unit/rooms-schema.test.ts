import { describe, expect, it } from 'vitest';
import { codeOf } from './support/error-code.js';
import {
  MAX_MESSAGE_BYTES,
  MEMBER_ATTRIBUTE_LIMITS,
  ROOM_ATTRIBUTE_LIMITS,
  assertAttributeChange,
  assertMessageContent,
  readAttributes,
  toChatMessage,
} from '../../src/lib/rooms/schema.js';
import { ErrorCode } from '../../src/lib/rooms/errors.js';


const from = { memberId: '1', userId: 'u', userName: 'U' };

describe('chat message content [R-20]', () => {
  it('[R-20] text and custom messages up to 32 KiB are accepted, counted in UTF-8 bytes', () => {
    expect(codeOf(() => assertMessageContent('hello', 'r'))).toBeUndefined();
    expect(codeOf(() => assertMessageContent('x'.repeat(MAX_MESSAGE_BYTES), 'r'))).toBeUndefined();
    expect(codeOf(() => assertMessageContent({ type: 'poll', payload: { q: 'lunch?', options: ['a', 'b'] } }, 'r'))).toBeUndefined();
  });

  it('[R-20] one byte over 32 KiB is MESSAGE_TOO_LARGE, for text and custom alike', () => {
    expect(codeOf(() => assertMessageContent('x'.repeat(MAX_MESSAGE_BYTES + 1), 'r'))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    // 10,923 CJK characters are 32,769 bytes.
    expect(codeOf(() => assertMessageContent('数'.repeat(10_923), 'r'))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(codeOf(() => assertMessageContent({ type: 't', payload: 'x'.repeat(MAX_MESSAGE_BYTES) }, 'r'))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('[R-20] something that is not a message is refused with a clear error', () => {
    for (const bad of [42, null, undefined, {}, { type: '' }, { type: 5 }, ['hi']]) {
      expect(codeOf(() => assertMessageContent(bad, 'r')), JSON.stringify(bad)).toBe(ErrorCode.INVALID_CONFIG);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codeOf(() => assertMessageContent({ type: 't', payload: cyclic }, 'r'))).toBe(ErrorCode.INVALID_CONFIG);
  });
});

describe('reading chat entries written by peers [R-52]', () => {
  it('[R-52] well-formed text and custom entries are read back as messages', () => {
    expect(toChatMessage({ id: 'a-1', from, ts: 1, text: 'hi' })).toEqual({ id: 'a-1', from, ts: 1, text: 'hi' });
    expect(toChatMessage({ id: 'a-2', from, ts: 2, custom: { type: 'poll', payload: [1] } })).toEqual({ id: 'a-2', from, ts: 2, custom: { type: 'poll', payload: [1] } });
  });

  it('[R-52] malformed or oversized entries from a peer are skipped, not trusted', () => {
    const bad = [
      null,
      'text',
      { id: '', from, ts: 1, text: 'x' },
      { id: 'a', from, ts: 'now', text: 'x' },
      { id: 'a', ts: 1, text: 'x' },
      { id: 'a', from: { memberId: 1, userId: 'u', userName: 'U' }, ts: 1, text: 'x' },
      { id: 'a', from, ts: 1 },
      { id: 'a', from, ts: 1, text: 'x', custom: { type: 't', payload: 1 } },
      { id: 'a', from, ts: 1, text: 'x'.repeat(MAX_MESSAGE_BYTES + 1) },
      { id: 'a', from, ts: 1, custom: { payload: 1 } },
      { id: 'x'.repeat(129), from, ts: 1, text: 'x' },
    ];
    for (const entry of bad) expect(toChatMessage(entry), JSON.stringify(entry)?.slice(0, 80)).toBeNull();
  });
});

describe('attribute limits [R-21][R-22]', () => {
  const none = new Map<string, string>();

  it('[R-21] keys 1–128 bytes, values up to 8 KiB, up to 100 attributes', () => {
    const full = Object.fromEntries(Array.from({ length: ROOM_ATTRIBUTE_LIMITS.maxCount }, (_, i) => [`k${i}`, 'v']));
    expect(codeOf(() => assertAttributeChange(none, full, [], ROOM_ATTRIBUTE_LIMITS, 'r'))).toBeUndefined();
    expect(codeOf(() => assertAttributeChange(none, { ['k'.repeat(128)]: 'x'.repeat(8192) }, [], ROOM_ATTRIBUTE_LIMITS, 'r'))).toBeUndefined();
  });

  it('[R-21] past a limit the whole change is ATTRIBUTE_LIMIT', () => {
    const full = new Map(Array.from({ length: ROOM_ATTRIBUTE_LIMITS.maxCount }, (_, i) => [`k${i}`, 'v'] as [string, string]));
    const cases: [Map<string, string>, Record<string, unknown>][] = [
      [none, { '': 'v' }],
      [none, { ['k'.repeat(129)]: 'v' }],
      [none, { k: 'x'.repeat(8193) }],
      [none, { k: 5 }],
      [full, { one: 'more' }],
    ];
    for (const [current, updates] of cases) {
      expect(codeOf(() => assertAttributeChange(current, updates, [], ROOM_ATTRIBUTE_LIMITS, 'r'))).toBe(ErrorCode.ATTRIBUTE_LIMIT);
    }
    // Replacing an existing key or deleting one first keeps the count within the limit.
    expect(codeOf(() => assertAttributeChange(full, { k0: 'new' }, [], ROOM_ATTRIBUTE_LIMITS, 'r'))).toBeUndefined();
    expect(codeOf(() => assertAttributeChange(full, { one: 'more' }, ['k1'], ROOM_ATTRIBUTE_LIMITS, 'r'))).toBeUndefined();
  });

  it('[R-22] member attributes have their own, smaller limits', () => {
    expect(codeOf(() => assertAttributeChange(none, { hand: 'raised' }, [], MEMBER_ATTRIBUTE_LIMITS, 'r'))).toBeUndefined();
    expect(codeOf(() => assertAttributeChange(none, { hand: 'x'.repeat(1025) }, [], MEMBER_ATTRIBUTE_LIMITS, 'r'))).toBe(ErrorCode.ATTRIBUTE_LIMIT);
  });

  it('[R-21] a peer-written map is read within the limits: bad entries dropped, the count capped', () => {
    const entries: [string, unknown][] = [
      ['topic', 'Fractions'],
      ['n', 5],
      ['', 'empty key'],
      ['big', 'x'.repeat(8193)],
      ...Array.from({ length: 150 }, (_, i) => [`k${i}`, 'v'] as [string, string]),
    ];
    const read = readAttributes(entries, ROOM_ATTRIBUTE_LIMITS);
    expect(read.topic).toBe('Fractions');
    expect(read).not.toHaveProperty('n');
    expect(read).not.toHaveProperty('big');
    expect(Object.keys(read)).toHaveLength(ROOM_ATTRIBUTE_LIMITS.maxCount);
  });
});
