/**
 * Peer input, awareness [R-51][R-4][R-22]: a malicious member (mallory) sends awareness states
 * of the wrong shape, with huge strings, with forged roles, for made-up members, and awareness
 * updates that do not decode. Junk is not listed as a member; a forged role is not taken; the
 * honest members keep seeing each other and chatting.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { MEMBER_ATTRIBUTE_LIMITS } from '../../src/lib/rooms/schema.js';
import { useTabs, type Tab } from './support/tabs.js';
import type { MemoryProvider } from './support/memory-network.js';

const ROOM = 'peer-awareness';

const world = useTabs();

function providerOf(tab: Tab): MemoryProvider {
  const provider = [...tab.endpoint.providers].find((p) => p.roomId === ROOM);
  if (!provider) throw new Error(`${tab.name} is not in ${ROOM}`);
  return provider;
}

/** An awareness update for a made-up client id with this state, as mallory can send one. */
function forgedUpdate(clientId: number, state: unknown): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const awareness = new Awareness(doc);
  awareness.setLocalState(state as Record<string, unknown>);
  const update = encodeAwarenessUpdate(awareness, [clientId]);
  awareness.destroy();
  return update;
}

/** Hands an awareness update from mallory's connection to each honest tab. */
function deliverFromMallory(mallory: Tab, honest: Tab[], update: Uint8Array): void {
  for (const tab of honest) providerOf(tab).receive(providerOf(mallory), { kind: 'awareness', update });
}

async function stillChatting(alice: Tab, bob: Tab, tag: string): Promise<void> {
  await alice.client.sendMessage(ROOM, `alice ${tag}`);
  await bob.client.sendMessage(ROOM, `bob ${tag}`);
  for (const viewer of [alice, bob]) {
    expect(viewer.history(ROOM), viewer.name).toEqual(expect.arrayContaining([`alice ${tag}`, `bob ${tag}`]));
  }
}

const valid = { user: { userId: 'ghost', userName: 'Ghost' }, role: 'interactor', joinedAt: 1, attributes: {} };

describe('awareness states from a peer are checked before they become members [R-51]', () => {
  it('states of the wrong shape or with huge strings are not listed; the honest members are unaffected', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    const junk: unknown[] = [
      42,
      'a string',
      [valid],
      {},
      { ...valid, user: 'ghost' },
      { ...valid, user: { userId: '', userName: 'empty id' } },
      { ...valid, user: { userId: 7, userName: 'number id' } },
      { ...valid, user: { userId: 'x'.repeat(65), userName: 'long id' } },
      { ...valid, user: { userId: 'ghost', userName: 'n'.repeat(100_000) } },
      { ...valid, user: { userId: 'ghost', userName: null } },
      { ...valid, role: 'superuser' },
      { ...valid, role: ['host'] },
      { ...valid, joinedAt: 'yesterday' },
      { ...valid, joinedAt: null },
    ];
    junk.forEach((state, i) => deliverFromMallory(mallory, [alice, bob], forgedUpdate(900_000 + i, state)));

    for (const viewer of [alice, bob]) {
      expect(viewer.members(ROOM), viewer.name).toEqual(['alice', 'bob', 'mallory']);
      expect(viewer.joined(ROOM), viewer.name).not.toContain('ghost');
    }
    await stillChatting(alice, bob, 'after junk states');
  });

  it('junk inside an otherwise valid state is cut down: attributes and streams only as the limits allow', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    const attributes: Record<string, unknown> = { ok: 'yes', number: 1, object: { a: 1 }, huge: 'h'.repeat(MEMBER_ATTRIBUTE_LIMITS.maxValueBytes + 1) };
    for (let i = 0; i < 500; i++) attributes[`k${i}`] = 'v';
    const streams = { camera: { kind: 'camera', audio: 'on', video: 'on' }, 'bad/id': { kind: 'camera', audio: 'on', video: 'on' }, screen: { kind: 'hologram', audio: 'on', video: 'on' }, mic: 'on' };
    const state = { ...valid, user: { userId: 'ghost', userName: 'Ghost' }, attributes, streams };
    deliverFromMallory(mallory, [alice, bob], forgedUpdate(910_000, state));

    for (const viewer of [alice, bob]) {
      const ghost = viewer.client.room(ROOM)?.members.find((m) => m.userId === 'ghost');
      expect(ghost, viewer.name).toBeDefined();
      const shown = Object.entries(ghost!.attributes);
      expect(shown.length, viewer.name).toBeLessThanOrEqual(MEMBER_ATTRIBUTE_LIMITS.maxCount);
      expect(shown.every(([, value]) => typeof value === 'string' && value.length <= MEMBER_ATTRIBUTE_LIMITS.maxValueBytes), viewer.name).toBe(true);
      expect(ghost!.attributes.ok, viewer.name).toBe('yes');
      expect(ghost!.streams.map((s) => s.streamId), viewer.name).toEqual(['camera']);
    }
    await stillChatting(alice, bob, 'after oversized state');
  });

  it('[R-4] a member that declares itself host is not taken for one', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    // Mallory's own state, through its own awareness: what a modified client broadcasts.
    const awareness = providerOf(mallory).awareness;
    awareness.setLocalState({ ...awareness.getLocalState(), role: 'host' });
    deliverFromMallory(mallory, [alice, bob], forgedUpdate(920_000, { ...valid, role: 'host' }));

    for (const viewer of [alice, bob]) {
      const roles = (viewer.client.room(ROOM)?.members ?? []).map((m) => `${m.userId}:${m.role}`).sort();
      expect(roles, viewer.name).toEqual(['alice:interactor', 'bob:interactor', 'ghost:interactor', 'mallory:interactor']);
    }
    await stillChatting(alice, bob, 'after forged role');
  });

  it('awareness updates that do not decode are refused; the members stay listed', async () => {
    const [alice, bob, mallory] = await world.tabs.enterAll(ROOM, ['alice', 'bob', 'mallory']);
    const good = forgedUpdate(930_000, valid);
    const updates = [
      new Uint8Array(0),
      Uint8Array.of(1),
      good.slice(0, good.length - 3),
      // The JSON of the state, cut: JSON.parse throws inside y-protocols.
      Uint8Array.from([...good.slice(0, good.length - 8), 0x7b, 0x22]),
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
    ];
    let refused = 0;
    for (const update of updates) {
      try {
        deliverFromMallory(mallory, [bob], update);
      } catch (err) {
        // With y-webrtc this throws inside the data channel's message handler: that one
        // message is lost, nothing else.
        expect(err).toBeInstanceOf(Error);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(bob.members(ROOM)).toEqual(['alice', 'bob', 'mallory']);
    await stillChatting(alice, bob, 'after undecodable awareness');
  });
});
