/**
 * [R-73][R-50] Failover across several relays, as logic: the link tries relays one at a time,
 * round robin with backoff (relay-link.ts), and the rooms' signaling follows it, presence first
 * (relay-failover.ts). Fake sockets and fake rooms here; tests/e2e/relay-failover.spec.ts runs
 * the real thing (two relays on Redis, Chromium, y-webrtc).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelayLink, type WebSocketLike } from '../../src/lib/rooms/relay-link.js';
import { RelayFailover, type FailoverLink, type FailoverRoom } from '../../src/lib/rooms/relay-failover.js';
import { ErrorCode, RoomError } from '../../src/lib/rooms/errors.js';
import type { EnteredRoom } from '../../src/lib/rooms/relay-link.js';

const R1 = 'ws://relay-1.test';
const R2 = 'ws://relay-2.test';

/** A relay socket that opens a tick later if its relay is up, else fails; answers ping and room-enter. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  readonly sent: Record<string, unknown>[] = [];

  constructor(
    readonly url: string,
    up: boolean,
  ) {
    queueMicrotask(() => {
      if (this.readyState !== 0) return;
      if (!up) {
        this.readyState = 3;
        this.onerror?.({});
        return;
      }
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(data: string): void {
    const message = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(message);
    const reply = message.type === 'ping' ? { type: 'pong' } : message.type === 'room-query' ? { type: 'room-info', id: message.id, rooms: [] } : null;
    if (reply) queueMicrotask(() => this.readyState === 1 && this.onmessage?.({ data: JSON.stringify(reply) }));
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({}));
  }

  /** The relay process dies: the socket closes under the client. */
  die(): void {
    this.close();
  }
}

class FakeRelays {
  readonly up = new Map<string, boolean>([
    [R1, true],
    [R2, true],
  ]);
  readonly sockets: FakeSocket[] = [];
  connect = (url: string): WebSocketLike => {
    const socket = new FakeSocket(url, this.up.get(url) ?? false);
    this.sockets.push(socket);
    return socket;
  };
  attempts(url: string): number {
    return this.sockets.filter((s) => s.url === url).length;
  }
  open(): FakeSocket | undefined {
    return this.sockets.find((s) => s.readyState === 1);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('[R-73] RelayLink over several relays', () => {
  it('[R-73] the first relay unreachable: the link opens the next one and answers from it', async () => {
    const relays = new FakeRelays();
    relays.up.set(R1, false);
    const link = new RelayLink({ url: [R1, R2], connect: relays.connect });
    await expect(link.query(['a'])).resolves.toEqual([]);
    expect(link.url).toBe(R2);
    expect(relays.sockets.map((s) => s.url)).toEqual([R1, R2]);
    link.close();
  });

  it('[R-73] every relay unreachable: RELAY_UNREACHABLE after one try of each', async () => {
    const relays = new FakeRelays();
    relays.up.set(R1, false).set(R2, false);
    const link = new RelayLink({ url: [R1, R2], connect: relays.connect });
    await expect(link.query(['a'])).rejects.toMatchObject({ code: ErrorCode.RELAY_UNREACHABLE });
    expect(relays.sockets.map((s) => s.url)).toEqual([R1, R2]);
    link.close();
  });

  it('[R-73] a relay dying moves the link to the next one, with its topics subscribed there', async () => {
    const relays = new FakeRelays();
    const link = new RelayLink({ url: [R1, R2], connect: relays.connect });
    const opened: { url: string; reopened: boolean }[] = [];
    link.on('open', (event) => opened.push(event));
    link.subscribe('media/room', () => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(opened).toEqual([{ url: R1, reopened: false }]);

    relays.up.set(R1, false);
    relays.open()!.die();
    // The first retry comes within 250 ms (jitter: half to all of it).
    await vi.advanceTimersByTimeAsync(250);
    expect(opened).toEqual([
      { url: R1, reopened: false },
      { url: R2, reopened: true },
    ]);
    expect(link.url).toBe(R2);
    expect(relays.open()!.sent).toContainEqual({ type: 'subscribe', topics: ['media/room'] });
    expect(relays.attempts(R1)).toBe(1); // the dead relay was not tried again first
    link.close();
  });

  it('[R-50] one relay, restarted: rounds back off (doubling, at most 5 s) until it is back, then reopen', async () => {
    const relays = new FakeRelays();
    const link = new RelayLink({ url: R1, connect: relays.connect });
    const release = link.hold();
    await link.whenOpen();
    relays.up.set(R1, false);
    relays.open()!.die();
    await vi.advanceTimersByTimeAsync(30_000);
    const tries = relays.attempts(R1) - 1;
    // 250 ms doubling to a 5 s cap, each waited half to all of: 9 to 16 tries in 30 s.
    expect(tries).toBeGreaterThanOrEqual(9);
    expect(tries).toBeLessThanOrEqual(16);

    relays.up.set(R1, true);
    const back = link.whenOpen();
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(back).resolves.toBe(R1);
    release();
    link.close();
  });

  it('whenOpen() is rejected when the link is closed', async () => {
    const relays = new FakeRelays();
    relays.up.set(R1, false);
    const link = new RelayLink({ url: R1, connect: relays.connect });
    const waiting = link.whenOpen();
    link.close();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.RELAY_UNREACHABLE });
  });
});

/** A link whose relay in use and answers a test controls; it records what the failover asks. */
class FakeLink implements FailoverLink {
  url = R1;
  readonly calls: string[] = [];
  enterError: RoomError | null = null;
  #openListeners = new Set<(payload: { url: string; reopened: boolean }) => void>();
  holds = 0;
  whenOpen(): Promise<string> {
    return Promise.resolve(this.url);
  }
  async enter(room: string, mode: 'any', destroyDelay: number, keyCheck: string, incarnation?: string): Promise<EnteredRoom> {
    this.calls.push(`enter ${room} ${mode} ${destroyDelay} ${keyCheck}${incarnation ? ` ${incarnation}` : ''} @${this.url}`);
    if (this.enterError) throw this.enterError;
    return { room, created: false, members: 2, destroyDelay };
  }
  leave(room: string): void {
    this.calls.push(`leave ${room}`);
  }
  skipRelay(): void {
    this.calls.push(`skip ${this.url}`);
    this.url = this.url === R1 ? R2 : R1;
  }
  hold(): () => void {
    this.holds++;
    return () => this.holds--;
  }
  on(_event: 'open', listener: (payload: { url: string; reopened: boolean }) => void): () => void {
    this.#openListeners.add(listener);
    return () => this.#openListeners.delete(listener);
  }
  reopen(url: string): void {
    this.url = url;
    for (const listener of this.#openListeners) listener({ url, reopened: true });
  }
}

/** A room whose signaling is on `on` (null: lost); moving to a relay in `broken` never connects. */
class FakeRoom implements FailoverRoom {
  on: string | null = R1;
  constructor(
    readonly roomId: string,
    readonly calls: string[],
    readonly broken = new Set<string>(),
  ) {}
  signalingConnectedTo(url: string): boolean {
    return this.on === url;
  }
  pauseSignaling(): void {
    this.calls.push(`pause ${this.roomId}`);
    this.on = null;
  }
  async moveSignaling(url: string, timeoutMs: number): Promise<void> {
    this.calls.push(`move ${this.roomId} @${url}`);
    if (this.broken.has(url)) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      throw new Error('signaling did not connect');
    }
    this.on = url;
  }
}

describe('[R-73] RelayFailover', () => {
  it('[R-73][R-71] a lost relay: each room paused, presence entered again as it was (any, destroyDelay, keyCheck, incarnation), moved, membership given back', async () => {
    const link = new FakeLink();
    const failover = new RelayFailover(link, { moveTimeoutMs: 1000 });
    const maths = new FakeRoom('maths', link.calls);
    const art = new FakeRoom('art', link.calls);
    failover.add(maths, { destroyDelay: 60, keyCheck: 'kc-maths', incarnation: 'life-1' });
    failover.add(art, null); // entered on a relay without presence: nothing to enter again
    expect(link.holds).toBe(1);

    maths.on = art.on = null;
    link.url = R2;
    failover.recover();
    await failover.settled();
    expect(link.calls).toEqual(['pause maths', 'pause art', `enter maths any 60 kc-maths life-1 @${R2}`, `move maths @${R2}`, `move art @${R2}`, 'leave maths']);
    expect([maths.on, art.on]).toEqual([R2, R2]);
    expect(failover.moves).toEqual([{ url: R2, rooms: ['maths', 'art'], ms: expect.any(Number) }]);
  });

  it('[R-73] rooms already on the relay in use are left alone (a second report of the same loss moves nothing)', async () => {
    const link = new FakeLink();
    const failover = new RelayFailover(link, { moveTimeoutMs: 1000 });
    const maths = new FakeRoom('maths', link.calls);
    failover.add(maths, { destroyDelay: 0, keyCheck: '' });
    failover.recover();
    await failover.settled();
    expect(link.calls).toEqual([]);
    expect(failover.moves).toEqual([]);
  });

  it('[R-73] the link reopening on another relay moves rooms whose socket still looks connected elsewhere', async () => {
    const link = new FakeLink();
    const failover = new RelayFailover(link, { moveTimeoutMs: 1000 });
    const maths = new FakeRoom('maths', link.calls);
    failover.add(maths, { destroyDelay: 0, keyCheck: '' });
    link.reopen(R2);
    await failover.settled();
    expect(maths.on).toBe(R2);
    expect(link.calls).toEqual(['pause maths', `enter maths any 0  @${R2}`, `move maths @${R2}`, 'leave maths']);
  });

  it('[R-73] a relay that answers the link but never carries signaling is skipped for the next one', async () => {
    const link = new FakeLink();
    link.url = R2;
    const failover = new RelayFailover(link, { moveTimeoutMs: 1000 });
    const maths = new FakeRoom('maths', link.calls, new Set([R2]));
    maths.on = null;
    failover.add(maths, { destroyDelay: 0, keyCheck: 'k' });
    failover.recover();
    await vi.advanceTimersByTimeAsync(1000);
    await failover.settled();
    expect(link.calls).toEqual([
      'pause maths',
      `enter maths any 0 k @${R2}`,
      `move maths @${R2}`,
      'leave maths',
      `skip ${R2}`,
      'pause maths',
      `enter maths any 0 k @${R1}`,
      `move maths @${R1}`,
      'leave maths',
    ]);
    expect(maths.on).toBe(R1);
  });

  it('[R-73] presence refused on re-entry (stock relay, or the room made again with another password): the room still moves', async () => {
    for (const code of [ErrorCode.PRESENCE_UNSUPPORTED, ErrorCode.WRONG_PASSWORD]) {
      const link = new FakeLink();
      link.enterError = new RoomError(code, 'refused');
      const failover = new RelayFailover(link, { moveTimeoutMs: 1000 });
      const maths = new FakeRoom('maths', link.calls);
      maths.on = null;
      failover.add(maths, { destroyDelay: 0, keyCheck: 'k' });
      failover.recover();
      await failover.settled();
      expect(maths.on).toBe(R1);
      expect(link.calls).not.toContain('leave maths');
    }
  });

  it('[R-73] the relay lost again while entering presence: another pass, on the next relay', async () => {
    const link = new FakeLink();
    link.enterError = new RoomError(ErrorCode.RELAY_UNREACHABLE, 'lost the connection');
    const failover = new RelayFailover(link, { moveTimeoutMs: 1000 });
    const maths = new FakeRoom('maths', link.calls);
    maths.on = null;
    failover.add(maths, { destroyDelay: 0, keyCheck: 'k' });
    const enter = link.enter.bind(link);
    let tries = 0;
    link.enter = (...args) => (++tries === 1 ? enter(...args) : ((link.enterError = null), enter(...args)));
    failover.recover();
    await failover.settled();
    expect(maths.on).toBe(R2);
    expect(link.calls.filter((call) => call.startsWith('skip'))).toEqual([`skip ${R1}`]);
  });

  it('the last room gone or the failover closed: the link is no longer held, and a loss moves nothing', async () => {
    const link = new FakeLink();
    const failover = new RelayFailover(link, { moveTimeoutMs: 1000 });
    const maths = new FakeRoom('maths', link.calls);
    failover.add(maths, { destroyDelay: 0, keyCheck: '' });
    failover.remove('maths');
    expect(link.holds).toBe(0);
    maths.on = null;
    failover.recover();
    await failover.settled();
    failover.close();
    failover.recover();
    await failover.settled();
    expect(link.calls).toEqual([]);
  });
});
