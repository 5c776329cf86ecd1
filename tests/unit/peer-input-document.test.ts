/**
 * Peer input, the shared document: a malicious member (mallory, a modified client in the room)
 * writes junk into the room's Y types and sends garbage Yjs updates. The honest members keep
 * chatting and seeing each other; junk never shows as a message or an attribute, and reading
 * the room never throws (SECURITY.md, "What a malicious member can do").
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ATTRIBUTES_KEY, MAX_MESSAGE_BYTES, MESSAGES_KEY, ROOM_ATTRIBUTE_LIMITS } from '../../src/lib/rooms/schema.js';
import { META_KEY, ROLES_KEY } from '../../src/lib/rooms/moderation.js';
import { MAX_ROOM_NAME_BYTES } from '../../src/lib/rooms/validation.js';
import { useTabs, type Tab } from './support/tabs.js';
import type { MemoryProvider } from './support/memory-network.js';

const ROOM = 'peer-input';

const world = useTabs();

/** The provider (document + awareness) of a tab in ROOM: what a modified client writes to directly. */
function providerOf(tab: Tab): MemoryProvider {
  const provider = [...tab.endpoint.providers].find((p) => p.roomId === ROOM);
  if (!provider) throw new Error(`${tab.name} is not in ${ROOM}`);
  return provider;
}

/** Honest alice and bob chat both ways; each sees the other's line: the room still works. */
async function stillChatting(alice: Tab, bob: Tab, tag: string): Promise<void> {
  await alice.client.sendMessage(ROOM, `alice ${tag}`);
  await bob.client.sendMessage(ROOM, `bob ${tag}`);
  for (const viewer of [alice, bob]) {
    expect(viewer.history(ROOM), viewer.name).toEqual(expect.arrayContaining([`alice ${tag}`, `bob ${tag}`]));
    expect(viewer.members(ROOM), viewer.name).toEqual(expect.arrayContaining(['alice', 'bob']));
  }
}

const validFrom = { memberId: '1', userId: 'mallory', userName: 'mallory' };

describe('junk in the chat array is not shown as messages', () => {
  it('entries of the wrong shape are skipped; history, message events and order stay consistent', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    await alice.client.sendMessage(ROOM, 'before');
    const junk: unknown[] = [
      null,
      42,
      'a bare string',
      ['an', 'array'],
      {},
      { id: 'no-from', ts: 1, text: 'x' },
      { id: 'bad-ts', ts: 'yesterday', from: validFrom, text: 'x' },
      { id: 'nan-from', ts: 1, from: { memberId: 1, userId: null, userName: {} }, text: 'x' },
      { id: 'both', ts: 1, from: validFrom, text: 'x', custom: { type: 't', payload: 1 } },
      { id: 'custom-no-type', ts: 1, from: validFrom, custom: { payload: 1 } },
      { id: 'x'.repeat(200), ts: 1, from: validFrom, text: 'long id' },
      { id: '', ts: 1, from: validFrom, text: 'empty id' },
      { id: 'huge', ts: 1, from: validFrom, text: 'x'.repeat(MAX_MESSAGE_BYTES + 1) },
      { id: 'huge-custom', ts: 1, from: validFrom, custom: { type: 't', payload: 'x'.repeat(MAX_MESSAGE_BYTES) } },
    ];
    const chat = providerOf(mallory).doc.getArray<unknown>(MESSAGES_KEY);
    chat.push(junk);
    // A nested shared type where a message should be: Yjs allows it, it is still not a message.
    const nested = new Y.Map<unknown>();
    chat.push([nested]);
    nested.set('text', 'inside a Y.Map');
    await bob.client.sendMessage(ROOM, 'after');

    for (const viewer of [alice, bob]) {
      expect(viewer.history(ROOM), viewer.name).toEqual(['before', 'after']);
      // A chat view built from the events shows the same, at the same places.
      expect(viewer.chatView(ROOM), viewer.name).toEqual(['before', 'after']);
    }
    await stillChatting(alice, bob, 'then');
    expect(alice.history(ROOM)).toEqual(bob.history(ROOM));
  });

  it('a well-formed message from a malicious member is shown like any other (the sender field is its claim)', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    // What a modified client can do: write a message that names someone else as its sender.
    // Documented in SECURITY.md; the honest client shows what the document says.
    providerOf(mallory).doc.getArray(MESSAGES_KEY).push([{ id: 'forged-1', ts: Date.now(), from: { memberId: alice.memberId(ROOM), userId: 'alice', userName: 'alice' }, text: 'forged' }]);
    expect(bob.history(ROOM)).toEqual(['forged']);
    await stillChatting(alice, bob, 'after forgery');
  });
});

describe('junk in the attributes map is not shown as attributes [R-21]', () => {
  it('non-string values, oversized keys and values, prototype names: skipped; honest changes still work', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    await alice.client.setRoomAttributes(ROOM, { topic: 'planning' });
    const attributes = providerOf(mallory).doc.getMap<unknown>(ATTRIBUTES_KEY);
    providerOf(mallory).doc.transact(() => {
      attributes.set('number', 42);
      attributes.set('object', { a: 1 });
      attributes.set('null', null);
      attributes.set('k'.repeat(ROOM_ATTRIBUTE_LIMITS.maxKeyBytes + 1), 'long key');
      attributes.set('long value', 'v'.repeat(ROOM_ATTRIBUTE_LIMITS.maxValueBytes + 1));
      attributes.set('toString', 7);
      attributes.set('constructor', [1, 2]);
      attributes.set('nested', new Y.Map());
    });

    for (const viewer of [alice, bob]) {
      expect(viewer.client.room(ROOM)?.attributes, viewer.name).toEqual({ topic: 'planning' });
      // No event reported junk as an attribute (not even one inherited from Object.prototype).
      for (const { updated } of viewer.of('attributesChanged', ROOM)) {
        for (const [key, value] of Object.entries(updated)) expect(typeof value, `${viewer.name}: ${key}`).toBe('string');
        expect(Object.keys(updated), viewer.name).not.toEqual(expect.arrayContaining(['number', 'object', 'toString', 'constructor', 'nested']));
      }
    }
    await bob.client.setRoomAttributes(ROOM, { lang: 'en' });
    expect(alice.client.room(ROOM)?.attributes).toEqual({ topic: 'planning', lang: 'en' });
    await stillChatting(alice, bob, 'after attribute junk');
  });

  it('an attribute overwritten with junk is reported deleted: a view kept from the events equals the snapshot', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    await alice.client.setRoomAttributes(ROOM, { topic: 'planning', lang: 'en' });
    providerOf(mallory).doc.getMap<unknown>(ATTRIBUTES_KEY).set('topic', { hijacked: true });
    await alice.client.setRoomAttributes(ROOM, { topic: 'retro' });
    providerOf(mallory).doc.getMap<unknown>(ATTRIBUTES_KEY).set('lang', 7);

    for (const viewer of [alice, bob]) {
      const view: Record<string, string> = {};
      for (const { updated, deleted } of viewer.of('attributesChanged', ROOM)) {
        Object.assign(view, updated);
        for (const key of deleted) delete view[key];
      }
      expect(viewer.client.room(ROOM)?.attributes, viewer.name).toEqual({ topic: 'retro' });
      expect(view, viewer.name).toEqual({ topic: 'retro' });
    }
  });
});

describe('junk in roles and meta does not change anyone\'s role or end the room [R-4][R-40]', () => {
  it('a role that is not interactor/audience, a host that is not a user id, a close mark that is not a time: ignored', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    const doc = providerOf(mallory).doc;
    doc.transact(() => {
      const roles = doc.getMap<unknown>(ROLES_KEY);
      roles.set('mallory', 'host');
      roles.set('bob', 42);
      roles.set('alice', { role: 'audience' });
      const meta = doc.getMap<unknown>(META_KEY);
      meta.set('host', ['mallory']);
      meta.set('closedAt', 'now');
    });

    for (const viewer of [alice, bob]) {
      const roles = Object.fromEntries((viewer.client.room(ROOM)?.members ?? []).map((m) => [m.userId, m.role]));
      expect(roles, viewer.name).toEqual({ alice: 'interactor', bob: 'interactor', mallory: 'interactor' });
      expect(viewer.client.room(ROOM)?.state, viewer.name).toBe('connected');
    }
    await stillChatting(alice, bob, 'after role junk');
  });

  it('[R-2] a room name that is not a string, or too long: no name shown', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    const meta = providerOf(mallory).doc.getMap<unknown>(META_KEY);
    for (const junk of [{ name: 'object' }, 42, 'n'.repeat(MAX_ROOM_NAME_BYTES + 1)]) {
      meta.set('name', junk);
      for (const viewer of [alice, bob]) expect(viewer.client.room(ROOM), viewer.name).not.toHaveProperty('roomName');
    }
    meta.set('name', 'Renamed by anyone');
    // Any member can write the document (SECURITY.md): a well-formed name is shown like the creator's.
    expect(alice.client.room(ROOM)?.roomName).toBe('Renamed by anyone');
  });
});

/** Deterministic junk bytes. */
function garbage(seed: number, length: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  });
}

describe('garbage Yjs updates do not break the document', () => {
  it('random bytes, truncated and corrupted updates are refused or harmless; the room syncs on', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    await alice.client.sendMessage(ROOM, 'before');
    // A real update of mallory's, to cut and corrupt.
    const malloryDoc = providerOf(mallory).doc;
    malloryDoc.getArray(MESSAGES_KEY).push([{ id: 'm-1', ts: 1, from: validFrom, text: 'from mallory' }]);
    const real = Y.encodeStateAsUpdate(malloryDoc);
    const updates: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)];
    for (let i = 0; i < 40; i++) updates.push(garbage(i + 1, 1 + ((i * 37) % 300)));
    for (let cut = 1; cut < real.length; cut += Math.max(1, Math.floor(real.length / 20))) updates.push(real.slice(0, cut));
    for (let i = 0; i < 30; i++) {
      const corrupted = real.slice();
      corrupted[(i * 7) % corrupted.length] ^= 0x5a;
      updates.push(corrupted);
    }

    // Delivered to bob as if they came over mallory's data channel. With y-webrtc an update that
    // does not decode throws inside the data channel's message handler (y-webrtc has no catch):
    // that message is lost, the connection and the document go on.
    const bobSide = providerOf(bob);
    const from = providerOf(mallory);
    let refused = 0;
    for (const update of updates) {
      try {
        bobSide.receive(from, { kind: 'update', update });
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);

    // A corrupted update may still decode: then it is a message like any mallory could write
    // (a copy of one with another id, say), not junk. Reading the room works, the history and
    // the message events agree, chat goes on both ways, and alice and bob see the same.
    expect(() => bob.client.room(ROOM)).not.toThrow();
    expect(bob.history(ROOM)).toContain('before');
    expect(bob.chatView(ROOM)).toEqual(bob.history(ROOM));
    await stillChatting(alice, bob, 'after garbage');
    expect(alice.history(ROOM)).toEqual(bob.history(ROOM));
    // A later joiner gets the same copy.
    const carol = world.tabs.open('carol');
    await carol.client.enterRoom({ roomId: ROOM });
    expect(carol.history(ROOM)).toEqual(bob.history(ROOM));
  });
});
