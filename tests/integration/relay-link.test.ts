import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startStockRelay } from '../support/stock-relay.js';
import { WebSocket, WebSocketServer } from 'ws';
import { RelayLink, type WebSocketLike } from '../../src/lib/rooms/relay-link.js';
import { SignalChannel } from '../../src/lib/media/signal-channel.js';
import type { MediaSignal } from '../../src/lib/media/signals.js';
import { ErrorCode, isRoomError } from '../../src/lib/rooms/errors.js';
import { uniqueTopic, until, useRelayHarness } from './helpers.js';

const harness = useRelayHarness();
const links: RelayLink[] = [];
afterEach(() => {
  for (const link of links.splice(0)) link.close();
});

function link(url: string, timeoutMs = 5000): RelayLink {
  const created = new RelayLink({ url, timeoutMs, connect: (u) => new WebSocket(u) as unknown as WebSocketLike });
  links.push(created);
  return created;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return isRoomError(err) ? err.code : `not a RoomError: ${String(err)}`;
  }
  return 'resolved';
}

describe('RelayLink: the client side of room presence [R-3][R-71]', () => {
  it('[R-71] query reports existence, members and destroyDelay', async () => {
    const relay = await harness.relay();
    const [room, missing] = [uniqueTopic(), uniqueTopic()];
    const alice = link(relay.url);
    await alice.enter(room, 'create', 30);
    const bob = link(relay.url);
    expect(await bob.query([room, missing])).toEqual([
      { room, exists: true, members: 1, destroyDelay: 30 },
      { room: missing, exists: false, members: 0, destroyDelay: 0 },
    ]);
  });

  it('[R-11][R-12] create fails with ROOM_ALREADY_EXISTS, join with ROOM_NOT_FOUND, and neither subscribes', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const alice = link(relay.url);
    const bob = link(relay.url);
    expect(await codeOf(bob.enter(room, 'join'))).toBe(ErrorCode.ROOM_NOT_FOUND);
    expect(await alice.enter(room, 'create')).toEqual({ room, created: true, members: 1, destroyDelay: 0, incarnation: expect.any(String) });
    expect(await codeOf(bob.enter(room, 'create'))).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    expect((await bob.query([room]))[0].members).toBe(1);
    expect(await bob.enter(room, 'join')).toMatchObject({ created: false, members: 2 });
  });

  it('[R-11] two clients racing to create the same room: exactly one succeeds', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const results = await Promise.all([codeOf(link(relay.url).enter(room, 'create')), codeOf(link(relay.url).enter(room, 'create'))]);
    expect(results.sort()).toEqual([ErrorCode.ROOM_ALREADY_EXISTS, 'resolved']);
  });

  it('[R-71] leave() gives the membership back so a tab counts once', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const alice = link(relay.url);
    await alice.enter(room, 'create', 60);
    alice.leave(room);
    const observer = link(relay.url);
    await until(async () => (await observer.query([room]))[0].members === 0, { what: 'the membership to be released' });
    // The room outlives its last member by its destroyDelay.
    expect((await observer.query([room]))[0]).toEqual({ room, exists: true, members: 0, destroyDelay: 60 });
  });

  it('[R-70] against a stock y-webrtc server, presence requests fail with PRESENCE_UNSUPPORTED at once, not after a timeout', async () => {
    const stock = await startStockRelay();
    harness.onCleanup(() => stock.stop());
    const stockLink = link(stock.url, 20_000);
    const started = Date.now();
    expect(await codeOf(stockLink.query(['anything']))).toBe(ErrorCode.PRESENCE_UNSUPPORTED);
    expect(await codeOf(stockLink.enter('anything', 'create'))).toBe(ErrorCode.PRESENCE_UNSUPPORTED);
    // Far below the 20 s timeout: the overtaking pong told us.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a relay that cannot be reached is RELAY_UNREACHABLE', async () => {
    const port = await freePort();
    expect(await codeOf(link(`ws://127.0.0.1:${port}`).query(['r']))).toBe(ErrorCode.RELAY_UNREACHABLE);
  });

  it('a request in flight when the connection drops fails with RELAY_UNREACHABLE; the next one reconnects', async () => {
    // A scripted relay: the first connection is cut on its first frame, later ones are answered.
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    harness.onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    let connections = 0;
    server.on('connection', (socket) => {
      const index = ++connections;
      socket.on('message', (data) => {
        if (index === 1) return socket.terminate();
        const message = JSON.parse(String(data));
        if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
        if (message.type === 'room-query') socket.send(JSON.stringify({ type: 'room-info', id: message.id, rooms: [{ room: 'r', exists: false, members: 0, destroyDelay: 0 }] }));
      });
    });
    const { port } = server.address() as { port: number };
    const alice = link(`ws://127.0.0.1:${port}`);
    expect(await codeOf(alice.query(['r']))).toBe(ErrorCode.RELAY_UNREACHABLE);
    expect(await alice.query(['r'])).toEqual([{ room: 'r', exists: false, members: 0, destroyDelay: 0 }]);
    expect(connections).toBe(2);
  });
});

describe('media signaling over the link [R-31]', () => {
  it('[R-31] a signal sent while the link is still opening arrives once it is open (a lost play request cost the player its 12 s timeout)', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const publisher = link(relay.url);
    const player = link(relay.url);
    const heard: MediaSignal[] = [];
    const publisherChannel = new SignalChannel(publisher, room, null, '2002', (signal) => heard.push(signal));
    await publisher.whenOpen();
    // The player's link has not opened yet: its socket is connecting as the request goes out.
    expect(player.isOpen).toBe(false);
    const playerChannel = new SignalChannel(player, room, null, '1001', () => {});
    playerChannel.send({ t: 'play', from: '1001', to: '2002', stream: 'camera', conn: 'c-1' });
    await until(() => heard.length > 0, { what: 'the play request to arrive' });
    expect(heard).toEqual([{ t: 'play', from: '1001', to: '2002', stream: 'camera', conn: 'c-1' }]);
    publisherChannel.close();
    playerChannel.close();
  });
});
