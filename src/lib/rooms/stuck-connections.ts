/**
 * Unsticks y-webrtc connections that will never carry anything.
 *
 * When two members announce themselves at the same moment — both entering at once, or both
 * coming back after an outage — each starts a connection to the other ("glare"), and y-webrtc
 * 10.3 can end in one of two dead states: both data channels open but each side sends on the
 * one it created and listens to neither (simple-peer's initiator ignores incoming channels),
 * or one side waits for an answer while the other waits for an offer. Either way the pair
 * never syncs, and y-webrtc ignores later announces from a peer it still has a connection to.
 * Between two of our clients the announce gate (announce-gate.ts) keeps this from happening;
 * this remains the way out with peers that do not gate (stock y-webrtc) and for connections
 * stuck for any other reason (an offer lost with a relay that went down).
 *
 * So a connection that has not connected *and received data* some seconds after it appeared
 * is destroyed (a live one receives sync and awareness messages at once; y-webrtc's own
 * `synced` flag cannot tell, as it is only set while the whole room is unsynced): y-webrtc then forgets it and announces itself again, and a fresh attempt starts.
 * Each connection gets its own random grace, so the two ends rarely give up at the same moment
 * (which would only make them race again); the one that gives up first announces, and the other
 * answers once its own attempt is given up too.
 */

/** The part of y-webrtc's WebrtcConn this looks at. */
interface WebrtcConnLike {
  connected: boolean;
  closed: boolean;
  /** simple-peer: a stream that emits what arrives as `data`. */
  peer: { destroy(): void; once(event: 'data', listener: () => void): unknown };
}

const BASE_GRACE_MS = 8000;
const JITTER_MS = 6000;

export class StuckConnectionWatchdog {
  /** When each connection was first seen, and how long it may take. */
  readonly #deadlines = new WeakMap<object, number>();
  /** Connections something has arrived on. */
  readonly #heard = new WeakSet<object>();
  readonly #random: () => number;
  /** Connections given up so far (for logs and tests). */
  given = 0;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** `room` is y-webrtc's Room (provider.room); anything else is ignored. */
  check(room: unknown, now: number): void {
    const conns = (room as { webrtcConns?: unknown } | null)?.webrtcConns;
    if (!(conns instanceof Map)) return;
    for (const conn of conns.values() as IterableIterator<WebrtcConnLike>) {
      if (typeof conn !== 'object' || conn === null) continue;
      let deadline = this.#deadlines.get(conn);
      if (deadline === undefined) {
        deadline = now + BASE_GRACE_MS + this.#random() * JITTER_MS;
        this.#deadlines.set(conn, deadline);
        conn.peer.once('data', () => this.#heard.add(conn));
      }
      if (conn.closed || (conn.connected && this.#heard.has(conn)) || now < deadline) continue;
      this.given++;
      conn.peer.destroy();
    }
  }
}
