/**
 * Load generator process for the relay benchmark, driven by run.ts over IPC (see messages.ts).
 * Opens raw WebSocket clients (wire.ts) in rooms, keeps a closed-loop window of publishes in
 * flight per client, and reports counters together with its own and the server's CPU time.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectCommand, LoadCommand, LoadEvent } from './messages.js';
import { counters, RawClient } from './wire.js';
import { cpuTicks, cpuTimes, machineTicks, syscalls } from './proc.js';
import { latencySummary, resetLatency } from './latency.js';

/** Nothing here should outlive the benchmark, even if the driver forgets us. */
const SELF_DESTRUCT_MS = 240_000;

const clients: RawClient[] = [];
let windowSize = 1;
/** The open-loop pacer (start-rate), while it runs. */
let pacer: NodeJS.Timeout | null = null;
let skippedPublishes = 0;
/** Sending further behind than this is given up (and counted), so a stall cannot snowball. */
const MAX_BACKLOG_SECONDS = 1;

function send(event: LoadEvent): void {
  process.send?.(event);
}

function roomName(prefix: string, room: number): string {
  return `${prefix}${String(room).padStart(5, '0')}`;
}

async function connectAll(cmd: ConnectCommand): Promise<LoadEvent> {
  windowSize = cmd.window;
  const total = cmd.rooms * cmd.roomSize;
  const started = performance.now();
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let open = 0;
  let failed = 0;
  let firstError: string | null = null;
  return new Promise((resolve) => {
    const finish = () =>
      resolve({ ev: 'connected', open, failed, firstError, ms: Math.round(performance.now() - started) });
    const deadline = setTimeout(() => {
      firstError ??= `connect phase timed out after ${cmd.timeoutMs} ms`;
      failed += total - done;
      next = total;
      finish();
    }, cmd.timeoutMs);
    const launch = () => {
      while (inFlight < cmd.concurrency && next < total) {
        const index = next++;
        inFlight++;
        const member = index % cmd.roomSize;
        const ports = cmd.ports ?? [cmd.port];
        clients.push(
          new RawClient({
            port: ports[member % ports.length],
            // Each relay appends the count of the room's members it has itself.
            echoClients: membersOnSameRelay(member, cmd.roomSize, ports.length),
            stamped: cmd.stamped ?? false,
            topic: roomName(cmd.topicPrefix, Math.floor(index / cmd.roomSize)),
            marker: 0x41 + member, // 'A', 'B', …
            roomSize: cmd.roomSize,
            frameBytes: cmd.frameBytes,
            window: cmd.window,
            handshakeTimeoutMs: 15_000,
            onSettled: (ok, error) => {
              inFlight--;
              done++;
              if (ok) open++;
              else {
                failed++;
                firstError ??= error;
              }
              if (done === total) {
                clearTimeout(deadline);
                finish();
              } else {
                launch();
              }
            },
          }),
        );
      }
    };
    launch();
  });
}

function membersOnSameRelay(member: number, roomSize: number, relays: number): number {
  let count = 0;
  for (let other = 0; other < roomSize; other++) if (other % relays === member % relays) count++;
  return count;
}

/**
 * Sends stamped publishes at a steady total rate, one client after the other. Every tick
 * sends what is due by the clock, so a late timer is caught up rather than lost (no
 * coordinated omission), up to MAX_BACKLOG_SECONDS.
 */
function startPacer(publishesPerSecond: number): void {
  const started = performance.now();
  let sent = 0;
  let next = 0;
  const tick = () => {
    const due = Math.floor(((performance.now() - started) / 1000) * publishesPerSecond);
    if (due - sent > publishesPerSecond * MAX_BACKLOG_SECONDS) {
      skippedPublishes += due - sent;
      sent = due;
    }
    for (; sent < due; sent++) {
      for (let tries = 0; tries < clients.length; tries++) {
        const client = clients[next];
        next = (next + 1) % clients.length;
        if (client.ready) {
          client.publishStamped();
          break;
        }
      }
    }
  };
  pacer = setInterval(tick, 2);
}

function outstanding(): number {
  let sum = 0;
  for (const client of clients) sum += client.outstanding;
  return sum;
}

async function handle(cmd: LoadCommand): Promise<void> {
  switch (cmd.cmd) {
    case 'connect':
      send(await connectAll(cmd));
      return;
    case 'start':
      RawClient.sending = true;
      for (const client of clients) client.publish(windowSize);
      send({ ev: 'started' });
      return;
    case 'start-rate':
      startPacer(cmd.publishesPerSecond);
      send({ ev: 'started' });
      return;
    case 'latency-reset':
      resetLatency();
      send({ ev: 'latency', ...latencySummary() });
      return;
    case 'latency':
      send({ ev: 'latency', ...latencySummary() });
      return;
    case 'snapshot': {
      // Read everything back to back so counters and CPU times describe the same instant.
      const atMs = performance.now();
      const server = cpuTimes(cmd.serverPid);
      const otherTicks = (cmd.otherPids ?? []).map((pid) => cpuTicks(pid));
      const serverCalls = syscalls(cmd.serverPid);
      const selfTicks = cpuTicks('self');
      const machine = machineTicks();
      send({
        ev: 'snapshot',
        atMs,
        counters: { ...counters },
        serverTicks: server.user + server.system,
        serverSystemTicks: server.system,
        serverReadCalls: serverCalls.reads,
        serverWriteCalls: serverCalls.writes,
        selfTicks,
        machineBusyTicks: machine.busy,
        machineTotalTicks: machine.total,
        otherTicks,
        skippedPublishes,
      });
      return;
    }
    case 'stop': {
      RawClient.sending = false;
      if (pacer) clearInterval(pacer);
      pacer = null;
      const until = performance.now() + cmd.drainMs;
      while (outstanding() > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
      send({ ev: 'stopped', outstanding: outstanding(), counters: { ...counters } });
      return;
    }
    case 'close':
      for (const client of clients) client.close();
      process.disconnect?.();
      setTimeout(() => process.exit(0), 50);
      return;
  }
}

process.on('message', (message: LoadCommand) => {
  handle(message).catch((err: unknown) => {
    send({ ev: 'fatal', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  });
});
// The driver went away (crash, Ctrl-C): stop at once, which closes every socket.
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), SELF_DESTRUCT_MS).unref();
