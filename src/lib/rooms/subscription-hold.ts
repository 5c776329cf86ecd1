/**
 * Lets y-webrtc open its signaling socket while the relay is still deciding whether this
 * member may enter, without telling the relay anything about the room before it has decided.
 *
 * Why: the relay's answer depends on being first: whoever enters an empty room creates it,
 * becomes its host and fixes its incarnation (its life, local-history.ts), and a subscription
 * from y-webrtc arriving earlier would create the room instead. When the request goes on the
 * client's own socket (relay-link.ts: createRoom, joinRoom, and any socket that is not the one
 * entering), y-webrtc's must wait for the answer. (enterRoom asks on y-webrtc's socket itself,
 * signaling-enter.ts, through `interceptRoom` below.)
 *
 * So the provider is created at once and its socket connects alongside the presence request,
 * but what y-webrtc sends about the room — the `subscribe` for its topic and the `publish`es on
 * it (its announce) — is held here until the relay's answer is in:
 * - `release()`: a socket that is connected sends the subscription now, then the held
 *   messages in their order; one that is not yet connected sends nothing, since y-webrtc
 *   subscribes and announces every room of the tab when its socket connects;
 * - `drop()` (the relay said no): the held messages are forgotten; the room is then stopped.
 *
 * The socket is y-webrtc's (shared by the tab's rooms, lib0 WebsocketClient): its `send` is
 * wrapped once, like the announce gate wraps its `emit` (announce-gate.ts), and what it sends
 * about a room goes to whoever took the room over. Topics of other rooms pass untouched, also
 * when one `subscribe` lists several.
 */

/** The part of a signaling socket that holding uses: y-webrtc sends JSON messages with it. */
export interface HoldableSocket {
  readonly connected: boolean;
  send(message: unknown): void;
}

export interface SubscriptionHold {
  release(): void;
  drop(): void;
}

/**
 * Whoever takes over what y-webrtc's socket sends about one room (the hold below, or
 * signaling-enter.ts). The wrapped socket hands it the room's `subscribe` (the room opened,
 * or the socket (re)connected: a new round of announcing starts) and every `publish` on the
 * room's topic; `send` reaches the relay directly.
 */
export interface RoomInterceptor {
  subscribe(send: (message: unknown) => void): void;
  publish(message: unknown, send: (message: unknown) => void): void;
}

/** Per socket: the rooms taken over on it. */
const intercepted = new WeakMap<HoldableSocket, Map<string, RoomInterceptor>>();

type Message = { type?: unknown; topic?: unknown; topics?: unknown };

/**
 * Routes what `socket` sends about `topic` to `interceptor` until the returned function is
 * called; everything else (other rooms, pings) passes untouched, also when one `subscribe`
 * lists several rooms.
 */
export function interceptRoom(socket: HoldableSocket, topic: string, interceptor: RoomInterceptor): () => void {
  const topics = wrapSend(socket);
  topics.set(topic, interceptor);
  return () => {
    if (topics.get(topic) === interceptor) topics.delete(topic);
  };
}

/** Holds what `socket` would send about `topic` until the returned hold is released or dropped. */
export function holdSubscription(socket: HoldableSocket, topic: string): SubscriptionHold {
  /** Whether y-webrtc asked to subscribe (since the socket's last connect), and its publishes since. */
  let subscribe = false;
  let messages: unknown[] = [];
  const end = interceptRoom(socket, topic, {
    subscribe() {
      // A new round of announcing: what was held before it is stale.
      subscribe = true;
      messages = [];
    },
    publish(message) {
      messages.push(message);
    },
  });
  return {
    release() {
      end();
      if (!subscribe || !socket.connected) return;
      socket.send({ type: 'subscribe', topics: [topic] });
      for (const message of messages) socket.send(message);
    },
    drop: end,
  };
}

function wrapSend(socket: HoldableSocket): Map<string, RoomInterceptor> {
  const existing = intercepted.get(socket);
  if (existing) return existing;
  const topics = new Map<string, RoomInterceptor>();
  intercepted.set(socket, topics);
  const send = socket.send.bind(socket);
  socket.send = (message: unknown) => {
    const { type, topic, topics: listed } = (message ?? {}) as Message;
    if (type === 'subscribe' && Array.isArray(listed) && listed.some((name) => topics.has(name))) {
      const rest = listed.filter((name) => !topics.has(name));
      if (rest.length > 0) send({ ...(message as object), topics: rest });
      for (const name of listed) topics.get(name)?.subscribe(send);
      return;
    }
    const interceptor = type === 'publish' && typeof topic === 'string' ? topics.get(topic) : undefined;
    if (interceptor) interceptor.publish(message, send);
    else send(message);
  };
  return topics;
}
