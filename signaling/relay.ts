/**
 * The signaling relay: y-webrtc's pub/sub protocol plus room presence, hardened [R-70..R-72].
 *
 * `createRelay()` is not bound to a port: it handles WebSocket upgrades and the two HTTP
 * endpoints for whatever server hosts it (standalone in listen.ts, next to the app in
 * server/start.ts).
 *
 * With `redisUrl`, several relay processes behave as one [R-73] (cluster/): publishes also go
 * to the other relays, and room requests are decided in Redis. Without it nothing of that
 * runs: the only cost on the standalone path is a few `cluster !== null` checks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { resolveRelayOptions, type RelayOptions } from './options.js';
import { HELLO, parseClientMessage, type ClientMessage, type FrameErrorCode, type ServerMessage } from './protocol.js';
import { TokenBucket } from './rate-limit.js';
import { RoomRegistry } from './rooms.js';
import { RelayMetrics, renderPrometheus, type DisconnectReason } from './metrics.js';
import { admissionRefusal, rejectUpgrade } from './admission.js';
import { publishWireFrame } from './frame.js';
import { Cluster, type ClusterTuning } from './cluster/cluster.js';
import { HeldFrames } from './held-frames.js';
import { createRoomRequests, type RoomTerms } from './room-requests.js';

/** WebSocket close codes the relay uses; each says why in its reason text too. */
export const CloseCode = {
  /** Relay shutting down (SIGTERM): reconnect, possibly elsewhere. */
  GOING_AWAY: 1001,
  /** Binary frames are not part of the protocol. */
  UNSUPPORTED_DATA: 1003,
  /** Rate limit exceeded after a full burst of refused messages. */
  POLICY_VIOLATION: 1008,
  /** Frame over maxFrameBytes (sent by ws itself). */
  MESSAGE_TOO_BIG: 1009,
} as const;

export interface RelayStats {
  connections: number;
  /** Topics (rooms) this process holds; with Redis, other relays' rooms are not counted. */
  topics: number;
  lingeringRooms: number;
  messagesIn: number;
  messagesOut: number;
}

export interface Relay {
  /** Takes over an HTTP upgrade request; refuses it (403/401/503) when admission fails. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Serves `GET /healthz` and `GET /metrics`; returns false for any other request. */
  handleHttpRequest(req: IncomingMessage, res: ServerResponse): boolean;
  stats(): RelayStats;
  /** Closes every client with 1001 so they reconnect elsewhere, then stops the timers. */
  close(): Promise<void>;
  readonly options: Readonly<RelayOptions>;
}

/** One client WebSocket and what the relay tracks about it. */
class Connection {
  readonly topics = new Set<string>();
  alive = true;
  /** Whether the socket is corked until the end of this event-loop turn (see #send). */
  corked = false;
  /** Set after telling the client it is rate limited, so a flood gets one notice, not one per frame. */
  toldRateLimited = false;
  /**
   * Set while a room request of this connection waits for Redis: the frames that arrive
   * meanwhile wait too, so the relay still handles each connection's frames in order (an
   * `unsubscribe` right after a `room-enter` must not overtake it).
   */
  held: HeldFrames | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly socket: Duplex,
    readonly bucket: TokenBucket,
  ) {}
}

const TEXT_FRAME = { binary: false } as const;
const CLOSE_GRACE_MS = 1000;
export function createRelay(partialOptions: Partial<RelayOptions> = {}, clusterTuning: Partial<ClusterTuning> = {}): Relay {
  const options = resolveRelayOptions(partialOptions);
  const metrics = new RelayMetrics();
  const rooms = new RoomRegistry<Connection>({ maxDelayedRooms: options.maxDelayedRooms });
  const connections = new Set<Connection>();
  const cluster =
    options.redisUrl === ''
      ? null
      : new Cluster(options.redisUrl, clusterTuning, {
          localRooms: () => rooms.snapshot(),
          deliver: deliverFromCluster,
          adopt: (topic, destroyDelay, keyCheck, incarnation) => rooms.adopt(topic, destroyDelay, keyCheck, incarnation),
        });
  const roomRequests = createRoomRequests<Connection>({
    options,
    rooms,
    cluster,
    reply,
    join: addMember,
    isOpen: (conn) => conn.ws.readyState === WebSocket.OPEN,
    pause: (conn) => (conn.held = new HeldFrames()),
    resume: resumeFrames,
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    clientTracking: false,
    perMessageDeflate: false,
  });

  // Sockets corked during this turn of the event loop, uncorked together in one setImmediate so
  // that all frames a receiver gets in one turn leave in one write (one syscall), not one each.
  let corkedConnections: Connection[] = [];
  let flushScheduled = false;
  let closing = false;

  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (conn.ws.readyState !== WebSocket.OPEN) continue;
      if (!conn.alive) {
        drop(conn, 'heartbeat-timeout');
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, options.heartbeatIntervalMs);
  heartbeat.unref();

  // One listener shared by every socket (not a closure each): idle connections stay small.
  const countSocketError = () => metrics.errors++;

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', countSocketError);
    const refusal = closing
      ? ({ status: 503, reason: 'shutdown', message: 'relay is shutting down' } as const)
      : admissionRefusal(req, options, connections.size);
    if (refusal) {
      metrics.countReject(refusal.reason);
      rejectUpgrade(socket, refusal.status, refusal.message);
      return;
    }
    // ws completes the handshake synchronously (no async verifyClient), so the connection is
    // counted before the next upgrade is looked at and a burst cannot overshoot maxConnections.
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, socket));
  }

  function accept(ws: WebSocket, socket: Duplex): void {
    const conn = new Connection(ws, socket, new TokenBucket(options.rateLimitPerSecond, options.rateLimitBurst, Date.now()));
    connections.add(conn);
    metrics.connectionsTotal++;
    ws.on('message', (data, isBinary) => onFrame(conn, data as Buffer, isBinary));
    ws.on('pong', () => (conn.alive = true));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already closed the socket with the right code; record why.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.countDisconnect('frame-too-large');
      else if (err.code?.startsWith('WS_ERR_')) metrics.countDisconnect('protocol-error');
      else metrics.errors++;
    });
    ws.on('close', () => {
      connections.delete(conn);
      for (const topic of conn.topics) removeMember(conn, topic);
      conn.topics.clear();
      conn.held = null;
    });
    reply(conn, HELLO);
  }

  function onFrame(conn: Connection, data: Buffer, isBinary: boolean): void {
    // ws keeps delivering frames that were already in flight after close() (rate limit, binary
    // frame, shutdown). Ignore them: otherwise every frame of a flood after the 1008 close
    // counted another rate-limit disconnect in /metrics (and could still be relayed).
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    metrics.messagesIn++;
    metrics.bytesIn += data.length;
    conn.alive = true;
    const decision = conn.bucket.take(Date.now());
    if (decision === 'disconnect') {
      disconnect(conn, 'rate-limit', CloseCode.POLICY_VIOLATION, 'rate limit exceeded');
      return;
    }
    if (decision === 'drop') {
      metrics.countDrop('rate-limited');
      if (!conn.toldRateLimited) {
        conn.toldRateLimited = true;
        // reply(), not refuse(): refuse() counts a drop too, and this frame was counted above.
        reply(conn, { type: 'error', code: 'rate-limited', message: `over ${options.rateLimitPerSecond} messages/s; messages are being dropped` });
      }
      return;
    }
    conn.toldRateLimited = false;
    if (isBinary) {
      disconnect(conn, 'binary-frame', CloseCode.UNSUPPORTED_DATA, 'binary frames are not supported');
      return;
    }
    if (conn.held !== null) return holdFrame(conn, conn.held, data);
    handleFrame(conn, data);
  }

  function handleFrame(conn: Connection, data: Buffer): void {
    const message = parseClientMessage(data.toString('utf8'));
    if (message.type === 'invalid') {
      metrics.countDrop(message.code);
      if (message.requestId !== undefined) {
        reply(conn, { type: 'room-error', id: message.requestId, room: message.room, code: 'INVALID_REQUEST', message: message.detail });
      } else {
        reply(conn, { type: 'error', code: message.code, message: message.detail });
      }
      return;
    }
    handleMessage(conn, message, data);
  }

  function handleMessage(conn: Connection, message: ClientMessage, received: Buffer): void {
    switch (message.type) {
      case 'subscribe': {
        // One refusal per frame: answering every invalid topic would turn one 64 KiB frame of
        // ~20,000 empty topics into ~20,000 error frames (a 25x amplification).
        let refusedInvalid = false;
        for (const topic of message.topics) {
          if (conn.topics.has(topic)) continue;
          if (!validTopic(topic)) {
            if (!refusedInvalid) refuse(conn, 'invalid-topic', `topic must be 1-${options.maxTopicLength} characters`);
            refusedInvalid = true;
          } else if (conn.topics.size >= options.maxTopicsPerConnection) {
            refuse(conn, 'too-many-topics', `at most ${options.maxTopicsPerConnection} topics per connection`);
            return;
          } else {
            addMember(conn, topic);
          }
        }
        return;
      }
      case 'unsubscribe':
        for (const topic of message.topics) {
          if (conn.topics.delete(topic)) removeMember(conn, topic);
        }
        return;
      case 'publish': {
        // Publishing needs a subscription: y-webrtc always subscribes first, and it keeps
        // strangers from spraying rooms they are not in.
        if (!conn.topics.has(message.topic)) {
          refuse(conn, 'not-subscribed', 'publish to a topic you are subscribed to');
          return;
        }
        const receivers = rooms.members(message.topic);
        if (!receivers) return;
        // One frame, serialized once, the same bytes for every receiver.
        const frame = publishWireFrame(received, receivers.size);
        for (const receiver of receivers) sendWireFrame(receiver, frame);
        if (cluster !== null) cluster.publish(message.topic, received);
        return;
      }
      case 'ping':
        reply(conn, { type: 'pong' });
        return;
      case 'room-query':
        roomRequests.query(conn, message);
        return;
      case 'room-enter':
        roomRequests.enter(conn, message);
        return;
    }
  }

  /** Subscribes a connection to a topic (a member of the room) on this relay. */
  function addMember(conn: Connection, topic: string, terms?: RoomTerms, countedInRedis = false): boolean {
    const firstHere = cluster !== null && rooms.members(topic) === undefined;
    const { created } = rooms.add(topic, conn, terms?.destroyDelay, terms?.keyCheck, terms?.incarnation);
    conn.topics.add(topic);
    if (cluster !== null) {
      if (firstHere) cluster.topicOpened(topic);
      if (!countedInRedis) cluster.memberJoined(topic, rooms.incarnation(topic)!);
    }
    return created;
  }

  /** The caller has taken the topic out of `conn.topics`, or is about to. */
  function removeMember(conn: Connection, topic: string): void {
    rooms.remove(topic, conn);
    if (cluster !== null) {
      cluster.memberLeft(topic);
      if (rooms.members(topic) === undefined) cluster.topicClosed(topic);
    }
  }

  /** Lets the frames that waited go through, in order, until one of them waits for Redis in turn. */
  function resumeFrames(conn: Connection): void {
    const held = conn.held;
    conn.held = null;
    if (held === null) return;
    for (let i = 0; i < held.frames.length; i++) {
      if (conn.ws.readyState !== WebSocket.OPEN) return;
      handleFrame(conn, held.frames[i]);
      const waiting = conn.held as HeldFrames | null;
      if (waiting !== null) {
        for (const frame of held.frames.slice(i + 1)) holdFrame(conn, waiting, frame);
        return;
      }
    }
  }

  function holdFrame(conn: Connection, held: HeldFrames, frame: Buffer): void {
    if (!held.hold(frame)) refuse(conn, 'rate-limited', 'too many frames while a room request is pending');
  }

  /** A publish that a client of another relay sent: one frame for all subscribers here. */
  function deliverFromCluster(topic: string, received: Buffer): void {
    const receivers = rooms.members(topic);
    if (!receivers) return;
    const frame = publishWireFrame(received, receivers.size);
    for (const receiver of receivers) sendWireFrame(receiver, frame);
  }

  function validTopic(topic: string): boolean {
    return topic.length > 0 && topic.length <= options.maxTopicLength;
  }

  function refuse(conn: Connection, code: FrameErrorCode, message: string): void {
    metrics.countDrop(code);
    reply(conn, { type: 'error', code, message });
  }

  function reply(conn: Connection, message: ServerMessage): void {
    send(conn, JSON.stringify(message));
  }

  function send(conn: Connection, text: string): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    corkUntilFlush(conn);
    conn.ws.send(text, TEXT_FRAME);
    metrics.messagesOut++;
  }

  /**
   * Writes a complete, prebuilt WebSocket frame straight to the socket. Safe next to ws's own
   * writes because, without an extension (perMessageDeflate is off), ws writes every frame to
   * the socket synchronously and whole, so frames never interleave; and nothing is written
   * once ws has started closing.
   */
  function sendWireFrame(conn: Connection, frame: Buffer): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    corkUntilFlush(conn);
    conn.socket.write(frame);
    metrics.messagesOut++;
  }

  function corkUntilFlush(conn: Connection): void {
    if (!conn.corked) {
      conn.corked = true;
      conn.socket.cork();
      corkedConnections.push(conn);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    }
  }

  function flush(): void {
    const batch = corkedConnections;
    corkedConnections = [];
    flushScheduled = false;
    for (const conn of batch) {
      conn.corked = false;
      conn.socket.uncork();
      // What the kernel would not take stays buffered here; a receiver that keeps falling
      // behind would grow it without bound, so it is dropped instead.
      if (conn.ws.bufferedAmount > options.maxBufferedBytes) drop(conn, 'slow-consumer');
    }
  }

  /** Closes with a code and reason the client can read. */
  function disconnect(conn: Connection, reason: DisconnectReason, code: number, text: string): void {
    metrics.countDisconnect(reason);
    conn.ws.close(code, text);
  }

  /** Cuts a connection that cannot be talked to any more (dead or backed up). */
  function drop(conn: Connection, reason: DisconnectReason): void {
    metrics.countDisconnect(reason);
    conn.ws.terminate();
  }

  function stats(): RelayStats {
    return {
      connections: connections.size,
      topics: rooms.size,
      lingeringRooms: rooms.lingeringCount,
      messagesIn: metrics.messagesIn,
      messagesOut: metrics.messagesOut,
    };
  }

  function handleHttpRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const redis = cluster?.status().state;
      // Without Redis the relay still serves its own clients: 200, so a load balancer keeps
      // sending them, but `degraded` for whoever watches.
      const body = JSON.stringify({
        status: closing ? 'shutting-down' : redis !== undefined && redis !== 'connected' ? 'degraded' : 'ok',
        uptimeSeconds: Math.round((Date.now() - metrics.startedAt) / 1000),
        ...stats(),
        ...(redis === undefined ? {} : { redis }),
      });
      res.writeHead(closing ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    if (path === '/metrics') {
      const gauges = { connections: connections.size, topics: rooms.size, lingeringRooms: rooms.lingeringCount };
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : renderPrometheus(metrics, gauges, cluster?.status()));
      return true;
    }
    return false;
  }

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    clearInterval(heartbeat);
    const closed = [...connections].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.ws.readyState === WebSocket.CLOSED) return resolve();
          conn.ws.once('close', () => resolve());
          disconnect(conn, 'shutdown', CloseCode.GOING_AWAY, 'relay shutting down');
        }),
    );
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all(closed), grace]);
    for (const conn of connections) conn.ws.terminate();
    rooms.clear();
    wss.close();
    await cluster?.close();
  }

  return { handleUpgrade, handleHttpRequest, stats, close, options };
}
