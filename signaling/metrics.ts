/**
 * Counters behind `GET /metrics` (Prometheus text format) and `GET /healthz`.
 * Plain numbers, bumped on the hot path; rendering happens only when scraped.
 */
import { FRAME_ERROR_CODES, type FrameErrorCode } from './protocol.js';

/** A refused frame is counted under the same code the client is told. */
export type DropReason = FrameErrorCode;

const DISCONNECT_REASONS = [
  'frame-too-large',
  'binary-frame',
  'protocol-error',
  'rate-limit',
  'slow-consumer',
  'heartbeat-timeout',
  'shutdown',
] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

const REJECT_REASONS = ['origin', 'token', 'capacity', 'shutdown'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Every labelled series starts at 0, so a dashboard or alert sees it before its first event. */
function zeroed<K extends string>(keys: readonly K[]): Map<K, number> {
  return new Map(keys.map((key) => [key, 0]));
}

export class RelayMetrics {
  readonly startedAt = Date.now();
  connectionsTotal = 0;
  messagesIn = 0;
  /** One per frame written to a receiver (a publish to 5 subscribers counts 5). */
  messagesOut = 0;
  bytesIn = 0;
  errors = 0;
  readonly drops = zeroed<DropReason>(FRAME_ERROR_CODES);
  readonly disconnects = zeroed(DISCONNECT_REASONS);
  readonly rejects = zeroed(REJECT_REASONS);

  countDrop(reason: DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  countDisconnect(reason: DisconnectReason): void {
    this.disconnects.set(reason, (this.disconnects.get(reason) ?? 0) + 1);
  }

  countReject(reason: RejectReason): void {
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1);
  }
}

export interface RelayGauges {
  connections: number;
  topics: number;
  lingeringRooms: number;
}

/** What /metrics shows of the link to Redis, when the relay has one. */
export interface RedisGauges {
  state: 'connecting' | 'connected' | 'disconnected' | 'closed';
  published: number;
  received: number;
  failures: number;
}

export function renderPrometheus(metrics: RelayMetrics, gauges: RelayGauges, redis?: RedisGauges): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const labelled = (label: string, counts: Map<string, number>): [string, number][] =>
    [...counts].map(([key, value]) => [`{${label}="${key}"}`, value]);

  metric('relay_connections', 'gauge', 'Open WebSocket connections.', [['', gauges.connections]]);
  metric('relay_topics', 'gauge', 'Rooms (topics) that exist, including those waiting out a destroyDelay.', [['', gauges.topics]]);
  metric('relay_lingering_rooms', 'gauge', 'Rooms with no member kept alive by a destroyDelay.', [['', gauges.lingeringRooms]]);
  metric('relay_connections_total', 'counter', 'WebSocket connections accepted.', [['', metrics.connectionsTotal]]);
  metric('relay_messages_in_total', 'counter', 'Frames received from clients.', [['', metrics.messagesIn]]);
  metric('relay_messages_out_total', 'counter', 'Frames sent to clients (one per receiver).', [['', metrics.messagesOut]]);
  metric('relay_bytes_in_total', 'counter', 'Payload bytes received from clients.', [['', metrics.bytesIn]]);
  metric('relay_dropped_messages_total', 'counter', 'Frames refused, by reason.', labelled('reason', metrics.drops));
  metric('relay_disconnects_total', 'counter', 'Connections closed by the relay, by reason.', labelled('reason', metrics.disconnects));
  metric('relay_rejected_upgrades_total', 'counter', 'WebSocket upgrades refused, by reason.', labelled('reason', metrics.rejects));
  metric('relay_errors_total', 'counter', 'Unexpected errors (socket errors, failed sends).', [['', metrics.errors]]);
  metric('relay_uptime_seconds', 'gauge', 'Seconds since the relay started.', [['', Math.round((Date.now() - metrics.startedAt) / 1000)]]);
  if (redis) {
    metric('relay_redis_connected', 'gauge', 'Whether both connections to Redis are up (1) or not (0).', [['', redis.state === 'connected' ? 1 : 0]]);
    metric('relay_redis_published_total', 'counter', 'Publishes handed to the other relays through Redis.', [['', redis.published]]);
    metric('relay_redis_received_total', 'counter', 'Publishes received from other relays through Redis.', [['', redis.received]]);
    metric('relay_redis_failures_total', 'counter', 'Redis commands that failed (requests then answered from this relay alone).', [['', redis.failures]]);
  }
  return lines.join('\n') + '\n';
}
