/**
 * Entering a room on y-webrtc's own socket (signaling-enter.ts) [R-3][R-71]: the subscription
 * becomes `room-enter` and the announce follows it at once on our relay; nothing about the
 * room goes out before the relay is known; a stock server gets the plain subscription.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalingEnter, watchRelay, type EnterTerms } from '../../src/lib/rooms/signaling-enter.js';
import type { SignalingSocket } from '../../src/lib/rooms/room-provider.js';
import { ErrorCode } from '../../src/lib/rooms/errors.js';
import { rejectionCode } from './support/error-code.js';

type Message = Record<string, unknown>;

/** A lib0-style socket: records what reaches the relay; the test plays the relay with `receive`. */
class FakeSocket implements SignalingSocket {
  connected = false;
  readonly sent: Message[] = [];
  readonly #listeners = new Map<string, Set<(...args: never[]) => void>>();

  send(message: unknown): void {
    this.sent.push(message as Message);
  }

  on(event: string, listener: (...args: never[]) => void): void {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(listener);
  }

  off(event: string, listener: (...args: never[]) => void): void {
    this.#listeners.get(event)?.delete(listener);
  }

  #emit(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) (listener as (...a: unknown[]) => void)(...args);
  }

  open(): void {
    this.connected = true;
    this.#emit('connect');
  }

  lose(): void {
    this.connected = false;
    this.#emit('disconnect');
  }

  receive(message: Message): void {
    this.#emit('message', message);
  }
}

const ROOM = 'room-a';
const TERMS: EnterTerms = { mode: 'any', destroyDelay: 0, keyCheck: 'check', incarnation: 'life-1' };
const subscribe = (...topics: string[]) => ({ type: 'subscribe', topics });
const announce = (from = 'me') => ({ type: 'publish', topic: ROOM, data: { type: 'announce', from } });
const HELLO = { type: 'hello', extensions: ['presence'] };

/** What y-webrtc does when its socket connects: subscribe its rooms, announce in each. */
function connectAndAnnounce(socket: FakeSocket, ...otherRooms: string[]): void {
  socket.open();
  socket.send(subscribe(...otherRooms, ROOM));
  socket.send(announce());
}

function entered(id: unknown, created = true): Message {
  return { type: 'room-entered', id, room: ROOM, created, members: 1, destroyDelay: 0, incarnation: 'life-1' };
}

describe('[R-71] entering on y-webrtc\'s socket', () => {
  let socket: FakeSocket;
  beforeEach(() => {
    vi.useFakeTimers();
    socket = new FakeSocket();
  });
  afterEach(() => vi.useRealTimers());

  function start(terms: Promise<EnterTerms> = Promise.resolve(TERMS)) {
    watchRelay(socket);
    const enter = new SignalingEnter(ROOM, terms, 5000);
    enter.attach(socket);
    return enter;
  }

  /** Our relay, connected and known (hello heard): y-webrtc subscribes the room, so it is asked. */
  async function askedOnOurRelay(): Promise<SignalingEnter> {
    socket.open();
    const enter = start();
    socket.receive(HELLO);
    await Promise.resolve();
    socket.send(subscribe(ROOM));
    return enter;
  }

  it('on our relay (hello already heard): room-enter in place of the subscription, the announce right behind, before any answer', async () => {
    const enter = await askedOnOurRelay();
    socket.send(announce());

    expect(socket.sent).toEqual([{ type: 'room-enter', id: expect.any(String), room: ROOM, ...TERMS }, announce()]);
    socket.receive(entered(socket.sent[0].id));
    await expect(enter.answer).resolves.toEqual({ room: ROOM, created: true, members: 1, destroyDelay: 0, incarnation: 'life-1' });

    // Answered: from now on y-webrtc's messages pass untouched, a resubscription too.
    socket.send(announce('again'));
    socket.send(subscribe(ROOM));
    expect(socket.sent.slice(2)).toEqual([announce('again'), subscribe(ROOM)]);
  });

  it('relay not yet known when y-webrtc subscribes (its socket just opened): holds the announce, asks with a ping; hello → room-enter, then the announce', async () => {
    const enter = start();
    await Promise.resolve();
    connectAndAnnounce(socket);
    expect(socket.sent).toEqual([{ type: 'ping' }]);

    socket.receive(HELLO);
    expect(socket.sent.slice(1)).toEqual([{ type: 'room-enter', id: expect.any(String), room: ROOM, ...TERMS }, announce()]);
    socket.receive({ type: 'pong' });
    socket.receive(entered(socket.sent[1].id, false));
    await expect(enter.answer).resolves.toMatchObject({ created: false });
  });

  it('a stock y-webrtc server (a pong, no hello): the plain subscription and the held announce; entered without presence', async () => {
    const enter = start();
    await Promise.resolve();
    connectAndAnnounce(socket, 'room-b');
    expect(socket.sent).toEqual([subscribe('room-b'), { type: 'ping' }]);

    socket.receive({ type: 'pong' });
    expect(socket.sent.slice(2)).toEqual([subscribe(ROOM), announce()]);
    await expect(enter.answer).resolves.toBeNull();
  });

  it('a refusal is the room error, and nothing else of the room was subscribed', async () => {
    const enter = await askedOnOurRelay();
    socket.receive({ type: 'room-error', id: socket.sent[0].id, room: ROOM, code: 'WRONG_PASSWORD', message: 'wrong password' });
    expect(await rejectionCode(enter.answer)).toBe(ErrorCode.WRONG_PASSWORD);
    expect(socket.sent.map((m) => m.type)).toEqual(['room-enter']);
  });

  it('waits for the terms (the password verifier being derived) before asking', async () => {
    socket.open();
    let provide!: (terms: EnterTerms) => void;
    const enter = start(new Promise((resolve) => (provide = resolve)));
    socket.receive(HELLO);
    socket.send(subscribe(ROOM));
    socket.send(announce());
    expect(socket.sent).toEqual([]);

    provide(TERMS);
    await Promise.resolve();
    expect(socket.sent.map((m) => m.type)).toEqual(['room-enter', 'publish']);
    socket.receive(entered(socket.sent[0].id));
    await expect(enter.answer).resolves.toMatchObject({ room: ROOM });
  });

  it('the connection lost before the answer: asked again on the next one, the old answer ignored', async () => {
    const enter = await askedOnOurRelay();
    const firstId = socket.sent[0].id;
    socket.lose();

    connectAndAnnounce(socket);
    // The relay is not known on the new connection until it says hello.
    expect(socket.sent.slice(1)).toEqual([{ type: 'ping' }]);
    socket.receive(HELLO);
    const secondId = socket.sent[2].id;
    expect(secondId).not.toBe(firstId);
    expect(socket.sent.slice(2)).toEqual([{ type: 'room-enter', id: secondId, room: ROOM, ...TERMS }, announce()]);

    socket.receive(entered(firstId));
    socket.receive(entered(secondId, false));
    await expect(enter.answer).resolves.toMatchObject({ created: false });
  });

  it('no answer in time is RELAY_UNREACHABLE; leaving before the answer ends it too', async () => {
    const slow = await askedOnOurRelay();
    const unanswered = rejectionCode(slow.answer);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await unanswered).toBe(ErrorCode.RELAY_UNREACHABLE);

    const left = start();
    left.cancel();
    expect(await rejectionCode(left.answer)).toBe(ErrorCode.RELAY_UNREACHABLE);
    // Ended: the room's messages pass again.
    socket.send(subscribe(ROOM));
    expect(socket.sent.at(-1)).toEqual(subscribe(ROOM));
  });
});
