/**
 * One state machine per room, driven by the in-memory network: entering, the relay or
 * the whole network going away and coming back, and an unreachable relay at entry.
 */
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/lib/rooms/errors.js';
import { useTabs, type Tab } from './support/tabs.js';

const ROOM = 'connection';


const world = useTabs();

function roomWith(...names: string[]): Promise<Tab[]> {
  return world.tabs.enterAll(ROOM, names);
}

describe('state machine [R-50]', () => {
  it('[R-50] entering: connecting(entering) -> connected(entered), each an event with the previous state', async () => {
    const [alice] = await roomWith('alice');

    expect(alice.of('stateChanged', ROOM).map(({ previous, state, reason }) => `${previous} -> ${state}(${reason})`)).toEqual([
      'null -> connecting(entering)',
      'connecting -> connected(entered)',
    ]);
    expect(alice.client.room(ROOM)?.state).toBe('connected');
  });

  it('[R-50] the relay going away: reconnecting(network-lost), then connected(reconnected) when it is back', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    world.network.relayDown(alice.endpoint);
    expect(alice.client.room(ROOM)?.state).toBe('reconnecting');
    expect(bob.client.room(ROOM)?.state).toBe('connected');

    world.network.relayUp(alice.endpoint);
    expect(alice.states(ROOM)).toEqual(['connecting(entering)', 'connected(entered)', 'reconnecting(network-lost)', 'connected(reconnected)']);
    expect(bob.states(ROOM)).toEqual(['connecting(entering)', 'connected(entered)']);
  });

  it('[R-50] no relay and nobody else for a minute: disconnected(reconnect-failed), and the room is gone', async () => {
    const [alice] = await roomWith('alice');

    world.network.relayDown(alice.endpoint);
    await vi.advanceTimersByTimeAsync(50_000);
    expect(alice.client.room(ROOM)?.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(15_000);

    expect(alice.states(ROOM)).toEqual(['connecting(entering)', 'connected(entered)', 'reconnecting(network-lost)', 'disconnected(reconnect-failed)']);
    expect(alice.client.room(ROOM)).toBeUndefined();
    expect(alice.client.roomIds).toEqual([]);
  });

  it('[R-50] no relay but a peer still connected: the meeting goes on, however long', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    world.network.relayDown(alice.endpoint);
    await vi.advanceTimersByTimeAsync(120_000);
    await bob.client.sendMessage(ROOM, 'still here');

    expect(alice.client.room(ROOM)?.state).toBe('reconnecting');
    expect(alice.history(ROOM)).toEqual(['still here']);
    world.network.relayUp(alice.endpoint);
    expect(alice.client.room(ROOM)?.state).toBe('connected');
  });

  it('[R-50] one relay loss is one transition for each room of the tab', async () => {
    const alice = world.tabs.open('alice');
    await alice.client.enterRoom({ roomId: 'one' });
    await alice.client.enterRoom({ roomId: 'two' });

    world.network.relayDown(alice.endpoint);
    world.network.relayUp(alice.endpoint);

    for (const roomId of ['one', 'two']) {
      expect(alice.states(roomId), roomId).toEqual(['connecting(entering)', 'connected(entered)', 'reconnecting(network-lost)', 'connected(reconnected)']);
    }
  });

  it('[R-50] a lost network: reconnecting while away; back, the member meets whoever came meanwhile', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    world.network.goOffline(bob.endpoint);
    expect(bob.client.room(ROOM)?.state).toBe('reconnecting');
    const [carol] = await roomWith('carol');
    expect(carol.members(ROOM)).toEqual(['alice', 'bob', 'carol']); // Alice still lists Bob: not timed out yet

    world.network.goOnline(bob.endpoint);
    await vi.advanceTimersByTimeAsync(0);

    expect(bob.client.room(ROOM)?.state).toBe('connected');
    expect(bob.members(ROOM)).toEqual(['alice', 'bob', 'carol']);
    expect(alice.members(ROOM)).toEqual(['alice', 'bob', 'carol']);
  });

  it('[R-50] a member who stays away past the timeout is back in everyone\'s list when it returns', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    world.network.goOffline(bob.endpoint);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(alice.left(ROOM)).toEqual(['bob:timeout']);

    world.network.goOnline(bob.endpoint);
    await vi.advanceTimersByTimeAsync(4000);

    expect(alice.members(ROOM)).toEqual(['alice', 'bob']);
    expect(bob.members(ROOM)).toEqual(['alice', 'bob']);
    expect(bob.states(ROOM).at(-1)).toBe('connected(reconnected)');
  });

  it('[R-50] leaving while reconnecting: disconnected(left)', async () => {
    const [alice] = await roomWith('alice');
    world.network.relayDown(alice.endpoint);

    await alice.client.leaveRoom(ROOM);

    expect(alice.states(ROOM).slice(-2)).toEqual(['reconnecting(network-lost)', 'disconnected(left)']);
    expect(alice.client.roomIds).toEqual([]);
  });

  it('[R-50] operations still work while reconnecting, and reach peers over their connections', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    world.network.relayDown(alice.endpoint);

    await alice.client.sendMessage(ROOM, 'still here');
    await alice.client.setMemberAttributes(ROOM, { hand: 'raised' });

    expect(bob.messageEvents(ROOM)).toEqual(['still here']);
    expect(bob.client.room(ROOM)?.members.find((m) => m.userId === 'alice')?.attributes).toEqual({ hand: 'raised' });
  });

  it('[R-50] a relay that cannot be reached at entry: RELAY_UNREACHABLE after the timeout, disconnected, not in the room', async () => {
    const alice = world.tabs.open('alice', { connectTimeoutMs: 3000 });
    world.network.relayDown(alice.endpoint);

    const entering = alice.client.enterRoom({ roomId: ROOM }).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(2999);
    expect(alice.client.room(ROOM)?.state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(1);

    expect(await entering).toMatchObject({ code: ErrorCode.RELAY_UNREACHABLE, roomId: ROOM });
    expect(alice.states(ROOM)).toEqual(['connecting(entering)', `disconnected(${ErrorCode.RELAY_UNREACHABLE})`]);
    expect(alice.client.roomIds).toEqual([]);
  });

  it('[R-50] a relay that comes back while entering: the enter completes', async () => {
    const [bob] = await roomWith('bob');
    const alice = world.tabs.open('alice');
    world.network.relayDown(alice.endpoint);

    const entering = alice.client.enterRoom({ roomId: ROOM });
    await vi.advanceTimersByTimeAsync(1000);
    world.network.relayUp(alice.endpoint);
    await entering;

    expect(alice.states(ROOM)).toEqual(['connecting(entering)', 'connected(entered)']);
    expect(alice.members(ROOM)).toEqual(['alice', 'bob']);
    expect(bob.members(ROOM)).toEqual(['alice', 'bob']);
  });
});
