/**
 * Members from awareness, on the in-memory network: who is reported joined and left,
 * why, and when. Time is fake: the heartbeat and silence timeout run on vitest's clock.
 */
import { describe, expect, it, vi } from 'vitest';
import { useTabs } from './support/tabs.js';

const ROOM = 'members';


const world = useTabs();

describe('memberJoined [R-51]', () => {
  it('[R-51] members already present are reported on entry, newcomers as they come', async () => {
    const alice = world.tabs.open('alice');
    const bob = world.tabs.open('bob');
    const carol = world.tabs.open('carol');
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });
    await carol.client.enterRoom({ roomId: ROOM });

    expect(carol.joined(ROOM).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(alice.joined(ROOM)).toEqual(['alice', 'bob', 'carol']);
    for (const tab of [alice, bob, carol]) expect(tab.members(ROOM)).toEqual(['alice', 'bob', 'carol']);
  });

  it('[R-51] the snapshot marks the local member and gives every member the same memberId everywhere', async () => {
    const alice = world.tabs.open('alice');
    const bob = world.tabs.open('bob');
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });

    const seenByBob = bob.client.room(ROOM)!.members;
    expect(seenByBob.find((m) => m.isLocal)?.userId).toBe('bob');
    expect(seenByBob.find((m) => m.userId === 'alice')).toMatchObject({ isLocal: false, userName: 'alice', role: 'interactor' });
    expect(bob.memberId(ROOM, 'alice')).toBe(alice.memberId(ROOM));
  });

  it('[R-51] a member is reported joined once, however many times its state changes', async () => {
    const alice = world.tabs.open('alice');
    const bob = world.tabs.open('bob');
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });
    await vi.advanceTimersByTimeAsync(20_000); // five heartbeats
    await bob.client.setMemberAttributes(ROOM, { hand: 'up' });

    expect(alice.joined(ROOM)).toEqual(['alice', 'bob']);
  });

  it('[R-51] a state that is not a member (a malformed peer) is not listed', async () => {
    const alice = world.tabs.open('alice');
    await alice.client.enterRoom({ roomId: ROOM });
    const stranger = world.network.endpoint('stranger');
    const { Doc } = await import('yjs');
    const provider = stranger.createProvider(ROOM, new Doc(), { signaling: [], maxConns: 64, peerOpts: {} });
    await provider.key;
    provider.awareness.setLocalState({ user: { userId: '' }, role: 'emperor' });

    expect(alice.members(ROOM)).toEqual(['alice']);
    expect(alice.joined(ROOM)).toEqual(['alice']);
    provider.destroy();
  });
});

describe('memberLeft [R-51]', () => {
  it('[R-51] leaveRoom is seen by the others at once as memberLeft(left)', async () => {
    const alice = world.tabs.open('alice');
    const bob = world.tabs.open('bob');
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });

    await bob.client.leaveRoom(ROOM);

    expect(alice.left(ROOM)).toEqual(['bob:left']);
    expect(alice.members(ROOM)).toEqual(['alice']);
  });

  it('[R-51] a crashed member is memberLeft(timeout) within 15 s, and not while it could still be alive', async () => {
    const alice = world.tabs.open('alice');
    const bob = world.tabs.open('bob');
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });

    // Bob beats every 4 s from entry: crash him right after a beat, so that from here on
    // Alice's silence clock runs exactly from the crash.
    await vi.advanceTimersByTimeAsync(4000);
    world.network.crash(bob.endpoint);
    // Silent for 10 s: two lost beats could be a slow link, not yet a crash.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(alice.left(ROOM)).toEqual([]);
    expect(alice.members(ROOM)).toEqual(['alice', 'bob']);

    await vi.advanceTimersByTimeAsync(5000);
    expect(alice.left(ROOM)).toEqual(['bob:timeout']);
    expect(alice.members(ROOM)).toEqual(['alice']);
  });

  it('[R-51] a lost network is memberLeft(timeout) for the others; the member itself sees them time out too', async () => {
    const alice = world.tabs.open('alice');
    const bob = world.tabs.open('bob');
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });

    world.network.goOffline(bob.endpoint);
    await vi.advanceTimersByTimeAsync(15_000);

    expect(alice.left(ROOM)).toEqual(['bob:timeout']);
    expect(bob.left(ROOM)).toEqual(['alice:timeout']);
  });

  it('[R-51] in a room of four, every member reports a crash as timeout, not as a leave', async () => {
    const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map((name) => world.tabs.open(name));
    // Entered at different moments, so their silence checks do not run in step.
    for (const tab of [alice, bob, carol, dave]) {
      await tab.client.enterRoom({ roomId: ROOM });
      await vi.advanceTimersByTimeAsync(700);
    }

    world.network.crash(dave.endpoint);
    await vi.advanceTimersByTimeAsync(15_000);

    for (const tab of [alice, bob, carol]) expect(tab.left(ROOM), tab.name).toEqual(['dave:timeout']);
  });

  it('[R-51] a member wrongly timed out over a slow link reappears with its next beat', async () => {
    const alice = world.tabs.open('alice');
    const bob = world.tabs.open('bob');
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });

    world.network.hold(bob.endpoint, alice.endpoint);
    await vi.advanceTimersByTimeAsync(13_000);
    expect(alice.left(ROOM)).toEqual(['bob:timeout']);

    world.network.release(bob.endpoint, alice.endpoint);
    await vi.advanceTimersByTimeAsync(4000);
    expect(alice.joined(ROOM)).toEqual(['alice', 'bob', 'bob']);
    expect(alice.members(ROOM)).toEqual(['alice', 'bob']);
    // Bob heard Alice all along: nothing changed for him.
    expect(bob.left(ROOM)).toEqual([]);
  });

  it('[R-51] a member timed out by one peer stays listed by the peers that still hear it', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => world.tabs.open(name));
    for (const tab of [alice, bob, carol]) await tab.client.enterRoom({ roomId: ROOM });

    // Alice hears nobody (peers relay each other's presence, so both links must be slow).
    world.network.hold(bob.endpoint, alice.endpoint);
    world.network.hold(carol.endpoint, alice.endpoint);
    await vi.advanceTimersByTimeAsync(13_000);

    expect(alice.left(ROOM).sort()).toEqual(['bob:timeout', 'carol:timeout']);
    expect(carol.left(ROOM)).toEqual([]);
    expect(bob.left(ROOM)).toEqual([]);
    expect(carol.members(ROOM)).toEqual(['alice', 'bob', 'carol']);
    expect(bob.members(ROOM)).toEqual(['alice', 'bob', 'carol']);
  });
});
