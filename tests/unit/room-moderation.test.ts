/**
 * Roles, kick and close [R-4][R-40] through RoomClient on the in-memory world.network. The host is
 * known only through the relay's presence extension (who created the room), so these tabs
 * talk to a relay that has it.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/lib/rooms/errors.js';
import { BAN_DURATION_MS } from '../../src/lib/rooms/moderation.js';
import { presenceRelay, stockRelay, type FakeRelay } from './support/fake-relay.js';
import { useTabs, type Tab } from './support/tabs.js';
import { rejectionCode } from './support/error-code.js';

const ROOM = 'moderated';

let relay: FakeRelay;

const world = useTabs();

beforeEach(() => {
  relay = presenceRelay(world.network);
});

/** Alice creates the room (so she is its host), then the others enter. */
async function roomWith(...names: string[]): Promise<Tab[]> {
  const opened = names.map((name) => world.tabs.open(name, { relay }));
  const [host, ...others] = opened;
  await host.client.createRoom({ roomId: ROOM });
  for (const tab of others) await tab.client.enterRoom({ roomId: ROOM });
  return opened;
}

function roleOf(viewer: Tab, userId: string): string | undefined {
  return viewer.client.room(ROOM)?.members.find((m) => m.userId === userId)?.role;
}


describe('roles [R-4]', () => {
  it('[R-4] the creator is the host for everyone; the others have the role they entered with', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    await alice.client.createRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM }, { role: 'audience' });

    for (const viewer of [alice, bob]) {
      expect(roleOf(viewer, 'alice'), viewer.name).toBe('host');
      expect(roleOf(viewer, 'bob'), viewer.name).toBe('audience');
    }
  });

  it('[R-4] a member switches itself between interactor and audience, and everyone is told', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    await bob.client.setRole(ROOM, 'audience');

    expect(roleOf(alice, 'bob')).toBe('audience');
    const bobsChanges = alice.of('roleChanged', ROOM).filter((e) => e.member.userId === 'bob');
    expect(bobsChanges.map((e) => `${e.previous}->${e.member.role}`)).toEqual(['interactor->audience']);
    await bob.client.setRole(ROOM, 'interactor');
    expect(roleOf(alice, 'bob')).toBe('interactor');
  });

  it('[R-4] only the host changes the role of someone else', async () => {
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');

    expect(await rejectionCode(bob.client.setRole(ROOM, 'audience', carol.memberId(ROOM)))).toBe(ErrorCode.NOT_HOST);
    expect(roleOf(alice, 'carol')).toBe('interactor');

    await alice.client.setRole(ROOM, 'audience', carol.memberId(ROOM));
    for (const viewer of [alice, bob, carol]) expect(roleOf(viewer, 'carol'), viewer.name).toBe('audience');
  });

  it('[R-4] the host hands the host role over; the new host may moderate, the old one no longer', async () => {
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');

    await alice.client.setRole(ROOM, 'host', alice.memberId(ROOM, 'bob'));

    for (const viewer of [alice, bob, carol]) {
      expect(roleOf(viewer, 'bob'), viewer.name).toBe('host');
      expect(roleOf(viewer, 'alice'), viewer.name).toBe('interactor');
    }
    expect(carol.of('roleChanged', ROOM).map((e) => `${e.member.userId}:${e.previous}->${e.member.role}`).sort()).toEqual([
      'alice:host->interactor',
      'bob:interactor->host',
    ]);
    expect(await rejectionCode(alice.client.kick(ROOM, alice.memberId(ROOM, 'carol')))).toBe(ErrorCode.NOT_HOST);
    await bob.client.setRole(ROOM, 'audience', bob.memberId(ROOM, 'carol'));
    expect(roleOf(alice, 'carol')).toBe('audience');
  });

  it('[R-4] the host cannot step down to interactor or audience without handing the role over', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    expect(await rejectionCode(alice.client.setRole(ROOM, 'audience'))).toBe(ErrorCode.ROLE_FORBIDDEN);
    expect(roleOf(bob, 'alice')).toBe('host');
  });

  it('[R-4] on a stock relay nobody can be known as the creator: no host, so no kick', async () => {
    const stock = stockRelay();
    const alice = world.tabs.open('alice', { relay: stock });
    const bob = world.tabs.open('bob', { relay: stock });
    await alice.client.enterRoom({ roomId: ROOM });
    await bob.client.enterRoom({ roomId: ROOM });

    expect(alice.client.room(ROOM)!.members.map((m) => m.role)).toEqual(['interactor', 'interactor']);
    expect(await rejectionCode(alice.client.kick(ROOM, alice.memberId(ROOM, 'bob')))).toBe(ErrorCode.NOT_HOST);
  });
});

describe('kick [R-40]', () => {
  it('[R-40] the kicked member ends disconnected(kicked); everyone else drops it once, as kicked', async () => {
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');

    await alice.client.kick(ROOM, alice.memberId(ROOM, 'bob'));
    await vi.advanceTimersByTimeAsync(0);

    expect(bob.states(ROOM).at(-1)).toBe('disconnected(kicked)');
    expect(bob.client.roomIds).toEqual([]);
    for (const viewer of [alice, carol]) {
      expect(viewer.left(ROOM), viewer.name).toEqual(['bob:kicked']);
      expect(viewer.members(ROOM), viewer.name).toEqual(['alice', 'carol']);
    }
  });

  it('[R-40] a kicked user who enters again is sent away and never shown to the others', async () => {
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');
    await alice.client.kick(ROOM, alice.memberId(ROOM, 'bob'));
    await vi.advanceTimersByTimeAsync(1000);

    await bob.client.enterRoom({ roomId: ROOM });
    await vi.advanceTimersByTimeAsync(0);

    expect(bob.states(ROOM).filter((s) => s.startsWith('disconnected'))).toEqual(['disconnected(kicked)', 'disconnected(kicked)']);
    expect(bob.client.roomIds).toEqual([]);
    for (const viewer of [alice, carol]) expect(viewer.joined(ROOM).filter((id) => id === 'bob'), viewer.name).toEqual(['bob']);
    expect(alice.members(ROOM)).toEqual(['alice', 'carol']);
  });

  it('[R-40] a member kicked while cut off is sent away as soon as it is back, and stays dropped', async () => {
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');
    world.network.goOffline(bob.endpoint);

    await alice.client.kick(ROOM, alice.memberId(ROOM, 'bob'));
    expect(carol.left(ROOM)).toEqual(['bob:kicked']);
    expect(bob.client.room(ROOM)?.state).toBe('reconnecting');

    world.network.goOnline(bob.endpoint);
    await vi.advanceTimersByTimeAsync(5000);

    expect(bob.states(ROOM).at(-1)).toBe('disconnected(kicked)');
    expect(bob.client.roomIds).toEqual([]);
    for (const viewer of [alice, carol]) {
      expect(viewer.members(ROOM), viewer.name).toEqual(['alice', 'carol']);
      expect(viewer.joined(ROOM).filter((id) => id === 'bob'), viewer.name).toEqual(['bob']);
    }
  });

  it('[R-40] the ban ends: after it, the user may come back', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    await alice.client.kick(ROOM, alice.memberId(ROOM, 'bob'));

    await vi.advanceTimersByTimeAsync(BAN_DURATION_MS + 1000);
    await bob.client.enterRoom({ roomId: ROOM });
    await vi.advanceTimersByTimeAsync(0);

    expect(bob.client.room(ROOM)?.state).toBe('connected');
    expect(alice.members(ROOM)).toEqual(['alice', 'bob']);
  });

  it('[R-40] only the host kicks; nobody kicks a stranger; the host does not kick itself', async () => {
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');

    expect(await rejectionCode(bob.client.kick(ROOM, bob.memberId(ROOM, 'carol')))).toBe(ErrorCode.NOT_HOST);
    expect(await rejectionCode(alice.client.kick(ROOM, '12345'))).toBe(ErrorCode.MEMBER_NOT_FOUND);
    expect(await rejectionCode(alice.client.kick(ROOM, alice.memberId(ROOM)))).toBe(ErrorCode.ROLE_FORBIDDEN);
    expect(alice.members(ROOM)).toEqual(['alice', 'bob', 'carol']);
    expect(carol.client.room(ROOM)?.state).toBe('connected');
  });
});

describe('closeRoom [R-40]', () => {
  it('[R-40] closing ends the room for everyone in it, the host included: disconnected(room-closed)', async () => {
    const [alice, bob, carol] = await roomWith('alice', 'bob', 'carol');

    await alice.client.closeRoom(ROOM);
    await vi.advanceTimersByTimeAsync(0);

    for (const tab of [alice, bob, carol]) {
      expect(tab.states(ROOM).at(-1), tab.name).toBe('disconnected(room-closed)');
      expect(tab.client.roomIds, tab.name).toEqual([]);
    }
  });

  it('[R-40] only the host closes the room', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    expect(await rejectionCode(bob.client.closeRoom(ROOM))).toBe(ErrorCode.NOT_HOST);
    expect(alice.client.room(ROOM)?.state).toBe('connected');
  });

  it('[R-40] a closed room can be created again afterwards, with a host of its own', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    await alice.client.closeRoom(ROOM);
    await vi.advanceTimersByTimeAsync(1000);

    await bob.client.createRoom({ roomId: ROOM });
    await alice.client.enterRoom({ roomId: ROOM });
    await vi.advanceTimersByTimeAsync(0);

    expect(alice.client.room(ROOM)?.state).toBe('connected');
    expect(roleOf(alice, 'bob')).toBe('host');
  });
});
