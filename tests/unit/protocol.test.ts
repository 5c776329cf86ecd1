import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../signaling/protocol.js';
import { MAX_DESTROY_DELAY_SECONDS } from '../../signaling/options.js';

const parse = (value: unknown) => parseClientMessage(typeof value === 'string' ? value : JSON.stringify(value));

describe('parseClientMessage: y-webrtc messages [R-70]', () => {
  it('[R-70] subscribe and unsubscribe carry their topics', () => {
    expect(parse({ type: 'subscribe', topics: ['a', 'b'] })).toEqual({ type: 'subscribe', topics: ['a', 'b'] });
    expect(parse({ type: 'unsubscribe', topics: ['a'] })).toEqual({ type: 'unsubscribe', topics: ['a'] });
  });

  it('[R-70] subscribe/unsubscribe without topics (or topics: null) mean no topics, like the stock server', () => {
    expect(parse({ type: 'subscribe' })).toEqual({ type: 'subscribe', topics: [] });
    expect(parse({ type: 'unsubscribe', topics: null })).toEqual({ type: 'unsubscribe', topics: [] });
  });

  it('[R-70] publish is recognised by its topic; the fan-out forwards the received bytes', () => {
    const text = '{"type":"publish","topic":"room","data":{"type":"announce","from":"p1"}}';
    expect(parseClientMessage(text)).toEqual({ type: 'publish', topic: 'room' });
  });

  it('[R-70] ping', () => {
    expect(parse({ type: 'ping' })).toEqual({ type: 'ping' });
  });

  it('[R-70] unknown extra fields are ignored', () => {
    expect(parse({ type: 'ping', extra: [1, 2] })).toEqual({ type: 'ping' });
    expect(parse({ type: 'subscribe', topics: ['x'], more: true })).toEqual({ type: 'subscribe', topics: ['x'] });
  });
});

describe('parseClientMessage: presence extension [R-71]', () => {
  it('[R-71] room-query with a string or numeric id', () => {
    expect(parse({ type: 'room-query', id: 'q1', rooms: ['a', 'b'] })).toEqual({ type: 'room-query', id: 'q1', rooms: ['a', 'b'] });
    expect(parse({ type: 'room-query', id: 7, rooms: [] })).toEqual({ type: 'room-query', id: 7, rooms: [] });
  });

  it('[R-71] room-query accepts 64 rooms and refuses 65', () => {
    const rooms = Array.from({ length: 64 }, (_, i) => `r${i}`);
    expect(parse({ type: 'room-query', id: 1, rooms })).toMatchObject({ type: 'room-query' });
    expect(parse({ type: 'room-query', id: 1, rooms: [...rooms, 'r64'] })).toMatchObject({ type: 'invalid', code: 'bad-message' });
  });

  it('[R-71] room-enter with every mode', () => {
    for (const mode of ['create', 'join', 'any'] as const) {
      expect(parse({ type: 'room-enter', id: 'e', room: 'r', mode, destroyDelay: 5 })).toEqual({
        type: 'room-enter',
        id: 'e',
        room: 'r',
        mode,
        destroyDelay: 5,
      });
    }
  });

  it('[R-41] room-enter carries an optional password verifier of at most 128 characters', () => {
    expect(parse({ type: 'room-enter', id: 1, room: 'r', keyCheck: 'ab12' })).toMatchObject({ keyCheck: 'ab12' });
    expect(parse({ type: 'room-enter', id: 1, room: 'r', keyCheck: '' })).toMatchObject({ keyCheck: '' });
    expect(parse({ type: 'room-enter', id: 1, room: 'r' })).not.toHaveProperty('keyCheck');
    expect(parse({ type: 'room-enter', id: 1, room: 'r', keyCheck: 5 })).toMatchObject({ type: 'invalid', requestId: 1 });
    expect(parse({ type: 'room-enter', id: 1, room: 'r', keyCheck: 'x'.repeat(129) })).toMatchObject({ type: 'invalid', requestId: 1 });
    // A proposed incarnation: short, from a safe alphabet (it ends up in Redis and in IndexedDB names).
    expect(parse({ type: 'room-enter', id: 1, room: 'r', incarnation: 'Ab_9-x' })).toMatchObject({ incarnation: 'Ab_9-x' });
    expect(parse({ type: 'room-enter', id: 1, room: 'r' })).not.toHaveProperty('incarnation');
    for (const incarnation of ['', 'a b', 'x'.repeat(65), 7, null]) {
      expect(parse({ type: 'room-enter', id: 1, room: 'r', incarnation })).toMatchObject({ type: 'invalid', requestId: 1, room: 'r' });
    }
  });

  it('[R-3] room-enter defaults: mode "any", destroyDelay 0', () => {
    expect(parse({ type: 'room-enter', id: 1, room: 'r' })).toEqual({ type: 'room-enter', id: 1, room: 'r', mode: 'any', destroyDelay: 0 });
  });

  it(`[R-3] destroyDelay 0 and ${MAX_DESTROY_DELAY_SECONDS} are the bounds`, () => {
    expect(parse({ type: 'room-enter', id: 1, room: 'r', destroyDelay: 0 })).toMatchObject({ destroyDelay: 0 });
    expect(parse({ type: 'room-enter', id: 1, room: 'r', destroyDelay: MAX_DESTROY_DELAY_SECONDS })).toMatchObject({
      destroyDelay: MAX_DESTROY_DELAY_SECONDS,
    });
  });

  it.each([
    ['over the maximum', MAX_DESTROY_DELAY_SECONDS + 1],
    ['negative', -1],
    ['not an integer', 1.5],
    ['a string', '10'],
    ['a boolean', true],
  ])('[R-3] destroyDelay %s is a bad-message', (_label, destroyDelay) => {
    expect(parse({ type: 'room-enter', id: 1, room: 'r', destroyDelay })).toMatchObject({
      type: 'invalid',
      code: 'bad-message',
      detail: expect.stringContaining('destroyDelay'),
    });
  });
});

describe('parseClientMessage: malformed frames never throw [R-72]', () => {
  it.each(['', 'not json', '{"type":"ping"', '{type:"ping"}', "{'type':'ping'}", '\u0000'])(
    '[R-72] %j is bad-json',
    (text) => {
      expect(parseClientMessage(text)).toEqual({ type: 'invalid', code: 'bad-json', detail: 'frame is not valid JSON' });
    },
  );

  it.each([
    ['an array', '[{"type":"ping"}]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"ping"'],
    ['a boolean', 'true'],
  ])('[R-72] JSON that is %s is bad-message', (_label, text) => {
    expect(parseClientMessage(text)).toEqual({ type: 'invalid', code: 'bad-message', detail: 'frame is not a JSON object' });
  });

  it.each([
    ['no type', {}],
    ['an unknown type', { type: 'hello' }],
    ['a numeric type', { type: 1 }],
    ['a type differing in case', { type: 'PING' }],
    ['an inherited property name as type', { type: 'constructor' }],
  ])('[R-72] an object with %s is bad-message', (_label, value) => {
    expect(parse(value)).toEqual({ type: 'invalid', code: 'bad-message', detail: 'unknown message type' });
  });

  it.each([
    ['subscribe.topics a string', { type: 'subscribe', topics: 'room' }],
    ['subscribe.topics with a number', { type: 'subscribe', topics: ['a', 1] }],
    ['subscribe.topics an object', { type: 'subscribe', topics: { 0: 'a' } }],
    ['unsubscribe.topics with null', { type: 'unsubscribe', topics: [null] }],
    ['publish without topic', { type: 'publish', data: {} }],
    ['publish.topic a number', { type: 'publish', topic: 1 }],
    ['publish.topic an array', { type: 'publish', topic: ['a'] }],
    ['room-query without id', { type: 'room-query', rooms: [] }],
    ['room-query.id an object', { type: 'room-query', id: {}, rooms: [] }],
    ['room-query.id a 65-character string', { type: 'room-query', id: 'x'.repeat(65), rooms: [] }],
    ['room-query without rooms', { type: 'room-query', id: 1 }],
    ['room-query.rooms with a number', { type: 'room-query', id: 1, rooms: ['a', 2] }],
    ['room-enter without id', { type: 'room-enter', room: 'r' }],
    ['room-enter.id null', { type: 'room-enter', id: null, room: 'r' }],
    ['room-enter without room', { type: 'room-enter', id: 1 }],
    ['room-enter.room a number', { type: 'room-enter', id: 1, room: 5 }],
    ['room-enter.mode unknown', { type: 'room-enter', id: 1, room: 'r', mode: 'open' }],
    ['room-enter.mode a number', { type: 'room-enter', id: 1, room: 'r', mode: 1 }],
  ])('[R-72] %s is bad-message', (_label, value) => {
    expect(parse(value)).toMatchObject({ type: 'invalid', code: 'bad-message' });
  });

  it('[R-72] a request id of 64 characters is fine, an infinite one (1e400) is not', () => {
    expect(parse({ type: 'room-query', id: 'x'.repeat(64), rooms: [] })).toMatchObject({ type: 'room-query' });
    expect(parseClientMessage('{"type":"room-query","id":1e400,"rooms":[]}')).toMatchObject({ type: 'invalid', code: 'bad-message' });
  });
});
