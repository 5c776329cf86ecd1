/**
 * Entering a room ("create it if missing": enterRoom, switchRoom) on y-webrtc's own socket:
 * y-webrtc's subscription to the room is replaced by the presence request `room-enter`, and its
 * announce goes right behind it instead of waiting for the answer.
 *
 * Why: the answer decides creation, host, password and the room's incarnation, so it must come
 * before the room hears of the member. Asked on the client's own socket (relay-link.ts) with
 * y-webrtc's messages held meanwhile (subscription-hold.ts), every member paid a relay round
 * trip before it could announce — most of what kept eight members entering together slower
 * than stock y-webrtc (BENCHMARKS.md "Room client").
 *
 * Why the announce may go before the answer: the relay handles a connection's frames in order,
 * `room-enter` subscribes the socket only if the member may enter, and a publish on a topic the
 * socket is not subscribed to is refused (signaling/relay.ts). So the room hears the announce
 * only after the member was let in, and a refused member's announce reaches nobody.
 *
 * Only on a relay known to speak presence: ours says so in the first frame of every connection
 * (`hello`, signaling/protocol.ts). A stock y-webrtc server would forward the announce to the
 * room while ignoring `room-enter`, so the offers that come back would be lost. Until the
 * socket's relay is known, the announce waits; a `ping` sent then tells a stock server (its
 * `pong` comes with no `hello` before it), and there the plain subscription goes out with it.
 */
import { ErrorCode, RoomError } from './errors.js';
import { enteredRoom, type EnteredRoom, type EnterMode, type Reply } from './relay-link.js';
import type { SignalingSocket } from './room-provider.js';
import { interceptRoom } from './subscription-hold.js';

/** What the relay is asked besides the room (as RelayLink.enter takes it). */
export interface EnterTerms {
  mode: EnterMode;
  destroyDelay: number;
  keyCheck?: string;
  incarnation?: string;
}

type RelayKind = 'unknown' | 'presence' | 'stock';

/**
 * What a socket's relay is, learned from what it sends: `hello` (or any presence reply) on the
 * current connection means ours; a `pong` with no `hello` before it means a stock server.
 * Forgotten when the connection is lost (the next one may reach another relay).
 *
 * It must watch from before the socket's first connection, or it could take our relay's first
 * `pong` for a stock server's: Room.start calls it right after creating the provider, and
 * y-webrtc's socket is created with the tab's first room and opens asynchronously.
 */
class RelayWatch {
  kind: RelayKind = 'unknown';
  readonly #learned = new Set<() => void>();

  constructor(socket: SignalingSocket) {
    socket.on('message', ({ type }) => {
      if (this.kind !== 'unknown') return;
      if (type === 'hello' || type === 'room-entered' || type === 'room-error' || type === 'room-info') this.#learn('presence');
      else if (type === 'pong') this.#learn('stock');
    });
    socket.on('disconnect', () => (this.kind = 'unknown'));
  }

  onLearned(listener: () => void): () => void {
    this.#learned.add(listener);
    return () => this.#learned.delete(listener);
  }

  #learn(kind: RelayKind): void {
    this.kind = kind;
    for (const listener of [...this.#learned]) listener();
  }
}

const watches = new WeakMap<SignalingSocket, RelayWatch>();

/** Starts learning what `socket`'s relay is (once per socket; see RelayWatch). */
export function watchRelay(socket: SignalingSocket): RelayWatch {
  let watch = watches.get(socket);
  if (!watch) watches.set(socket, (watch = new RelayWatch(socket)));
  return watch;
}

let nextRequest = 1;

/**
 * One member entering one room this way. `answer` settles like RelayLink.enter: the relay's
 * answer, null on a stock server (the room is entered without presence), a RoomError for a
 * refusal, RELAY_UNREACHABLE when nothing comes in time.
 */
export class SignalingEnter {
  readonly answer: Promise<EnteredRoom | null>;
  readonly #roomId: string;
  #terms: EnterTerms | null = null;
  #resolve!: (entered: EnteredRoom | null) => void;
  #reject!: (error: RoomError) => void;
  readonly #timer: ReturnType<typeof setTimeout>;
  /**
   * Where this round stands: waiting for y-webrtc to subscribe (again, after a lost
   * connection), deciding (its publishes held), asked (they pass), or done.
   */
  #phase: 'subscribe' | 'deciding' | 'asked' | 'done' = 'subscribe';
  #held: unknown[] = [];
  #send: ((message: unknown) => void) | null = null;
  #requestId = '';
  #watch: RelayWatch | null = null;
  #detach: (() => void)[] = [];

  constructor(roomId: string, terms: Promise<EnterTerms>, timeoutMs: number) {
    this.#roomId = roomId;
    this.answer = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(() => this.#fail(new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay did not answer', roomId)), timeoutMs);
    terms.then(
      (value) => {
        this.#terms = value;
        this.#proceed();
      },
      (error: unknown) => this.#fail(error instanceof RoomError ? error : new RoomError(ErrorCode.RELAY_UNREACHABLE, String(error), roomId)),
    );
  }

  /** Takes over y-webrtc's subscription to the room on `socket`: call before y-webrtc subscribes. */
  attach(socket: SignalingSocket): void {
    if (this.#phase === 'done') return;
    const watch = (this.#watch = watchRelay(socket));
    const onMessage = (message: { type?: string }) => this.#onMessage(message as Reply);
    const onDisconnect = () => {
      // The request or the held messages died with the connection; y-webrtc subscribes the
      // room again on the next one, and that starts a new round.
      if (this.#phase !== 'done') this.#phase = 'subscribe';
    };
    socket.on('message', onMessage);
    socket.on('disconnect', onDisconnect);
    this.#detach = [
      interceptRoom(socket, this.#roomId, {
        subscribe: (send) => {
          this.#phase = 'deciding';
          this.#held = [];
          this.#send = send;
          // A stock server says nothing until asked; ours has sent `hello` first.
          if (watch.kind === 'unknown') send({ type: 'ping' });
          this.#proceed();
        },
        publish: (message, send) => {
          if (this.#phase === 'asked') send(message);
          else this.#held.push(message);
        },
      }),
      watch.onLearned(() => this.#proceed()),
      () => socket.off('message', onMessage),
      () => socket.off('disconnect', onDisconnect),
    ];
  }

  /** The room is left before the answer came. */
  cancel(): void {
    this.#fail(new RoomError(ErrorCode.RELAY_UNREACHABLE, 'left before the relay answered', this.#roomId));
  }

  /** Asks the relay once the terms, y-webrtc's subscription and what the relay is are all known. */
  #proceed(): void {
    const send = this.#send;
    const kind = this.#watch?.kind ?? 'unknown';
    if (this.#phase !== 'deciding' || this.#terms === null || kind === 'unknown' || send === null) return;
    const held = this.#held;
    this.#held = [];
    if (kind === 'stock') {
      send({ type: 'subscribe', topics: [this.#roomId] });
      for (const message of held) send(message);
      this.#finish();
      this.#resolve(null);
      return;
    }
    this.#phase = 'asked';
    this.#requestId = `enter-${nextRequest++}`;
    send({ type: 'room-enter', id: this.#requestId, room: this.#roomId, ...this.#terms });
    for (const message of held) send(message);
  }

  #onMessage(reply: Reply): void {
    if (this.#phase !== 'asked' || reply.id !== this.#requestId) return;
    if (reply.type !== 'room-entered' && reply.type !== 'room-error') return;
    let entered: EnteredRoom;
    try {
      entered = enteredRoom(this.#roomId, reply);
    } catch (error) {
      this.#fail(error as RoomError);
      return;
    }
    this.#finish();
    this.#resolve(entered);
  }

  #fail(error: RoomError): void {
    if (this.#phase === 'done') return;
    this.#finish();
    this.#reject(error);
  }

  /** From now on y-webrtc's messages about the room pass untouched (a reconnect subscribes plainly). */
  #finish(): void {
    this.#phase = 'done';
    clearTimeout(this.#timer);
    for (const detach of this.#detach) detach();
    this.#detach = [];
    this.#held = [];
  }
}
