/** IPC between the benchmark driver (run.ts) and a load generator process (loadgen.ts). */

import type { LatencySummary } from './latency.js';

export interface ConnectCommand {
  cmd: 'connect';
  port: number;
  /**
   * Several relays (on one Redis): member i of every room connects to ports[i % ports.length],
   * so every room spans all of them. `port` is ignored then.
   */
  ports?: number[];
  /** Publishes carry their send time; deliveries record their latency (scale benchmark). */
  stamped?: boolean;
  /** Rooms (topics); every room gets `roomSize` connections, each subscribed to that topic only. */
  rooms: number;
  roomSize: number;
  /** Handshakes (connect → 101 → subscribe → pong) in flight at once. */
  concurrency: number;
  /** Topic names are `${topicPrefix}${room, 5 digits}`. */
  topicPrefix: string;
  /** Size of one client→server publish frame, header included. */
  frameBytes: number;
  /** Own messages each client keeps in flight once started. */
  window: number;
  /** Give up on the whole connect phase after this long. */
  timeoutMs: number;
}

export type LoadCommand =
  | ConnectCommand
  /** Every client sends `window` publishes, then one more per own echo received. */
  | { cmd: 'start' }
  /** Open loop instead: stamped publishes at a steady total rate, from the clients in turn. */
  | { cmd: 'start-rate'; publishesPerSecond: number }
  /** Start a new latency histogram (the measurement window begins). */
  | { cmd: 'latency-reset' }
  /** Percentiles of the deliveries since the last reset. */
  | { cmd: 'latency' }
  /** Read counters and CPU times (this process, `serverPid` and `otherPids`) at one instant. */
  | { cmd: 'snapshot'; serverPid: number; otherPids?: number[] }
  /** Stop sending; wait up to `drainMs` for the messages in flight to come back. */
  | { cmd: 'stop'; drainMs: number }
  /** Close every socket and exit. */
  | { cmd: 'close' };

export interface Counters {
  /** Publish frames received, summed over all clients: the deliveries. */
  delivered: number;
  /** Of those, frames a client recognised as its own message coming back. */
  ownEchoes: number;
  /** Publish frames sent. */
  sent: number;
  /** Text frames that were neither a publish echo nor an expected pong (e.g. relay errors). */
  otherFrames: number;
  /** Server pings answered with a pong. */
  pingsAnswered: number;
  /** Socket reads (onread callbacks) in the load generator. */
  reads: number;
  /** Connections that closed or failed after they were ready. */
  lost: number;
  /** First unexpected thing seen, for the report. */
  firstProblem: string | null;
}

export interface Snapshot {
  /** performance.now() in the load generator, ms. */
  atMs: number;
  counters: Counters;
  /** utime + stime, clock ticks. */
  serverTicks: number;
  /** The stime part of serverTicks (kernel: syscalls, TCP). */
  serverSystemTicks: number;
  selfTicks: number;
  /** Read/write system calls of the server so far (/proc/<pid>/io): how well it batches. */
  serverReadCalls: number;
  serverWriteCalls: number;
  /** Whole machine (all CPUs), clock ticks: busy and busy + idle. */
  machineBusyTicks: number;
  machineTotalTicks: number;
  /** utime + stime of each of `otherPids`, clock ticks. */
  otherTicks: number[];
  /** Publishes the open-loop pacer could not send on time and skipped (the generator fell behind). */
  skippedPublishes: number;
}

export type LoadEvent =
  | { ev: 'connected'; open: number; failed: number; firstError: string | null; ms: number }
  | { ev: 'started' }
  | ({ ev: 'snapshot' } & Snapshot)
  | { ev: 'stopped'; outstanding: number; counters: Counters }
  | ({ ev: 'latency' } & LatencySummary)
  | { ev: 'fatal'; message: string };
