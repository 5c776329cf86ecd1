/**
 * Chat [R-20][R-52] through RoomClient on the in-memory network: content and size, one order
 * for everyone whatever the network does, late joiners, and messages sent while cut off.
 */
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/lib/rooms/errors.js';
import { MAX_MESSAGE_BYTES } from '../../src/lib/rooms/schema.js';
import { useTabs, type Tab } from './support/tabs.js';
import { rejectionCode } from './support/error-code.js';

const ROOM = 'chat';


const world = useTabs();

function start(seed = 1): void {
  world.restart(seed);
}

function roomWith(...names: string[]): Promise<Tab[]> {
  return world.tabs.enterAll(ROOM, names);
}


/** How often each text occurs: {} when none does more than once. */
function duplicates(texts: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const text of texts) counts[text] = (counts[text] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 1));
}

describe('messages [R-20]', () => {
  it('[R-20] a text and a custom message reach everyone, with their sender', async () => {
    start();
    const [alice, bob] = await roomWith('alice', 'bob');

    const sent = await alice.client.sendMessage(ROOM, 'hello');
    await alice.client.sendMessage(ROOM, { type: 'reaction', payload: { emoji: '👍', to: sent.id } });

    const received = bob.of('message', ROOM);
    expect(received.map((m) => m.text ?? m.custom)).toEqual(['hello', { type: 'reaction', payload: { emoji: '👍', to: sent.id } }]);
    expect(received[0]).toMatchObject({ id: sent.id, from: { userId: 'alice', userName: 'alice', memberId: alice.memberId(ROOM) } });
    expect(new Set(received.map((m) => m.id)).size).toBe(2);
  });

  it('[R-20] up to 32 KiB is sent; beyond it MESSAGE_TOO_LARGE, and nobody receives anything', async () => {
    start();
    const [alice, bob] = await roomWith('alice', 'bob');

    expect(await rejectionCode(alice.client.sendMessage(ROOM, 'x'.repeat(MAX_MESSAGE_BYTES + 1)))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(await rejectionCode(alice.client.sendMessage(ROOM, { type: 'blob', payload: 'x'.repeat(MAX_MESSAGE_BYTES) }))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(bob.of('message', ROOM)).toEqual([]);

    await alice.client.sendMessage(ROOM, 'x'.repeat(MAX_MESSAGE_BYTES));
    expect(bob.of('message', ROOM)[0]?.text).toHaveLength(MAX_MESSAGE_BYTES);
  });

  it('[R-20] a room this client is not in: NOT_IN_ROOM', async () => {
    start();
    const [alice] = await roomWith('alice');

    expect(await rejectionCode(alice.client.sendMessage('elsewhere', 'hi'))).toBe(ErrorCode.NOT_IN_ROOM);
  });
});

describe('order and delivery [R-52]', () => {
  // Each seed is another interleaving of the three members' connections.
  it.each([1, 2, 3, 4, 5])('[R-52] messages sent at once by three members end in one order for everyone (seed %i)', async (seed) => {
    start(seed);
    const members = await roomWith('alice', 'bob', 'carol');
    world.network.setDelivery('manual');

    for (let round = 1; round <= 3; round++) {
      for (const tab of members) {
        await tab.client.sendMessage(ROOM, `${tab.name} ${round}`);
        // Some messages get through between sends, others wait: a little of everything.
        for (let i = 0; i < seed; i++) world.network.deliverNext();
      }
    }
    world.network.setDelivery('immediate');

    const order = members[0].history(ROOM);
    expect(order).toHaveLength(9);
    for (const tab of members) {
      expect(tab.history(ROOM), tab.name).toEqual(order);
      // Every message is announced exactly once (one's own included), with its place in the
      // history: a view that inserts each at its index shows everyone the same order.
      expect(tab.messageEvents(ROOM).sort(), tab.name).toEqual([...order].sort());
      expect(tab.chatView(ROOM), tab.name).toEqual(order);
      // A member's own messages keep the order it sent them in.
      expect(order.filter((text) => text.startsWith(tab.name)), tab.name).toEqual([1, 2, 3].map((round) => `${tab.name} ${round}`));
    }
  });

  it('[R-52] a late joiner gets the whole history, in the same order', async () => {
    start();
    const [alice, bob] = await roomWith('alice', 'bob');
    for (let i = 0; i < 50; i++) await (i % 2 ? bob : alice).client.sendMessage(ROOM, `m${i}`);

    const [carol] = await roomWith('carol');

    expect(carol.history(ROOM)).toEqual(alice.history(ROOM));
    expect(carol.history(ROOM)).toHaveLength(50);
    expect(carol.messageEvents(ROOM)).toEqual(carol.history(ROOM));
  });

  it('[R-52] messages sent on both sides of a lost network are delivered after it returns, once each', async () => {
    start();
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');
    await alice.client.sendMessage(ROOM, 'before');

    world.network.goOffline(bob.endpoint);
    await bob.client.sendMessage(ROOM, 'bob while offline 1');
    await alice.client.sendMessage(ROOM, 'alice meanwhile');
    await vi.advanceTimersByTimeAsync(20_000);
    await bob.client.sendMessage(ROOM, 'bob while offline 2');
    expect(alice.messageEvents(ROOM)).not.toContain('bob while offline 1');

    world.network.goOnline(bob.endpoint);
    await vi.advanceTimersByTimeAsync(5000);

    const order = alice.history(ROOM);
    expect([...order].sort()).toEqual(['alice meanwhile', 'before', 'bob while offline 1', 'bob while offline 2']);
    for (const tab of [alice, bob, carol]) {
      expect(tab.history(ROOM), tab.name).toEqual(order);
      expect(duplicates(tab.messageEvents(ROOM)), tab.name).toEqual({});
      expect(tab.messageEvents(ROOM).sort(), tab.name).toEqual([...order].sort());
    }
  });

  it('[R-52] sent alone while the relay is away, delivered to whoever meets the sender once it is back', async () => {
    start();
    const [alice] = await roomWith('alice');
    world.network.relayDown(alice.endpoint);
    await alice.client.sendMessage(ROOM, 'anyone there?');

    const [bob] = await roomWith('bob');
    expect(bob.messageEvents(ROOM)).toEqual([]);
    world.network.relayUp(alice.endpoint);

    expect(bob.messageEvents(ROOM)).toEqual(['anyone there?']);
    expect(bob.members(ROOM)).toEqual(['alice', 'bob']);
  });

  it('[R-52] with only the relay gone, peers keep chatting: nothing waits for it', async () => {
    start();
    const [alice, bob] = await roomWith('alice', 'bob');

    world.network.relayDown();
    await alice.client.sendMessage(ROOM, 'over the peer connection');

    expect(bob.messageEvents(ROOM)).toEqual(['over the peer connection']);
  });
});
