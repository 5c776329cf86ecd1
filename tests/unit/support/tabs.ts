/**
 * Browser tabs for RoomClient unit tests: each a RoomClient on a MemoryNetwork endpoint, with
 * every event it emits recorded in order, so a test asserts what a user of the API would see.
 */
import { createRoomClient, type RoomClient, type RoomClientEvents, type RoomClientOptions } from '../../../src/lib/rooms/client.js';
import type { LeaveReason } from '../../../src/lib/rooms/members.js';
import type { StateChange } from '../../../src/lib/rooms/room-state.js';
import { afterEach, beforeEach, vi } from 'vitest';
import { MemoryNetwork, type Endpoint } from './memory-network.js';
import { stockRelay, type FakeRelay } from './fake-relay.js';

export type RecordedEvent = { [K in keyof RoomClientEvents]: { type: K } & RoomClientEvents[K] }[keyof RoomClientEvents];

const EVENT_TYPES: (keyof RoomClientEvents)[] = ['stateChanged', 'memberJoined', 'memberLeft', 'memberUpdated', 'message', 'attributesChanged', 'roleChanged'];

export class Tab {
  readonly events: RecordedEvent[] = [];

  constructor(
    readonly name: string,
    readonly endpoint: Endpoint,
    readonly client: RoomClient,
  ) {
    for (const type of EVENT_TYPES) {
      client.on(type, (payload) => this.events.push({ type, ...payload } as RecordedEvent));
    }
  }

  get userId(): string {
    return this.client.user.userId;
  }

  /** `state(reason)` for each state change of a room, in order. */
  states(roomId: string): string[] {
    return this.of('stateChanged', roomId).map((e: StateChange) => `${e.state}(${e.reason})`);
  }

  /** userIds of the members reported joined in a room, in order (a member joining twice counts twice). */
  joined(roomId: string): string[] {
    return this.of('memberJoined', roomId).flatMap((e) => e.members.map((m) => m.userId));
  }

  /** `userId:reason` of the members reported gone from a room, in order. */
  left(roomId: string): string[] {
    return this.of('memberLeft', roomId).flatMap((e) => e.members.map((m) => `${m.userId}:${e.reason satisfies LeaveReason}`));
  }

  /** The userIds a room's snapshot lists as members, sorted. */
  members(roomId: string): string[] {
    return (this.client.room(roomId)?.members ?? []).map((m) => m.userId).sort();
  }

  /** Texts of chat messages, in the order the `message` events came. */
  messageEvents(roomId: string): string[] {
    return this.of('message', roomId).map((e) => e.text ?? `custom:${e.custom?.type}`);
  }

  /** What a chat view shows that inserts each `message` event at its `index`. */
  chatView(roomId: string): string[] {
    const view: string[] = [];
    for (const e of this.of('message', roomId)) view.splice(e.index, 0, e.text ?? `custom:${e.custom?.type}`);
    return view;
  }

  /** Texts of the room's chat history, in the snapshot's order. */
  history(roomId: string): string[] {
    return (this.client.room(roomId)?.messages ?? []).map((m) => m.text ?? `custom:${m.custom?.type}`);
  }

  memberId(roomId: string, userId = this.userId): string {
    const member = this.client.room(roomId)?.members.find((m) => m.userId === userId);
    if (!member) throw new Error(`${this.name} does not see ${userId} in ${roomId}`);
    return member.memberId;
  }

  /** The payloads of one kind of event in one room, in order. */
  of<K extends keyof RoomClientEvents>(type: K, roomId: string): RoomClientEvents[K][] {
    // Recorded as `{ type, ...payload }`, so each is also that event's payload.
    return this.events.filter((e) => e.type === type && e.roomId === roomId) as unknown as RoomClientEvents[K][];
  }
}

export interface TabOptions extends Partial<Omit<RoomClientOptions, 'user' | 'createProvider'>> {
  relay?: FakeRelay;
  userId?: string;
}

/** Opens tabs on one network and closes them all at the end of a test. */
export class Tabs {
  readonly #open: Tab[] = [];

  constructor(readonly network: MemoryNetwork) {}

  open(name: string, options: TabOptions = {}): Tab {
    const { relay = stockRelay(), userId = name, ...clientOptions } = options;
    const endpoint = this.network.endpoint(name);
    endpoint.signaling.presence = relay.signalingPresence;
    const client = createRoomClient({
      user: { userId, userName: name },
      signaling: 'ws://relay.test',
      persistHistory: false,
      connectTimeoutMs: 5000,
      connectWebSocket: relay.connect,
      createProvider: endpoint.createProvider,
      ...clientOptions,
    });
    const tab = new Tab(name, endpoint, client);
    this.#open.push(tab);
    return tab;
  }

  /** Opens a tab per name (options for all) and enters them into `roomId`, in that order. */
  async enterAll(roomId: string, names: string[], options: TabOptions = {}): Promise<Tab[]> {
    const opened = names.map((name) => this.open(name, options));
    for (const tab of opened) await tab.client.enterRoom({ roomId });
    return opened;
  }

  /** Closes every tab; fails the test if a tab hit what y-webrtc would throw where nobody catches it. */
  async closeAll(): Promise<void> {
    const open = this.#open.splice(0);
    await Promise.all(open.map((tab) => tab.client.destroy()));
    const failures = open.flatMap((tab) => tab.endpoint.failures.map((failure) => `${tab.name}: ${failure}`));
    if (failures.length > 0) throw new Error(`uncaught in the transport:\n${failures.join('\n')}`);
  }
}

export interface TabsFixture {
  readonly network: MemoryNetwork;
  readonly tabs: Tabs;
  /** A fresh network with another seed (another delivery order) for this test. */
  restart(seed: number): void;
}

/** Per test: fake timers, a fresh MemoryNetwork and Tabs on it; every tab closed afterwards. */
export function useTabs(): TabsFixture {
  let network = new MemoryNetwork();
  let tabs = new Tabs(network);
  const fixture: TabsFixture = {
    get network() {
      return network;
    },
    get tabs() {
      return tabs;
    },
    restart(seed) {
      network = new MemoryNetwork({ seed });
      tabs = new Tabs(network);
    },
  };
  beforeEach(() => {
    vi.useFakeTimers();
    network = new MemoryNetwork();
    tabs = new Tabs(network);
  });
  afterEach(async () => {
    await tabs.closeAll();
    vi.useRealTimers();
  });
  return fixture;
}
