/**
 * Lets y-webrtc open its signaling socket while the relay is still deciding whether this
 * member may enter, without telling the relay anything about the room before it has decided.
 *
 * Why: entering asks the relay first, on the client's own socket (relay-link.ts), because the
 * relay's answer depends on being first: whoever enters an empty room creates it, becomes its
 * host and fixes its incarnation (its life, local-history.ts), and a subscription from y-webrtc
 * arriving earlier would create the room instead. Done one after the other, a cold start paid
 * for two WebSocket handshakes in a row before any peer could be found (the awareness
 * benchmark, BENCHMARKS.md "Room client").
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
 * wrapped once, like the announce gate wraps its `emit` (announce-gate.ts). Topics of other
 * rooms pass untouched, also when one `subscribe` lists several.
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

interface Held {
  /** y-webrtc asked to subscribe the topic (since the socket's last connect). */
  subscribe: boolean;
  /** Its publishes on the topic since then, in order. */
  messages: unknown[];
}

/** Per socket: the topics held on it. */
const heldTopics = new WeakMap<HoldableSocket, Map<string, Held>>();

type Message = { type?: unknown; topic?: unknown; topics?: unknown };

/** Holds what `socket` would send about `topic` until the returned hold is released or dropped. */
export function holdSubscription(socket: HoldableSocket, topic: string): SubscriptionHold {
  const topics = wrapSend(socket);
  const held: Held = { subscribe: false, messages: [] };
  topics.set(topic, held);
  const end = () => {
    if (topics.get(topic) === held) topics.delete(topic);
  };
  return {
    release() {
      end();
      if (!held.subscribe || !socket.connected) return;
      socket.send({ type: 'subscribe', topics: [topic] });
      for (const message of held.messages) socket.send(message);
    },
    drop: end,
  };
}

function wrapSend(socket: HoldableSocket): Map<string, Held> {
  const existing = heldTopics.get(socket);
  if (existing) return existing;
  const topics = new Map<string, Held>();
  heldTopics.set(socket, topics);
  const send = socket.send.bind(socket);
  socket.send = (message: unknown) => {
    const { type, topic, topics: listed } = (message ?? {}) as Message;
    if (type === 'subscribe' && Array.isArray(listed) && listed.some((name) => topics.has(name))) {
      for (const name of listed) {
        const held = topics.get(name);
        // A subscription starts a new round of announcing (the socket (re)connected): what
        // was held before it is stale.
        if (held) Object.assign(held, { subscribe: true, messages: [] });
      }
      const rest = listed.filter((name) => !topics.has(name));
      if (rest.length > 0) send({ ...(message as object), topics: rest });
      return;
    }
    const held = type === 'publish' && typeof topic === 'string' ? topics.get(topic) : undefined;
    if (held) held.messages.push(message);
    else send(message);
  };
  return topics;
}
