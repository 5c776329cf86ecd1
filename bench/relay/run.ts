/**
 * `npm run bench:relay`: our signaling relay against the stock y-webrtc server, same machine,
 * same load, in one run. Each server runs in its own process; the load comes from another.
 *
 * 1. Memory per idle connection: server RSS after start-up vs after N connections (default
 *    10,000) have each subscribed to one topic (rooms of 5) and things have settled.
 * 2. Deliveries per second at saturation: rooms of 5, ~400-byte publish frames, every client
 *    keeping a small window of its own messages in flight (closed loop). A delivery is one frame
 *    received by one client.
 * 3. Server CPU (utime + stime from /proc) per 100k deliveries over the measurement window.
 *
 * Prints a table and writes bench/results/relay-<timestamp>.json. See BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Snapshot } from './messages.js';
import { clockTicksPerSecond, machineTicks, openFilesLimit, rssKb } from './proc.js';
import {
  killAllChildren,
  LoadGenerator,
  REPO_ROOT,
  setPlacement,
  setShowServerOutput,
  sleep,
  startServer,
  type ServerKind,
} from './processes.js';

const TARGET_DELIVERY_RATIO = 2;
const TARGET_KB_PER_IDLE_CONNECTION = 8;
/** The whole run must end well within ~3 minutes; past this it is aborted. */
const WATCHDOG_MS = 200_000;
/** File descriptors a process needs besides its sockets (stdio, IPC, node internals, epoll…). */
const FD_HEADROOM = 200;

const { values: args } = parseArgs({
  options: {
    rooms: { type: 'string', default: '200' },
    'room-size': { type: 'string', default: '5' },
    window: { type: 'string', default: '4' },
    'frame-bytes': { type: 'string', default: '400' },
    warmup: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    'idle-connections': { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'both' },
    skip: { type: 'string', default: '' },
    'no-pin': { type: 'boolean', default: false },
    'no-nice': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'ours-node-args': { type: 'string', default: '' },
    'server-output': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(`Usage: npm run bench:relay -- [options]
  --rooms <n>             rooms in the throughput test (default 200)
  --room-size <n>         clients per room (default 5)
  --window <n>            own messages each client keeps in flight (default 4)
  --frame-bytes <n>       size of a publish frame, header included (default 400)
  --warmup <s>            seconds of load before measuring (default 3)
  --duration <s>          measurement window in seconds (default 10)
  --idle-connections <n>  connections in the memory test (default 10000)
  --concurrency <n>       handshakes in flight while connecting (default 200)
  --rounds <n>            throughput rounds per server, alternating servers; the median counts (default 3)
  --only ours|stock|both  which servers to measure (default both)
  --skip memory|throughput
  --no-pin                do not pin the server to CPU 0 and the load generator to CPU 1
  --no-nice               do not run servers and load generator at nice -10 (done only as root)
  --cpu-prof              run our relay with node --cpu-prof during the throughput test; the
                          profile goes to bench/results/cpu-prof-<timestamp>/ (summarise it with
                          tsx bench/relay/profile-summary.ts <file>)
  --ours-node-args=<flags>  extra node flags for our relay, e.g. --ours-node-args=--max-semi-space-size=64
  --server-output         pass the servers' stdout/stderr through (e.g. with --ours-node-args=--trace-deopt)`);
  process.exit(0);
}

function intArg(name: keyof typeof args, min: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got "${String(args[name])}"`);
    process.exit(2);
  }
  return value;
}

const config = {
  rooms: intArg('rooms', 1),
  roomSize: intArg('room-size', 1),
  window: intArg('window', 1),
  frameBytes: intArg('frame-bytes', 100),
  warmupS: intArg('warmup', 0),
  durationS: intArg('duration', 1),
  idleConnections: intArg('idle-connections', 5),
  concurrency: intArg('concurrency', 1),
  rounds: intArg('rounds', 1),
};
if (config.roomSize > 26) {
  console.error('--room-size must be at most 26 (one marker letter per room member)');
  process.exit(2);
}
const kinds: ServerKind[] = args.only === 'ours' ? ['ours'] : args.only === 'stock' ? ['stock'] : ['ours', 'stock'];
const skip = new Set(String(args.skip).split(',').filter(Boolean));

// Any way out kills the servers and the load generator.
process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\nbench:relay: ${signal}, stopping child processes`);
    killAllChildren();
    process.exit(130);
  });
}
setTimeout(() => {
  console.error(`bench:relay: still running after ${WATCHDOG_MS / 1000} s, aborting`);
  killAllChildren();
  process.exit(1);
}, WATCHDOG_MS).unref();

const CLK_TCK = clockTicksPerSecond();
setShowServerOutput(args['server-output']);
const STAMP = new Date().toISOString().replace(/[:.]/g, '-');
const OURS_NODE_ARGS = String(args['ours-node-args']).split(/\s+/).filter(Boolean);
const PROFILE_DIR = join(REPO_ROOT, 'bench', 'results', `cpu-prof-${STAMP}`);

interface MemoryResult {
  connections: number;
  requested: number;
  failed: number;
  firstError: string | null;
  connectMs: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  settled: boolean;
  kbPerConnection: number;
}

interface ThroughputResult {
  clients: number;
  rooms: number;
  seconds: number;
  deliveries: number;
  deliveriesPerSecond: number;
  publishesPerSecond: number;
  /** Deliveries per own echo: should equal the room size. */
  fanOut: number;
  serverCpuMs: number;
  serverCpuPercent: number;
  /** Share of the server's CPU time spent in the kernel (stime), %. */
  serverSystemShare: number;
  serverCpuMsPer100kDeliveries: number;
  loadgenCpuMs: number;
  loadgenCpuPercent: number;
  loadgenCpuMsPer100kDeliveries: number;
  /** Whole machine, % of one core (200 % = both cores of a 2-core machine busy). */
  machineCpuPercent: number;
  /** Batching: deliveries per server write/read system call, and per load-generator socket read. */
  deliveriesPerServerWrite: number;
  publishesPerServerRead: number;
  deliveriesPerClientRead: number;
  /** Machine CPU not used by the server or the load generator (kernel softirq, other processes). */
  otherCpuPercent: number;
  serverRssUnderLoadKb: number;
  otherFrames: number;
  lostConnections: number;
  notDrained: number;
  firstProblem: string | null;
}

interface ServerResult {
  memory?: MemoryResult;
  /** The median round by deliveries/s. */
  throughput?: ThroughputResult;
  throughputRounds?: ThroughputResult[];
}

/** Samples RSS until it stops moving (≤ 0.5 % or 64 KiB over the last second), within bounds. */
async function settledRss(pid: number, minMs: number, maxMs: number): Promise<{ kb: number; settled: boolean }> {
  const started = Date.now();
  const samples: number[] = [];
  for (;;) {
    samples.push(rssKb(pid));
    const window = samples.slice(-5);
    const elapsed = Date.now() - started;
    if (elapsed >= minMs && window.length === 5) {
      const spread = Math.max(...window) - Math.min(...window);
      if (spread <= Math.max(64, window[4] * 0.005)) return { kb: window[4], settled: true };
    }
    if (elapsed >= maxMs) return { kb: samples[samples.length - 1], settled: false };
    await sleep(250);
  }
}

async function measureMemory(kind: ServerKind, connections: number): Promise<MemoryResult> {
  const server = await startServer(kind, kind === 'ours' ? OURS_NODE_ARGS : []);
  const loadgen = new LoadGenerator();
  try {
    const before = await settledRss(server.pid, 2000, 6000);
    const rooms = Math.floor(connections / config.roomSize);
    const connected = await loadgen.request(
      {
        cmd: 'connect',
        port: server.port,
        rooms,
        roomSize: config.roomSize,
        concurrency: config.concurrency,
        topicPrefix: 'idle-',
        frameBytes: config.frameBytes,
        window: 1,
        timeoutMs: 60_000,
      },
      'connected',
      70_000,
    );
    const after = await settledRss(server.pid, 3000, 10_000);
    const check = await loadgen.request({ cmd: 'snapshot', serverPid: server.pid }, 'snapshot', 10_000);
    const open = connected.open - check.counters.lost;
    return {
      connections: open,
      requested: rooms * config.roomSize,
      failed: connected.failed + check.counters.lost,
      firstError: connected.firstError ?? check.counters.firstProblem,
      connectMs: connected.ms,
      rssBeforeKb: before.kb,
      rssAfterKb: after.kb,
      settled: before.settled && after.settled,
      kbPerConnection: open > 0 ? (after.kb - before.kb) / open : NaN,
    };
  } finally {
    await loadgen.close();
    await server.stop();
  }
}

async function measureThroughput(kind: ServerKind): Promise<ThroughputResult> {
  const profile = args['cpu-prof'] && kind === 'ours';
  const server = await startServer(kind, [
    ...(kind === 'ours' ? OURS_NODE_ARGS : []),
    ...(profile ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []),
  ]);
  const loadgen = new LoadGenerator();
  try {
    await sleep(1000);
    const total = config.rooms * config.roomSize;
    const connected = await loadgen.request(
      {
        cmd: 'connect',
        port: server.port,
        rooms: config.rooms,
        roomSize: config.roomSize,
        concurrency: config.concurrency,
        topicPrefix: 'room-',
        frameBytes: config.frameBytes,
        window: config.window,
        timeoutMs: 30_000,
      },
      'connected',
      40_000,
    );
    if (connected.open !== total) {
      throw new Error(`${kind}: only ${connected.open} of ${total} clients connected (${connected.firstError ?? 'no error'})`);
    }
    await loadgen.request({ cmd: 'start' }, 'started', 10_000);
    await sleep(config.warmupS * 1000);
    const a: Snapshot = await loadgen.request({ cmd: 'snapshot', serverPid: server.pid }, 'snapshot', 10_000);
    await sleep(config.durationS * 1000);
    const b: Snapshot = await loadgen.request({ cmd: 'snapshot', serverPid: server.pid }, 'snapshot', 10_000);
    const rssUnderLoad = rssKb(server.pid);
    const stopped = await loadgen.request({ cmd: 'stop', drainMs: 3000 }, 'stopped', 10_000);

    const seconds = (b.atMs - a.atMs) / 1000;
    const machineCpuPercent =
      ((b.machineBusyTicks - a.machineBusyTicks) / Math.max(1, b.machineTotalTicks - a.machineTotalTicks)) * 100 * cpus().length;
    const deliveries = b.counters.delivered - a.counters.delivered;
    const echoes = b.counters.ownEchoes - a.counters.ownEchoes;
    const serverCpuMs = ((b.serverTicks - a.serverTicks) / CLK_TCK) * 1000;
    const loadgenCpuMs = ((b.selfTicks - a.selfTicks) / CLK_TCK) * 1000;
    return {
      clients: total,
      rooms: config.rooms,
      seconds,
      deliveries,
      deliveriesPerSecond: deliveries / seconds,
      publishesPerSecond: (b.counters.sent - a.counters.sent) / seconds,
      fanOut: echoes > 0 ? deliveries / echoes : NaN,
      serverCpuMs,
      serverCpuPercent: serverCpuMs / 10 / seconds,
      serverSystemShare: ((b.serverSystemTicks - a.serverSystemTicks) / Math.max(1, b.serverTicks - a.serverTicks)) * 100,
      serverCpuMsPer100kDeliveries: deliveries > 0 ? (serverCpuMs / deliveries) * 100_000 : NaN,
      loadgenCpuMs,
      loadgenCpuPercent: loadgenCpuMs / 10 / seconds,
      loadgenCpuMsPer100kDeliveries: deliveries > 0 ? (loadgenCpuMs / deliveries) * 100_000 : NaN,
      machineCpuPercent,
      deliveriesPerServerWrite: deliveries / Math.max(1, b.serverWriteCalls - a.serverWriteCalls),
      publishesPerServerRead: (b.counters.sent - a.counters.sent) / Math.max(1, b.serverReadCalls - a.serverReadCalls),
      deliveriesPerClientRead: deliveries / Math.max(1, b.counters.reads - a.counters.reads),
      otherCpuPercent: machineCpuPercent - (serverCpuMs + loadgenCpuMs) / 10 / seconds,
      serverRssUnderLoadKb: rssUnderLoad,
      otherFrames: stopped.counters.otherFrames,
      lostConnections: stopped.counters.lost,
      notDrained: stopped.outstanding,
      firstProblem: stopped.counters.firstProblem,
    };
  } finally {
    await loadgen.close();
    await server.stop();
  }
}

// ---- report ---------------------------------------------------------------------------------

const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined || Number.isNaN(value)
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function ratio(ours: number | undefined, stock: number | undefined): number | undefined {
  return ours === undefined || stock === undefined || stock === 0 ? undefined : ours / stock;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  const line = (row: string[]) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join(' | ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.slice(1).map(line)].join('\n');
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Which relay code was measured: the commit, and signaling/ files changed since it. */
function relayVersion(): { commit: string | null; uncommittedSignalingFiles: string[] } {
  const git = (gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']).trim();
    const dirty = git(['status', '--porcelain', '--', 'signaling']).split('\n').filter(Boolean).map((line) => line.slice(3));
    return { commit, uncommittedSignalingFiles: dirty };
  } catch {
    return { commit: null, uncommittedSignalingFiles: [] };
  }
}

function machine() {
  const cpuList = cpus();
  let kernel = release();
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // keep os.release()
  }
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    node: process.version,
    kernel,
    clockTicksPerSecond: CLK_TCK,
    openFilesLimit: openFilesLimit(),
  };
}

async function main(): Promise<void> {
  const host = machine();
  const version = relayVersion();
  console.log(
    `bench:relay: relay at commit ${version.commit ?? 'unknown'}` +
      (version.uncommittedSignalingFiles.length ? ` + uncommitted changes in ${version.uncommittedSignalingFiles.join(', ')}` : ''),
  );
  console.log(
    `bench:relay: ${host.cpus} CPUs (${host.cpuModel}), Node ${host.node}, Linux ${host.kernel}, ` +
      `CLK_TCK ${CLK_TCK}, open files limit ${host.openFilesLimit}`,
  );
  if (host.cpus < 2) console.warn('bench:relay: WARNING: fewer than 2 CPUs; server and load generator share one core.');
  // One core for the server, one for the load generator, so neither can take the other's.
  const pinned = !args['no-pin'] && host.cpus >= 2 && hasTaskset();
  // Other work on the machine takes CPU from whichever side it lands on; nice -10 makes the
  // benchmark's processes win (CFS weight ~9:1), which only root may ask for.
  const niced = !args['no-nice'] && process.getuid?.() === 0;
  setPlacement({ server: pinned ? 0 : null, loadgen: pinned ? 1 : null, nice: niced ? -10 : null });
  console.log(
    `bench:relay: ${pinned ? 'server pinned to CPU 0, load generator to CPU 1' : 'no CPU pinning'}` +
      `${niced ? ', both at nice -10' : ''}`,
  );

  // Anything else running skews every number here; say so up front.
  const idle0 = machineTicks();
  await sleep(1000);
  const idle1 = machineTicks();
  const backgroundPercent = ((idle1.busy - idle0.busy) / Math.max(1, idle1.total - idle0.total)) * 100 * host.cpus;
  console.log(`bench:relay: machine busy before start: ${fmt(backgroundPercent)} % of one core`);
  const busyWarning =
    backgroundPercent > 15
      ? `the machine was ${fmt(backgroundPercent)} % busy (of one core) before the benchmark started; other processes compete for the 2 cores and skew the results`
      : null;
  if (busyWarning) console.warn(`bench:relay: WARNING: ${busyWarning}`);

  // Each side of the memory test holds one socket per connection (plus headroom).
  let idleConnections = config.idleConnections - (config.idleConnections % config.roomSize);
  let fdWarning: string | null = null;
  if (host.openFilesLimit < idleConnections + FD_HEADROOM) {
    const fit = Math.max(0, host.openFilesLimit - FD_HEADROOM);
    fdWarning =
      `open files limit (ulimit -n) is ${host.openFilesLimit}, too low for ${idleConnections} connections ` +
      `(server and load generator each need ${idleConnections + FD_HEADROOM}); ` +
      `measuring memory with ${fit - (fit % config.roomSize)} connections instead. Raise it with ulimit -n 20000.`;
    idleConnections = fit - (fit % config.roomSize);
    console.warn(`bench:relay: WARNING: ${fdWarning}`);
  }

  const results: Partial<Record<ServerKind, ServerResult>> = {};
  for (const kind of kinds) results[kind] = {};

  if (!skip.has('memory') && idleConnections > 0) {
    for (const kind of kinds) {
      process.stdout.write(`memory: ${kind}, ${idleConnections} idle connections… `);
      const memory = await measureMemory(kind, idleConnections);
      results[kind]!.memory = memory;
      console.log(
        `${fmt(memory.kbPerConnection, 2)} KB/connection (RSS ${fmt(memory.rssBeforeKb)} → ${fmt(memory.rssAfterKb)} KB, ` +
          `${memory.connections} open, connected in ${memory.connectMs} ms${memory.settled ? '' : ', RSS not settled'})`,
      );
      if (memory.failed > 0) console.warn(`  WARNING: ${memory.failed} connections failed: ${memory.firstError}`);
    }
  }

  if (!skip.has('throughput')) {
    // Rounds alternate between the servers so slow drift or a burst of other activity on the
    // machine hits both. Separate server processes also differ by themselves (JIT state; see
    // BENCHMARKS.md), so the table shows each server's median round, and the range of all.
    for (let round = 1; round <= config.rounds; round++) {
      for (const kind of kinds) {
        process.stdout.write(
          `throughput round ${round}/${config.rounds}: ${kind}, ${config.rooms} rooms × ${config.roomSize}, ` +
            `window ${config.window}, ${config.warmupS} s warm-up + ${config.durationS} s… `,
        );
        const t = await measureThroughput(kind);
        const result = results[kind]!;
        result.throughputRounds = [...(result.throughputRounds ?? []), t];
        console.log(
          `${fmt(t.deliveriesPerSecond)} deliveries/s, ${fmt(t.serverCpuMsPer100kDeliveries, 1)} ms CPU/100k ` +
            `(server CPU ${fmt(t.serverCpuPercent)} %, load generator ${fmt(t.loadgenCpuPercent)} %, ` +
            `other ${fmt(t.otherCpuPercent)} %; ${fmt(t.deliveriesPerServerWrite, 1)} deliveries/write)`,
        );
        if (t.otherFrames || t.lostConnections || t.notDrained) {
          console.warn(
            `  WARNING: ${t.otherFrames} unexpected frames, ${t.lostConnections} lost connections, ` +
              `${t.notDrained} messages not echoed after stop; first problem: ${t.firstProblem}`,
          );
        }
      }
    }
  }

  for (const kind of kinds) {
    const result = results[kind]!;
    const rounds = [...(result.throughputRounds ?? [])].sort((a, b) => a.deliveriesPerSecond - b.deliveriesPerSecond);
    // Median round (the lower middle one for an even count): all its numbers come from one window.
    if (rounds.length > 0) result.throughput = rounds[Math.floor((rounds.length - 1) / 2)];
  }

  // ---- table --------------------------------------------------------------------------------
  const ours = results.ours;
  const stock = results.stock;
  const metric = (label: string, pick: (r: ServerResult) => number | undefined, digits: number, ratioDigits = 2): string[] => {
    const o = ours ? pick(ours) : undefined;
    const s = stock ? pick(stock) : undefined;
    const r = ratio(o, s);
    return [label, fmt(o, digits), fmt(s, digits), r === undefined ? '—' : `${fmt(r, ratioDigits)}×`];
  };
  const range = (label: string, pick: (t: ThroughputResult) => number, digits: number): string[] => {
    const cell = (r: ServerResult | undefined) => {
      const values = (r?.throughputRounds ?? []).map(pick);
      return values.length === 0 ? '—' : `${fmt(Math.min(...values), digits)} – ${fmt(Math.max(...values), digits)}`;
    };
    return [label, cell(ours), cell(stock), ''];
  };
  const rows = [
    ['metric', 'ours', 'stock y-webrtc', 'ratio ours/stock'],
    metric('deliveries/s at saturation, median round (higher is better)', (r) => r.throughput?.deliveriesPerSecond, 0),
    range(`  range over ${config.rounds} rounds`, (t) => t.deliveriesPerSecond, 0),
    metric('server CPU per 100k deliveries, ms (lower is better)', (r) => r.throughput?.serverCpuMsPer100kDeliveries, 1),
    range(`  range over ${config.rounds} rounds`, (t) => t.serverCpuMsPer100kDeliveries, 1),
    metric('memory per idle connection, KB (lower is better)', (r) => r.memory?.kbPerConnection, 2),
    metric('server CPU during window, % of one core', (r) => r.throughput?.serverCpuPercent, 0),
    metric('  of which kernel (stime), % of server CPU', (r) => r.throughput?.serverSystemShare, 0),
    metric('load generator CPU during window, % of one core', (r) => r.throughput?.loadgenCpuPercent, 0),
    metric(`whole machine CPU during window, % of one core (max ${host.cpus * 100})`, (r) => r.throughput?.machineCpuPercent, 0),
    metric('  of which neither server nor load generator, %', (r) => r.throughput?.otherCpuPercent, 0),
    metric('load generator CPU per 100k deliveries, ms', (r) => r.throughput?.loadgenCpuMsPer100kDeliveries, 1),
    metric('publishes/s', (r) => r.throughput?.publishesPerSecond, 0),
    metric('deliveries per server write syscall', (r) => r.throughput?.deliveriesPerServerWrite, 2),
    metric('publishes per server read syscall', (r) => r.throughput?.publishesPerServerRead, 2),
    metric('deliveries per load generator socket read', (r) => r.throughput?.deliveriesPerClientRead, 2),
    metric('deliveries per publish (= room size)', (r) => r.throughput?.fanOut, 2),
    metric('server RSS under load, MB', (r) => (r.throughput ? r.throughput.serverRssUnderLoadKb / 1024 : undefined), 1),
    metric('server RSS before / after idle connections, MB', (r) => (r.memory ? r.memory.rssBeforeKb / 1024 : undefined), 1),
    metric('', (r) => (r.memory ? r.memory.rssAfterKb / 1024 : undefined), 1),
  ];
  console.log(`\n${table(rows)}\n`);

  const deliveryRatio = ratio(ours?.throughput?.deliveriesPerSecond, stock?.throughput?.deliveriesPerSecond);
  const kbPerConnection = ours?.memory?.kbPerConnection;
  const targets = {
    deliveries: {
      target: `ours ≥ ${TARGET_DELIVERY_RATIO}× stock deliveries/s`,
      value: deliveryRatio ?? null,
      met: deliveryRatio === undefined ? null : deliveryRatio >= TARGET_DELIVERY_RATIO,
    },
    memory: {
      target: `ours ≤ ${TARGET_KB_PER_IDLE_CONNECTION} KB per idle connection`,
      value: kbPerConnection ?? null,
      met: kbPerConnection === undefined || Number.isNaN(kbPerConnection) ? null : kbPerConnection <= TARGET_KB_PER_IDLE_CONNECTION,
    },
  };
  const verdict = (met: boolean | null) => (met === null ? 'NOT MEASURED' : met ? 'MET' : 'NOT MET');
  console.log('targets:');
  console.log(`  ${targets.deliveries.target}: ${deliveryRatio === undefined ? '—' : `${fmt(deliveryRatio, 2)}×`} → ${verdict(targets.deliveries.met)}`);
  console.log(
    `  ${targets.memory.target}: ${fmt(kbPerConnection, 2)} KB → ${verdict(targets.memory.met)}` +
      (fdWarning ? ` (with only ${idleConnections} connections: see the open files warning)` : ''),
  );

  // Which side was the bottleneck: a load generator near a full core means we measured the client.
  const notes: string[] = [];
  for (const kind of kinds) {
    const t = results[kind]?.throughput;
    if (!t) continue;
    if (t.loadgenCpuPercent >= 80) {
      notes.push(`${kind}: load generator at ${fmt(t.loadgenCpuPercent)} % of a core — it, not the server, may be the bottleneck`);
    } else if (t.serverCpuPercent >= 90) {
      notes.push(`${kind}: server at ${fmt(t.serverCpuPercent)} % of a core, load generator at ${fmt(t.loadgenCpuPercent)} % — the server is the bottleneck`);
    } else if (t.otherCpuPercent >= 30) {
      notes.push(
        `${kind}: server at only ${fmt(t.serverCpuPercent)} % of its core while ${fmt(t.otherCpuPercent)} % of a core went elsewhere — ` +
          'other processes were competing for the CPUs; rerun on an idle machine',
      );
    } else {
      notes.push(`${kind}: neither side near a full core (server ${fmt(t.serverCpuPercent)} %, load generator ${fmt(t.loadgenCpuPercent)} %) — raise --window or --rooms`);
    }
  }
  for (const kind of kinds) {
    (results[kind]?.throughputRounds ?? []).forEach((t, index) => {
      if (t.otherCpuPercent > 30) {
        notes.push(
          `${kind} round ${index + 1}: ${fmt(t.otherCpuPercent)} % of a core went to neither server nor load generator ` +
            '(kernel network softirq is usually 5-20 %; more means other processes were running)',
        );
      }
    });
  }
  if (busyWarning) notes.push(busyWarning);
  if (fdWarning) notes.push(fdWarning);
  for (const note of notes) console.log(`note: ${note}`);

  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `relay-${STAMP}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark: 'relay',
        date: new Date().toISOString(),
        machine: host,
        relayVersion: version,
        config: { ...config, idleConnections, servers: kinds, pinned, nice: niced ? -10 : 0, oursNodeArgs: OURS_NODE_ARGS },
        backgroundCpuPercentBeforeStart: backgroundPercent,
        results,
        ratios: {
          deliveriesPerSecond: deliveryRatio ?? null,
          serverCpuPer100kDeliveries: ratio(ours?.throughput?.serverCpuMsPer100kDeliveries, stock?.throughput?.serverCpuMsPer100kDeliveries) ?? null,
          kbPerIdleConnection: ratio(ours?.memory?.kbPerConnection, stock?.memory?.kbPerConnection) ?? null,
        },
        targets,
        notes,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nresults: ${file}`);
  if (args['cpu-prof']) console.log(`CPU profile of our relay (throughput test, start to exit): ${PROFILE_DIR}/`);
}

const started = Date.now();
main()
  .then(() => {
    console.log(`bench:relay: done in ${Math.round((Date.now() - started) / 1000)} s`);
    killAllChildren();
    process.exit(0);
  })
  .catch((err: unknown) => {
    console.error(`\nbench:relay: failed: ${err instanceof Error ? err.message : String(err)}`);
    killAllChildren();
    process.exit(1);
  });
